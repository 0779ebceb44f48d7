"""Orders of article lists, and keyset conditions that resume an order after a row.

An ordering is one or more keys; the article id always follows as a last key, in
the direction of the key before it, so that the order is total and every row has a
unique position. A position is the tuple of a row's key values (its "keyset"):
pages continue strictly after (or before) a position, which stays meaningful when
articles are added or removed in between.

Missing heat and quality sort as the lowest values (last in descending order, first
in ascending order); each order key has an index that serves both directions.
RELEVANCE orders search hits only: its value (the bm25 score) comes from the source's
overrides, and a hit's position takes its score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from loaders.db import placeholders
from loaders.query.filters import Condition
from loaders.rows import ArticleRow

MISSING = -2147483649  # below any 32-bit value: where missing heat and quality sort


class OrderField(Enum):
    PUBLISHED_AT = "PUBLISHED_AT"
    HEAT = "HEAT"
    QUALITY = "QUALITY"
    TITLE = "TITLE"
    TRENDING = "TRENDING"
    RELEVANCE = "RELEVANCE"  # search hits only: how well they match (see loaders.search)


# SQL expression over `a`, the Python type of its value (for cursor checks), and how
# to read the value off a row. The heat and quality expressions match their indexes.
_FIELDS: dict[OrderField, tuple[str, type, Callable[[ArticleRow], Any]]] = {
    OrderField.PUBLISHED_AT: ("a.published_ts", int, lambda r: r.published_ts),
    OrderField.HEAT: (f"ifnull(a.heat, {MISSING})", int, lambda r: _known(r.heat)),
    OrderField.QUALITY: (f"ifnull(a.quality, {MISSING})", int, lambda r: _known(r.quality)),
    OrderField.TITLE: ("a.sort_title", str, lambda r: r.sort_title),
    OrderField.TRENDING: ("a.trending", float, lambda r: r.trending),
}

# The direction each field takes when the client names none.
NATURAL_DESCENDING = {
    OrderField.PUBLISHED_AT: True,
    OrderField.HEAT: True,
    OrderField.QUALITY: True,
    OrderField.TITLE: False,
    OrderField.TRENDING: True,
    OrderField.RELEVANCE: True,
}


def _known(value: int | None) -> int:
    return MISSING if value is None else value


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: OrderField
    descending: bool


@dataclass(frozen=True, slots=True)
class Ordering:
    """Keys in priority order (at least one, no field twice); the id breaks ties."""

    keys: tuple[OrderKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("an ordering needs at least one key")
        names = [k.field for k in self.keys]
        if len(set(names)) != len(names):
            raise ValueError("an ordering names a field twice")

    @property
    def signature(self) -> str:
        """Stable text naming the order, e.g. `HEAT-,TITLE+` (cursors carry it)."""
        return ",".join(f"{k.field.value}{'-' if k.descending else '+'}" for k in self.keys)

    @property
    def id_descending(self) -> bool:
        return self.keys[-1].descending

    def reversed(self) -> Ordering:
        return Ordering(tuple(OrderKey(k.field, not k.descending) for k in self.keys))

    def columns(self, overrides: dict[OrderField | None, str] | None = None) -> list[str]:
        """SQL expressions of the keys and the id, in order; `overrides` swaps some in
        (a topic page walks article_topics' copies of published_ts and the id)."""
        overrides = overrides or {}
        exprs = [_column(k.field, overrides) for k in self.keys]
        return [*exprs, overrides.get(None, "a.id")]

    def directions(self) -> list[bool]:
        return [k.descending for k in self.keys] + [self.id_descending]

    def order_by(self, overrides: dict[OrderField | None, str] | None = None) -> str:
        return ", ".join(
            f"{column} {'DESC' if desc else 'ASC'}"
            for column, desc in zip(self.columns(overrides), self.directions(), strict=True)
        )

    def position(self, row: ArticleRow, score: float | None = None) -> tuple[Any, ...]:
        """The row's keyset: its key values then its id (`score`: a search hit's)."""
        values = []
        for key in self.keys:
            if key.field is OrderField.RELEVANCE:
                if score is None:
                    raise ValueError("a RELEVANCE position needs the hit's score")
                values.append(score)
            else:
                values.append(_FIELDS[key.field][2](row))
        return (*values, row.id)

    def value_types(self) -> list[type]:
        return [
            float if k.field is OrderField.RELEVANCE else _FIELDS[k.field][1] for k in self.keys
        ] + [int]

    @property
    def has_relevance(self) -> bool:
        return any(k.field is OrderField.RELEVANCE for k in self.keys)

    def beyond(
        self,
        position: tuple[Any, ...],
        *,
        inclusive: bool = False,
        overrides: dict[OrderField | None, str] | None = None,
    ) -> Condition:
        """Rows strictly after `position` in this order (at or after when inclusive)."""
        columns = self.columns(overrides)
        directions = self.directions()
        params = list(position)
        if len(set(directions)) == 1:
            # One direction: a row-value comparison, which SQLite turns into an index range.
            op = "<" if directions[0] else ">"
            sql = f"({', '.join(columns)}) {op}{'=' if inclusive else ''} ({placeholders(params)})"
            return Condition(sql, params)
        # Mixed directions: (k1 beyond v1) OR (k1 = v1 AND k2 beyond v2) OR ...
        terms: list[str] = []
        values: list[Any] = []
        for i, (column, desc) in enumerate(zip(columns, directions, strict=True)):
            equal = [f"{c} = ?" for c in columns[:i]]
            op = "<" if desc else ">"
            last = i == len(columns) - 1
            step = f"{column} {op}{'=' if inclusive and last else ''} ?"
            terms.append(" AND ".join([*equal, step]))
            values.extend([*params[:i], params[i]])
        return Condition(" OR ".join(f"({t})" for t in terms), values)


def _column(field: OrderField, overrides: dict[OrderField | None, str]) -> str:
    if field in overrides:
        return overrides[field]
    if field is OrderField.RELEVANCE:
        raise ValueError("RELEVANCE orders search hits only: the source supplies the score")
    return _FIELDS[field][0]


NEWEST_FIRST = Ordering((OrderKey(OrderField.PUBLISHED_AT, True),))
MOST_RELEVANT = Ordering((OrderKey(OrderField.RELEVANCE, True),))
