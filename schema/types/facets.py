"""Facets of an article list: counts over the whole filtered set, not just the page."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Annotated, Any

import strawberry

from loaders.query.facets import OWN_FIELDS, Facet, FacetCount
from loaders.query.filters import ArticleFilter
from loaders.query.sources import AnyScope
from schema.context import Info
from schema.errors import PublicError

DEFAULT_FACET_SIZE = 10
DEFAULT_BUCKET_SIZE = 20


@strawberry.enum(description="How facet values are sorted.")
class FacetSort(Enum):
    COUNT = strawberry.enum_value(
        "COUNT",
        description="Most articles first; ties by value, ascending; the `unknown` bucket last.",
    )
    VALUE = strawberry.enum_value(
        "VALUE",
        description="By value, ascending (months oldest first, buckets lowest first, the "
        "`unknown` bucket last).",
    )


@strawberry.type(description="One value of a facet and how many articles of the list have it.")
class FacetValue:
    value: str = strawberry.field(
        description="What to filter on to narrow the list to these articles (a topic slug, "
        "a provider domain, a type, `true`/`false`, a month as `YYYY-MM`)."
    )
    label: str = strawberry.field(
        description="What to show: a topic's or provider's name; otherwise the value."
    )
    count: int = strawberry.field(description="Articles of the filtered list with this value.")


@strawberry.type(description="A bucket of a numeric facet: the articles whose value is in it.")
class FacetBucket:
    min: int | None = strawberry.field(
        description="Lowest value of the bucket (inclusive); null for the unknown bucket."
    )
    max: int | None = strawberry.field(
        description="Highest value of the bucket (inclusive); null for the unknown bucket."
    )
    label: str = strawberry.field(description="`40..59`, or `unknown`.")
    count: int = strawberry.field(description="Articles of the filtered list in this bucket.")


FacetSize = Annotated[
    int,
    strawberry.argument(description="How many values to return (0 to the maximum page size)."),
]
SortArg = Annotated[FacetSort, strawberry.argument(description="How to sort the values.")]
IgnoreOwn = Annotated[
    bool,
    strawberry.argument(
        description="Count as if the list's filter did not constrain this facet's own fields "
        "(its top-level `topics`/`allTopics`, `providers`, `types`, `categories`, `published`, "
        "`publishedAfter`/`publishedBefore`, `heat` or `quality`), so a UI can show the other "
        "choices of a facet the user has already narrowed. Conditions inside `and`, `or` and "
        "`not`, and the list's own scope (the topic of `Topic.articles`…), still apply."
    ),
]
BucketSize = Annotated[int, strawberry.argument(description="Width of each bucket (at least 1).")]


def _sorted(counts: Iterable[FacetCount], sort: FacetSort) -> list[FacetCount]:
    if sort is FacetSort.COUNT:
        return sorted(counts, key=lambda c: (-c.count, _value_key(c.value)))
    return sorted(counts, key=lambda c: _value_key(c.value))


def _value_key(value: str | int | None) -> tuple[int, str | int]:
    """Values ascending, numbers numerically, the unknown bucket last."""
    if value is None:
        return (2, 0)
    return (0, value) if isinstance(value, int) else (1, value)


def _term_facet(facet: Facet) -> Any:
    """The resolver of a facet of values (topics, providers, types, categories, months)."""

    async def resolve(
        root: ArticleFacets, info: Info, first: FacetSize = DEFAULT_FACET_SIZE,
        sort: SortArg = FacetSort.COUNT, ignore_own_filter: IgnoreOwn = False,
    ) -> list[FacetValue]:  # fmt: skip
        return await root._values(info, facet, first, sort, ignore_own_filter)

    return resolve


async def _published_facet(
    root: ArticleFacets, info: Info, sort: SortArg = FacetSort.COUNT,
    ignore_own_filter: IgnoreOwn = False,
) -> list[FacetValue]:  # fmt: skip
    return await root._values(info, Facet.PUBLISHED, 2, sort, ignore_own_filter)


def _bucket_facet(facet: Facet) -> Any:
    """The resolver of a facet of numeric buckets (heat, quality)."""

    async def resolve(
        root: ArticleFacets, info: Info, bucket_size: BucketSize = DEFAULT_BUCKET_SIZE,
        sort: SortArg = FacetSort.COUNT, ignore_own_filter: IgnoreOwn = False,
    ) -> list[FacetBucket]:  # fmt: skip
        return await root._buckets(info, facet, bucket_size, sort, ignore_own_filter)

    return resolve


@strawberry.type(
    description="How the articles of the whole filtered list (not only this page) spread over "
    "topics, providers, types, categories, published state, months, heat and quality. Each "
    "facet costs one SQL statement over the whole list the first time a list's facet is asked "
    "for; later requests, for any page of that list, share the counts until the corpus "
    "changes. Ask only for those you show."
)
class ArticleFacets:
    scope: strawberry.Private[AnyScope]
    parent: strawberry.Private[int | None]
    filter: strawberry.Private[ArticleFilter]

    async def _counts(
        self, info: Info, facet: Facet, ignore_own: bool, bucket_size: int = 1
    ) -> tuple[FacetCount, ...]:
        active = self.filter.without(*OWN_FIELDS[facet]) if ignore_own else self.filter
        loader = info.context.loaders.facet(self.scope, active, facet, bucket_size)
        return await loader.load(self.parent)

    async def _values(
        self, info: Info, facet: Facet, first: int, sort: FacetSort, ignore_own: bool
    ) -> list[FacetValue]:
        limit = info.context.limits.max_page_size
        if not 0 <= first <= limit:
            raise PublicError(f"`first` must be between 0 and {limit}, got {first}")
        counts = _sorted(await self._counts(info, facet, ignore_own), sort)[:first]
        return [FacetValue(value=str(c.value), label=c.label, count=c.count) for c in counts]

    async def _buckets(
        self, info: Info, facet: Facet, bucket_size: int, sort: FacetSort, ignore_own: bool
    ) -> list[FacetBucket]:
        if bucket_size < 1:
            raise PublicError(f"`bucketSize` must be at least 1, got {bucket_size}")
        counts = _sorted(await self._counts(info, facet, ignore_own, bucket_size), sort)
        return [
            FacetBucket(
                min=c.value if isinstance(c.value, int) else None,
                max=c.high,
                label=c.label,
                count=c.count,
            )
            for c in counts
        ]

    topics: list[FacetValue] = strawberry.field(
        resolver=_term_facet(Facet.TOPICS), description="Topics, by slug (label: the topic's name)."
    )
    providers: list[FacetValue] = strawberry.field(
        resolver=_term_facet(Facet.PROVIDERS),
        description="Providers, by domain (label: the provider's name).",
    )
    types: list[FacetValue] = strawberry.field(
        resolver=_term_facet(Facet.TYPES),
        description="Types (`article`, `video`…), lower-cased; articles without one are left out.",
    )
    categories: list[FacetValue] = strawberry.field(
        resolver=_term_facet(Facet.CATEGORIES),
        description="Categories, lower-cased; articles without one are left out.",
    )

    published: list[FacetValue] = strawberry.field(
        resolver=_published_facet,
        description="`true` and `false`; articles that do not say are left out.",
    )

    months: list[FacetValue] = strawberry.field(
        resolver=_term_facet(Facet.MONTHS),
        description="Publication months in UTC as `YYYY-MM` (sort: VALUE for a histogram).",
    )
    heat: list[FacetBucket] = strawberry.field(
        resolver=_bucket_facet(Facet.HEAT),
        description="Heat in buckets of `bucketSize`; missing heat and heat below 0 (how "
        "publishers write unknown) fall in the `unknown` bucket.",
    )
    quality: list[FacetBucket] = strawberry.field(
        resolver=_bucket_facet(Facet.QUALITY),
        description="Quality in buckets of `bucketSize`; missing quality falls in the "
        "`unknown` bucket.",
    )
