"""The `ArticleFilter` input and its translation into the data layer's filter.

Validation happens here, where argument names are known, so each error says which
part of the filter to change (`filter.or[1].quality: ...`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry

from loaders.parse import EPOCH, slugify
from loaders.query.filters import ArticleFilter, IntRange
from schema.errors import InvalidFilter, checked_text
from schema.scalars import DateTime

MAX_VALUES = 100  # per list field
MAX_NESTING = 8  # and/or/not levels
MAX_CONDITIONS = 200  # fields set across the whole tree


@strawberry.input(
    name="IntRange",
    description="An inclusive range of integers; leave an end null to leave it open (both "
    "null: no constraint, like an absent field).",
)
class IntRangeInput:
    min: int | None = strawberry.field(default=None, description="Smallest value kept.")
    max: int | None = strawberry.field(default=None, description="Largest value kept.")


@strawberry.input(
    name="ArticleFilter",
    description="Which articles to keep. Every field set must match (they are ANDed); "
    "`and`, `or` and `not` combine whole filters. A null or empty list means no "
    "constraint. Articles without a value (no provider, no quality…) never match a "
    "field that tests it, and `not` keeps exactly the articles its filter does not match.",
)
class ArticleFilterInput:
    topics: list[str] | None = strawberry.field(
        default=None,
        description="Any of these topics, by slug or name, case-insensitive "
        "(`AI`, `ai` and `Ai` are one).",
    )
    all_topics: list[str] | None = strawberry.field(
        default=None, description="Every one of these topics (slug or name, case-insensitive)."
    )
    providers: list[str] | None = strawberry.field(
        default=None,
        description="Any of these providers, by domain, case-insensitive (`techstory.in`).",
    )
    types: list[str] | None = strawberry.field(
        default=None,
        description="Any of these types (`article`, `video`…); ASCII letters match "
        "case-insensitively, surrounding spaces are ignored.",
    )
    categories: list[str] | None = strawberry.field(
        default=None,
        description="Any of these categories (`news`…); ASCII letters match "
        "case-insensitively, surrounding spaces are ignored.",
    )
    published: bool | None = strawberry.field(
        default=None,
        description="Whether the publisher marks the article live; articles that do not "
        "say match neither.",
    )
    published_after: DateTime | None = strawberry.field(
        default=None, description="Published at or after this moment (inclusive)."
    )
    published_before: DateTime | None = strawberry.field(
        default=None,
        description="Published strictly before this moment (exclusive), so consecutive "
        'ranges never overlap: `{publishedAfter: "2021-02-01", '
        'publishedBefore: "2021-03-01"}` is February.',
    )
    quality: IntRangeInput | None = strawberry.field(
        default=None, description="Quality within this range."
    )
    heat: IntRangeInput | None = strawberry.field(
        default=None, description="Heat within this range."
    )
    has_image: bool | None = strawberry.field(
        default=None, description="Whether the article has at least one image."
    )
    has_related: bool | None = strawberry.field(
        default=None, description="Whether the article's `related` list has at least one entry."
    )
    slugs: list[str] | None = strawberry.field(default=None, description="Any of these slugs.")
    and_: list[ArticleFilterInput] | None = strawberry.field(
        default=None, name="and", description="Every one of these filters matches."
    )
    or_: list[ArticleFilterInput] | None = strawberry.field(
        default=None, name="or", description="At least one of these filters matches (not empty)."
    )
    not_: ArticleFilterInput | None = strawberry.field(
        default=None, name="not", description="This filter does not match."
    )


class _Budget:
    """Counts fields across the whole tree, so a filter cannot grow without bound."""

    def __init__(self) -> None:
        self.used = 0

    def spend(self, where: str, amount: int = 1) -> None:
        self.used += amount
        if self.used > MAX_CONDITIONS:
            raise InvalidFilter(
                f"{where}: the filter has more than {MAX_CONDITIONS} conditions; simplify it"
            )


def _values(values: list[str] | None, where: str, budget: _Budget) -> list[str]:
    if not values:
        return []
    if len(values) > MAX_VALUES:
        raise InvalidFilter(f"{where}: at most {MAX_VALUES} values, got {len(values)}")
    budget.spend(where, len(values))
    return [checked_text(v, where) for v in values]


def _range(bounds: IntRangeInput | None, where: str) -> IntRange | None:
    if bounds is None or (bounds.min is None and bounds.max is None):
        return None
    if bounds.min is not None and bounds.max is not None and bounds.min > bounds.max:
        raise InvalidFilter(
            f"{where}: the range is empty (min {bounds.min} is greater than max {bounds.max})"
        )
    return IntRange(bounds.min, bounds.max)


def _micros(moment: object) -> int:
    return (cast(datetime, moment) - EPOCH) // _MICROSECOND


def _convert(f: ArticleFilterInput, where: str, depth: int, budget: _Budget) -> ArticleFilter:
    if depth > MAX_NESTING:
        raise InvalidFilter(f"{where}: filters nest deeper than {MAX_NESTING} levels")
    after = _micros(f.published_after) if f.published_after is not None else None
    before = _micros(f.published_before) if f.published_before is not None else None
    if after is not None and before is not None and after >= before:
        raise InvalidFilter(
            f"{where}: publishedAfter must be earlier than publishedBefore "
            "(publishedAfter is inclusive, publishedBefore exclusive)"
        )
    if f.or_ is not None and not f.or_:
        raise InvalidFilter(f"{where}.or: needs at least one filter (omit `or` to match all)")
    for name in ("published", "published_after", "published_before", "quality", "heat",
                 "has_image", "has_related"):  # fmt: skip
        if getattr(f, name) is not None:
            budget.spend(where)
    nested = [(f"{where}.and[{i}]", c) for i, c in enumerate(f.and_ or [])]
    alternatives = [(f"{where}.or[{i}]", c) for i, c in enumerate(f.or_ or [])]
    return ArticleFilter(
        topics=tuple(slugify(v) for v in _values(f.topics, f"{where}.topics", budget)),
        all_topics=tuple(slugify(v) for v in _values(f.all_topics, f"{where}.allTopics", budget)),
        providers=tuple(
            v.strip().lower() for v in _values(f.providers, f"{where}.providers", budget)
        ),
        types=tuple(v.strip() for v in _values(f.types, f"{where}.types", budget)),
        categories=tuple(v.strip() for v in _values(f.categories, f"{where}.categories", budget)),
        published=f.published,
        published_after=after,
        published_before=before,
        quality=_range(f.quality, f"{where}.quality"),
        heat=_range(f.heat, f"{where}.heat"),
        has_image=f.has_image,
        has_related=f.has_related,
        slugs=tuple(_values(f.slugs, f"{where}.slugs", budget)),
        all_of=tuple(_convert(c, w, depth + 1, budget) for w, c in nested),
        any_of=tuple(_convert(c, w, depth + 1, budget) for w, c in alternatives),
        negated=_convert(f.not_, f"{where}.not", depth + 1, budget) if f.not_ else None,
    )


def to_filter(given: ArticleFilterInput | None) -> ArticleFilter:
    """The data layer's filter for a validated `filter` argument (empty when null)."""
    if given is None:
        return ArticleFilter()
    return _convert(given, "filter", 1, _Budget())


_MICROSECOND = datetime.resolution

FilterArg = Annotated[
    ArticleFilterInput | None,
    strawberry.argument(description="Keep only the articles this filter matches."),
]
