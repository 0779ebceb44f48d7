"""Article filters as data, and their translation into one SQL condition.

A filter is a tree: leaf fields constrain one fact each and are ANDed; `all_of`,
`any_of` and `negated` combine whole filters (GraphQL's `and`, `or`, `not`). The
condition reads the articles table under the alias `a` only, so any article query
(a page, a count, a facet, a search) can add it to its WHERE clause.

Missing values never match a leaf (an article with no `quality` is not in any
quality range), and `not` is the complement of what its filter matches: the SQL
wraps negated conditions so that SQLite's NULLs cannot make an article vanish
from both a filter and its negation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from loaders.db import placeholders


@dataclass(frozen=True, slots=True)
class IntRange:
    """Inclusive at both ends; None leaves that end open."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles to keep. Empty value lists and None mean "no constraint".

    Values arrive normalized: topic slugs, lower-case provider domains.
    """

    topics: tuple[str, ...] = ()  # any of these topic slugs
    all_topics: tuple[str, ...] = ()  # every one of these topic slugs
    providers: tuple[str, ...] = ()  # any of these domains
    types: tuple[str, ...] = ()  # case-insensitive
    categories: tuple[str, ...] = ()  # case-insensitive
    published: bool | None = None
    published_after: int | None = None  # microseconds, inclusive
    published_before: int | None = None  # microseconds, exclusive
    quality: IntRange | None = None
    heat: IntRange | None = None
    has_image: bool | None = None
    has_related: bool | None = None
    slugs: tuple[str, ...] = ()
    all_of: tuple[ArticleFilter, ...] = ()
    any_of: tuple[ArticleFilter, ...] = ()
    negated: ArticleFilter | None = field(default=None)

    def is_empty(self) -> bool:
        return self == EMPTY_FILTER

    def size(self) -> int:
        """1 + the values it holds, nested filters included: what keeping it costs."""
        values = (self.topics, self.all_topics, self.providers, self.types, self.categories,
                  self.slugs)  # fmt: skip
        nested: list[ArticleFilter] = [*self.all_of, *self.any_of]
        if self.negated is not None:
            nested.append(self.negated)
        return 1 + sum(map(len, values)) + sum(f.size() for f in nested)

    def without(self, *names: str) -> ArticleFilter:
        """This filter with the named top-level fields cleared (for facets)."""
        defaults: dict[str, Any] = {f.name: f.default for f in fields(self) if f.name in names}
        return replace(self, **defaults)


EMPTY_FILTER = ArticleFilter()


@dataclass(slots=True)
class Condition:
    """SQL text with its parameters, built left to right."""

    sql: str
    params: list[Any]

    @staticmethod
    def true() -> Condition:
        return Condition("1", [])


def _in(column: str, values: Sequence[Any]) -> Condition:
    return Condition(f"{column} IN ({placeholders(values)})", list(values))


def _ids_of(table: str, key: str, values: Sequence[str]) -> str:
    """A subquery of the ids of the topics (by slug) or providers (by domain) named."""
    return f"(SELECT id FROM {table} WHERE {key} IN ({placeholders(values)}))"


def _topic_ids(slugs: Sequence[str], walk: bool) -> Condition:
    topic_ids = _ids_of("topics", "slug", slugs)
    if walk:  # tested per row, through article_topics' primary key
        return Condition(
            "EXISTS (SELECT 1 FROM article_topics AS ft WHERE ft.article_id = a.id "
            f"AND ft.topic_id IN {topic_ids})",
            list(slugs),
        )
    return Condition(
        f"a.id IN (SELECT article_id FROM article_topics WHERE topic_id IN {topic_ids})",
        list(slugs),
    )


def _range(column: str, bounds: IntRange) -> Condition | None:
    parts: list[str] = []
    params: list[Any] = []
    if bounds.min is not None:
        parts.append(f"{column} >= ?")
        params.append(bounds.min)
    if bounds.max is not None:
        parts.append(f"{column} <= ?")
        params.append(bounds.max)
    return Condition(" AND ".join(parts), params) if parts else None


def _count_test(column: str, present: bool) -> Condition:
    return Condition(f"{column} {'>' if present else '='} 0", [])


def _leaves(f: ArticleFilter, walk: bool) -> list[Condition]:
    found: list[Condition] = []
    if f.topics:
        found.append(_topic_ids(f.topics, walk))
    found.extend(_topic_ids([slug], walk) for slug in f.all_topics)
    if f.providers:
        providers = _ids_of("providers", "domain", f.providers)
        column = "+a.provider_id" if walk else "a.provider_id"
        found.append(Condition(f"{column} IN {providers}", list(f.providers)))
    # `+` keeps SQLite from driving a page through the index of a column with a few
    # values (half the corpus is `published`): walking the order's index and testing
    # each row is far cheaper. Those indexes serve the facets' GROUP BY instead.
    if f.types:
        found.append(_in("+a.type", f.types))  # the column's NOCASE collation applies
    if f.categories:
        found.append(_in("+a.category", f.categories))
    if f.published is not None:
        found.append(Condition("+a.published = ?", [int(f.published)]))
    if f.published_after is not None:
        found.append(Condition("a.published_ts >= ?", [f.published_after]))
    if f.published_before is not None:
        found.append(Condition("a.published_ts < ?", [f.published_before]))
    for column, bounds in (("a.quality", f.quality), ("a.heat", f.heat)):
        ranged = _range(column, bounds) if bounds else None
        if ranged:
            found.append(ranged)
    if f.has_image is not None:
        found.append(_count_test("a.image_count", f.has_image))
    if f.has_related is not None:
        found.append(_count_test("a.related_count", f.has_related))
    if f.slugs:
        found.append(_in("+a.slug" if walk else "a.slug", f.slugs))
    return found


def estimate(f: ArticleFilter, topics: dict[str, int], providers: dict[str, int]) -> int | None:
    """At most how many articles `f` matches, from the stored counts of the topics and
    providers it names (by slug and domain); None when nothing SQLite could collect
    through an index (topics, providers, slugs) bounds it."""
    bounds: list[int] = []
    if f.topics:
        bounds.append(sum(topics.get(slug, 0) for slug in f.topics))
    bounds.extend(topics.get(slug, 0) for slug in f.all_topics)
    if f.providers:
        bounds.append(sum(providers.get(domain, 0) for domain in f.providers))
    if f.slugs:
        bounds.append(len(f.slugs))
    for child in f.all_of:
        bound = estimate(child, topics, providers)
        if bound is not None:
            bounds.append(bound)
    if f.any_of:
        either = [estimate(child, topics, providers) for child in f.any_of]
        if all(bound is not None for bound in either):
            bounds.append(sum(bound for bound in either if bound is not None))
    return min(bounds) if bounds else None


def id_union(f: ArticleFilter) -> Condition | None:
    """When `f` is only a union of topics, providers and slugs (alone or under `or`),
    SQL for the ids it matches, each once or more (`x`), read from indexes without the
    articles' rows; None otherwise. Counting it needs DISTINCT."""
    if f == ArticleFilter(topics=f.topics) and f.topics:
        return Condition(
            "SELECT article_id AS x FROM article_topics WHERE topic_id IN "
            + _ids_of("topics", "slug", f.topics),
            list(f.topics),
        )
    if f == ArticleFilter(providers=f.providers) and f.providers:
        return Condition(
            "SELECT id AS x FROM articles WHERE provider_id IN "
            + _ids_of("providers", "domain", f.providers),
            list(f.providers),
        )
    if f == ArticleFilter(slugs=f.slugs) and f.slugs:
        return Condition(
            f"SELECT id AS x FROM articles WHERE slug IN ({placeholders(f.slugs)})", list(f.slugs)
        )
    if f == ArticleFilter(any_of=f.any_of) and f.any_of:
        parts = [id_union(child) for child in f.any_of]
        if all(part is not None for part in parts):
            used = [part for part in parts if part is not None]
            return Condition(
                " UNION ALL ".join(part.sql for part in used),
                [value for part in used for value in part.params],
            )
    return None


