"""The `ArticleOrder` input: which facts order an article list, and in which direction."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from loaders.query.ordering import NATURAL_DESCENDING, NEWEST_FIRST, OrderField, Ordering, OrderKey
from schema.errors import InvalidOrder


@strawberry.enum(description="What to order articles by.")
class ArticleOrderField(Enum):
    PUBLISHED_AT = strawberry.enum_value("PUBLISHED_AT", description="Publication time.")
    HEAT = strawberry.enum_value(
        "HEAT", description="Popularity; articles without heat sort as the lowest."
    )
    QUALITY = strawberry.enum_value(
        "QUALITY", description="Editorial quality; articles without it sort as the lowest."
    )
    TITLE = strawberry.enum_value(
        "TITLE", description="Title, case-insensitive (Unicode case folding)."
    )
    TRENDING = strawberry.enum_value(
        "TRENDING",
        description="Heat and quality decayed by age: weight x 2^(-age / half-life), "
        "weight = 1 + max(heat, 0) + max(quality, 0) / 2. The half-life is set when "
        "ingesting (`--trending-half-life`, 24 hours by default).",
    )


@strawberry.enum(description="Ascending (smallest first) or descending.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest first (A→Z, oldest, coldest).")
    DESC = strawberry.enum_value("DESC", description="Largest first (Z→A, newest, hottest).")


@strawberry.input(description="One key of an article order.")
class ArticleOrder:
    field: ArticleOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection | None = strawberry.field(
        default=None,
        description="Null means the field's natural direction: descending for "
        "PUBLISHED_AT, HEAT, QUALITY and TRENDING, ascending for TITLE.",
    )


ORDER_BY_DESCRIPTION = (
    "Order keys, most significant first; ties are always broken by a stable internal "
    "key, so the order is total. Null or empty means newest first (PUBLISHED_AT DESC)."
)

OrderByArg = Annotated[
    list[ArticleOrder] | None, strawberry.argument(description=ORDER_BY_DESCRIPTION)
]


def to_ordering(order_by: list[ArticleOrder] | None) -> Ordering:
    """The data layer's ordering for a validated `orderBy` argument."""
    if not order_by:
        return NEWEST_FIRST
    keys: list[OrderKey] = []
    for i, key in enumerate(order_by):
        field = OrderField(key.field.value)
        if any(k.field is field for k in keys):
            raise InvalidOrder(
                f"orderBy[{i}]: {field.value} is already a key of this order; name each field once"
            )
        descending = (
            NATURAL_DESCENDING[field]
            if key.direction is None
            else key.direction is OrderDirection.DESC
        )
        keys.append(OrderKey(field, descending))
    return Ordering(tuple(keys))
