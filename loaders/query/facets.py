"""Facet counts: how the articles of a filtered list spread over a field's values.

Each facet is one statement grouping the whole filtered set (not a page) by parent
and value, so facets of nested lists (every topic's provider counts) cost one
statement too. Values come back with their counts; choosing the top values is the
caller's business (it knows the requested sort and size).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from loaders.db import chunked
from loaders.parse import INT32
from loaders.query.filters import ArticleFilter, Condition, compile_filter
from loaders.query.sources import Scope, many_parents
from loaders.reader import Reader

MAX_PARENTS = 1000


class Facet(Enum):
    TOPICS = "topics"
    PROVIDERS = "providers"
    TYPES = "types"
    CATEGORIES = "categories"
    PUBLISHED = "published"
    MONTHS = "months"
    HEAT = "heat"
    QUALITY = "quality"


# The filter fields each facet describes: what `ignoreOwnFilter` leaves out.
OWN_FIELDS: dict[Facet, tuple[str, ...]] = {
    Facet.TOPICS: ("topics", "all_topics"),
    Facet.PROVIDERS: ("providers",),
    Facet.TYPES: ("types",),
    Facet.CATEGORIES: ("categories",),
    Facet.PUBLISHED: ("published",),
    Facet.MONTHS: ("published_after", "published_before"),
    Facet.HEAT: ("heat",),
    Facet.QUALITY: ("quality",),
}


@dataclass(frozen=True, slots=True)
class FacetCount:
    """One value of a facet. Range facets use `value` for the bucket's lower bound and
    `high` for its upper bound (both None for the bucket of unknown values)."""

    value: str | int | None
    label: str
    count: int
    high: int | None = None


def bucket_bounds(index: int, size: int) -> tuple[int, int]:
    """The lowest and highest value of bucket `index` of width `size`. Values are 32-bit
    (GraphQL's Int), so the first and last buckets stop at the ends of that range
    instead of naming bounds no value can have and no client can read."""
    low = index * size
    return max(low, INT32[0]), min(low + size - 1, INT32[1])


# Per facet: the value expression, its display name (NULL: the value is its own
# label), the join that reaches it, and the rows left out.
_TERMS: dict[Facet, tuple[str, str, str, str]] = {
    Facet.TOPICS: (
        "t.slug", "t.name",
        "JOIN article_topics AS ft ON ft.article_id = a.id JOIN topics AS t ON t.id = ft.topic_id",
        "",
    ),
    Facet.PROVIDERS: (
        "p.domain", "p.name", "JOIN providers AS p ON p.id = a.provider_id", "",
    ),
    Facet.TYPES: ("a.type", "NULL", "", "a.type IS NOT NULL"),
    Facet.CATEGORIES: ("a.category", "NULL", "", "a.category IS NOT NULL"),
    Facet.PUBLISHED: ("a.published", "NULL", "", "a.published IS NOT NULL"),
    Facet.MONTHS: ("a.published_month", "NULL", "", ""),
}  # fmt: skip

# `?` is the bucket width. Floor division (SQLite's `/` truncates toward zero). Heat
# below zero is how publishers write "unknown", so it joins the unknown bucket.
_BUCKETS: dict[Facet, str] = {
    Facet.HEAT: "CASE WHEN a.heat >= 0 THEN a.heat / ? END",
    Facet.QUALITY: "(a.quality / ?) - (a.quality % ? < 0)",
}


def _label(facet: Facet, value: object) -> str:
    if facet is Facet.MONTHS and isinstance(value, int):
        return f"{value // 100:04d}-{value % 100:02d}"
    if facet is Facet.PUBLISHED:
        return "true" if value else "false"
    return str(value)


async def facet_counts(
    db: Reader, scope: Scope, filter: ArticleFilter, facet: Facet,
    parents: Sequence[int | None], bucket_size: int = 1,
) -> dict[int | None, list[FacetCount]]:  # fmt: skip
    """Every value of `facet` with its count, per parent, over the filtered lists."""
    result: dict[int | None, list[FacetCount]] = defaultdict(list)
    condition = compile_filter(filter)
    keys = [None] if scope is Scope.ALL else [p for p in parents if p is not None]
    for part in chunked(keys, MAX_PARENTS):
        source = many_parents(scope, part)
        where = [source.where, condition]
        if facet in _BUCKETS:
            expr = _BUCKETS[facet]
            select, join, params = f"{expr}, NULL", "", [bucket_size] * expr.count("?")
        else:
            value, label, join, exclude = _TERMS[facet]
            select, params = f"{value}, max({label})", []
            if exclude:
                where.append(Condition(exclude, []))
        used = [w for w in where if w.sql != "1"]
        sql = (
            f"SELECT {source.parent}, {select}, count(*) FROM {source.tables.sql} {join} "
            f"WHERE {' AND '.join(f'({w.sql})' for w in used) or '1'} GROUP BY 1, 2"
        )
        params += [*source.tables.params, *(v for w in used for v in w.params)]
        for parent, value, label, count in await db.fetch(sql, params):
            result[parent].append(_count(facet, value, label, count, bucket_size))
    return {p: result.get(None if scope is Scope.ALL else p, []) for p in parents}


def _count(facet: Facet, value: object, label: object, count: int, bucket_size: int) -> FacetCount:
    if facet in _BUCKETS:
        if value is None:
            return FacetCount(None, "unknown", count)
        low, high = bucket_bounds(int(value), bucket_size)  # type: ignore[call-overload]
        return FacetCount(low, f"{low}..{high}", count, high)
    shown = _label(facet, value)
    return FacetCount(shown, shown if label is None else str(label), count)