def named(f: ArticleFilter) -> tuple[set[str], set[str]]:
    """The topic slugs and provider domains `f` names anywhere."""
    topics = {*f.topics, *f.all_topics}
    providers = set(f.providers)
    for child in (*f.all_of, *f.any_of, *([f.negated] if f.negated else [])):
        more_topics, more_providers = named(child)
        topics |= more_topics
        providers |= more_providers
    return topics, providers


def _join(parts: list[Condition], operator: str) -> Condition:
    if len(parts) == 1:
        return parts[0]
    sql = f" {operator} ".join(f"({p.sql})" for p in parts)
    return Condition(sql, [v for p in parts for v in p.params])


def compile_filter(f: ArticleFilter, *, walk: bool = False) -> Condition:
    """The SQL condition over `a` (the articles table) that `f` describes.

    Topics, providers and slugs are written so that SQLite can collect their articles
    through an index (a page of a sparse filter sorts the few it finds) or, with
    `walk`, so that it tests each row instead: a page of a dense filter walks its
    order's index and stops at the page's end (see loaders/query/pages.py).
    """
    parts = _leaves(f, walk)
    parts.extend(compile_filter(child, walk=walk) for child in f.all_of)
    if f.any_of:
        parts.append(_join([compile_filter(child, walk=walk) for child in f.any_of], "OR"))
    if f.negated is not None:
        inner = compile_filter(f.negated, walk=walk)
        # ifnull: a NULL (a missing value) must count as "did not match" before NOT.
        parts.append(Condition(f"NOT ifnull(({inner.sql}), 0)", inner.params))
    return _join(parts, "AND") if parts else Condition.true()
