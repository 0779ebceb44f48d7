"""Batch-shaped reads that serve the GraphQL layer: one statement per call.

Every `*_by_*` function takes many keys and returns a mapping, so a DataLoader
can answer a whole page of parents with one statement. Rows are frozen
dataclasses; nothing here knows about GraphQL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from loaders.db import chunked, placeholders
from loaders.reader import Reader, Row


@dataclass(frozen=True, slots=True)
class ImageRow:
    url: str
    width: int | None
    height: int | None
    is_cached: bool | None

    @staticmethod
    def from_json(items: str) -> tuple[ImageRow, ...]:
        return tuple(
            ImageRow(i["url"], i.get("width"), i.get("height"), i.get("isCached"))
            for i in json.loads(items)
        )


@dataclass(frozen=True, slots=True)
class ArticleRow:
    id: int
    path: str
    slug: str
    title: str
    excerpt: str | None
    body: str
    category: str | None
    type: str | None
    published_at: str
    published_ts: int
    original_url: str | None
    web_url: str | None
    amp_url: str | None
    cdn_amp_url: str | None
    quality: int | None
    heat: int | None
    published: bool | None
    featured_content: str | None
    provider_id: int | None

    @property
    def sort_key(self) -> tuple[int, int]:
        """The keyset of the newest-first order."""
        return (self.published_ts, self.id)


ARTICLE_COLUMNS = (
    "a.id, a.path, a.slug, a.title, a.excerpt, a.body, a.category, a.type, a.published_at, "
    "a.published_ts, a.original_url, a.web_url, a.amp_url, a.cdn_amp_url, a.quality, a.heat, "
    "a.published, a.featured_content, a.provider_id"
)


def _article(row: Row) -> ArticleRow:
    article = ArticleRow(*row[:19])
    if article.published is not None:  # SQLite stores booleans as 0/1
        object.__setattr__(article, "published", bool(article.published))
    return article


@dataclass(frozen=True, slots=True)
class ProviderRow:
    id: int
    domain: str
    name: str
    images: tuple[ImageRow, ...]
    article_count: int


@dataclass(frozen=True, slots=True)
class TopicRow:
    id: int
    slug: str
    name: str
    article_count: int


@dataclass(frozen=True, slots=True)
class RelatedRow:
    article_id: int
    position: int
    title: str
    excerpt: str | None
    original_url: str | None
    web_url: str | None
    amp_url: str | None
    cdn_amp_url: str | None
    published_at: str | None
    type: str | None
    quality: int | None
    provider_name: str | None
    provider_domain: str | None
    images: tuple[ImageRow, ...]
    normalized_url: str | None
    target_id: int | None


# ---------------------------------------------------------------- single lookups


async def article_id_by_slug(db: Reader, slug: str) -> int | None:
    row = await db.fetch_one("SELECT id FROM articles WHERE slug = ?", (slug,))
    return row[0] if row else None


async def article_id_by_normalized_url(db: Reader, url: str) -> int | None:
    """Among articles sharing a URL, the first by path wins (as for related links)."""
    row = await db.fetch_one(
        "SELECT a.id FROM article_urls AS u JOIN articles AS a ON a.id = u.article_id "
        "WHERE u.url = ? ORDER BY a.path LIMIT 1",
        (url,),
    )
    return row[0] if row else None


# ---------------------------------------------------------------- batched by key


async def articles_by_ids(db: Reader, ids: Sequence[int]) -> dict[int, ArticleRow]:
    rows = await db.fetch(
        f"SELECT {ARTICLE_COLUMNS} FROM articles AS a WHERE a.id IN ({placeholders(ids)})",
        ids,
    )
    return {r[0]: _article(r) for r in rows}


async def articles_by_paths(db: Reader, paths: Sequence[str]) -> dict[str, ArticleRow]:
    rows = await db.fetch(
        f"SELECT {ARTICLE_COLUMNS} FROM articles AS a WHERE a.path IN ({placeholders(paths)})",
        paths,
    )
    return {r[1]: _article(r) for r in rows}


def _provider(row: Row) -> ProviderRow:
    return ProviderRow(row[0], row[1], row[2], ImageRow.from_json(row[3]), row[4])


PROVIDER_COLUMNS = "id, domain, name, images, article_count"
TOPIC_COLUMNS = "id, slug, name, article_count"


async def providers_by_ids(db: Reader, ids: Sequence[int]) -> dict[int, ProviderRow]:
    rows = await db.fetch(
        f"SELECT {PROVIDER_COLUMNS} FROM providers WHERE id IN ({placeholders(ids)})", ids
    )
    return {r[0]: _provider(r) for r in rows}


async def providers_by_domains(db: Reader, domains: Sequence[str]) -> dict[str, ProviderRow]:
    """Keyed by the domains as given; matching ignores case and surrounding spaces."""
    lowered = {d: d.strip().lower() for d in domains}
    keys = list(set(lowered.values()))
    rows = await db.fetch(
        f"SELECT {PROVIDER_COLUMNS} FROM providers WHERE domain IN ({placeholders(keys)})", keys
    )
    found = {r[1]: _provider(r) for r in rows}
    return {d: found[key] for d, key in lowered.items() if key in found}


async def topics_by_slugs(db: Reader, slugs: Sequence[str]) -> dict[str, TopicRow]:
    rows = await db.fetch(
        f"SELECT id, slug, name, article_count FROM topics WHERE slug IN ({placeholders(slugs)})",
        slugs,
    )
    return {r[1]: TopicRow(*r) for r in rows}


async def topics_by_article_ids(db: Reader, ids: Sequence[int]) -> dict[int, list[TopicRow]]:
    """Each article's topics in frontmatter order."""
    rows = await db.fetch(
        "SELECT at.article_id, t.id, t.slug, t.name, t.article_count "
        "FROM article_topics AS at JOIN topics AS t ON t.id = at.topic_id "
        f"WHERE at.article_id IN ({placeholders(ids)}) ORDER BY at.article_id, at.position",
        ids,
    )
    result: dict[int, list[TopicRow]] = defaultdict(list)
    for r in rows:
        result[r[0]].append(TopicRow(*r[1:]))
    return result


async def images_by_article_ids(db: Reader, ids: Sequence[int]) -> dict[int, list[ImageRow]]:
    rows = await db.fetch(
        "SELECT article_id, url, width, height, is_cached FROM images "
        f"WHERE article_id IN ({placeholders(ids)}) ORDER BY article_id, position",
        ids,
    )
    result: dict[int, list[ImageRow]] = defaultdict(list)
    for r in rows:
        result[r[0]].append(ImageRow(r[1], r[2], r[3], None if r[4] is None else bool(r[4])))
    return result


async def related_by_article_ids(db: Reader, ids: Sequence[int]) -> dict[int, list[RelatedRow]]:
    rows = await db.fetch(
        "SELECT article_id, position, title, excerpt, original_url, web_url, amp_url, "
        "cdn_amp_url, published_at, type, quality, provider_name, provider_domain, images, "
        "normalized_url, target_id FROM related "
        f"WHERE article_id IN ({placeholders(ids)}) ORDER BY article_id, position",
        ids,
    )
    result: dict[int, list[RelatedRow]] = defaultdict(list)
    for r in rows:
        result[r[0]].append(
            RelatedRow(
                article_id=r[0], position=r[1], title=r[2], excerpt=r[3], original_url=r[4],
                web_url=r[5], amp_url=r[6], cdn_amp_url=r[7], published_at=r[8], type=r[9],
                quality=r[10], provider_name=r[11], provider_domain=r[12],
                images=ImageRow.from_json(r[13]), normalized_url=r[14], target_id=r[15],
            )
        )  # fmt: skip
    return result


# ---------------------------------------------------------------- article pages


class Scope(Enum):
    """Which articles a page is drawn from; the parent key says whose."""

    ALL = "all"
    TOPIC = "topic"  # parent: topic id
    PROVIDER = "provider"  # parent: provider id
    RELATED_BY = "related_by"  # parent: article id; articles whose related lists name it


# Per scope: FROM/WHERE with one `?` for the parent, and the two keyset columns.
# Topic pages walk article_topics' (topic_id, published_ts, article_id) index.
_SCOPES: dict[Scope, tuple[str, str, str]] = {
    Scope.ALL: ("articles AS a WHERE ? IS NULL", "a.published_ts", "a.id"),
    Scope.TOPIC: (
        "article_topics AS s JOIN articles AS a ON a.id = s.article_id WHERE s.topic_id = ?",
        "s.published_ts",
        "s.article_id",
    ),
    Scope.PROVIDER: ("articles AS a WHERE a.provider_id = ?", "a.published_ts", "a.id"),
    Scope.RELATED_BY: (
        "articles AS a WHERE a.id IN (SELECT article_id FROM related WHERE target_id = ?)",
        "a.published_ts",
        "a.id",
    ),
}


MAX_UNION_BRANCHES = 200  # SQLite allows at most 500 terms in a compound SELECT
MAX_COUNT_KEYS = 1000


@dataclass(frozen=True, slots=True)
class PageRequest:
    """`first` rows newest first, strictly after the `after` keyset when given."""

    first: int
    after: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[ArticleRow]
    has_next: bool


def _page_branch(scope: Scope, request: PageRequest) -> tuple[str, list[Any]]:
    source, ts, ident = _SCOPES[scope]
    where = ""
    params: list[Any] = []
    if request.after is not None:
        # Row-value comparison: SQLite turns it into a range on the index.
        where = f" AND ({ts}, {ident}) < (?, ?)"
        params = list(request.after)
    sql = (
        f"SELECT * FROM (SELECT ? AS parent, {ARTICLE_COLUMNS} FROM {source}{where} "
        f"ORDER BY {ts} DESC, {ident} DESC LIMIT ?)"
    )
    return sql, params


async def article_pages(
    db: Reader, scope: Scope, request: PageRequest, parents: Sequence[int | None]
) -> dict[int | None, Page]:
    """One page per parent in a single statement (a UNION ALL of indexed branches)."""
    branch_sql, keyset = _page_branch(scope, request)
    grouped: dict[int | None, list[ArticleRow]] = {p: [] for p in parents}
    for part in chunked(parents, MAX_UNION_BRANCHES):
        sql = " UNION ALL ".join([branch_sql] * len(part))
        params: list[Any] = []
        for parent in part:
            params.extend([parent, parent, *keyset, request.first + 1])
        for r in await db.fetch(sql, params):
            grouped[r[0]].append(_article(r[1:]))
    return {
        p: Page(found[: request.first], len(found) > request.first) for p, found in grouped.items()
    }


async def has_articles_before(
    db: Reader, scope: Scope, parent: int | None, key: tuple[int, int]
) -> bool:
    """Whether any article of the scope sorts at or before the keyset `key`."""
    source, ts, ident = _SCOPES[scope]
    row = await db.fetch_one(
        f"SELECT EXISTS (SELECT 1 FROM {source} AND ({ts}, {ident}) >= (?, ?))",
        (parent, *key),
    )
    return bool(row and row[0])


async def article_counts(
    db: Reader, scope: Scope, parents: Sequence[int | None]
) -> dict[int | None, int]:
    """How many articles each parent's scope holds."""
    if scope is Scope.ALL:
        row = await db.fetch_one("SELECT count(*) FROM articles")
        return dict.fromkeys(parents, row[0] if row else 0)
    keys = [p for p in parents if p is not None]
    counts: dict[int | None, int] = dict.fromkeys(parents, 0)
    for part in chunked(keys, MAX_COUNT_KEYS):
        marks = placeholders(part)
        queries = {
            Scope.TOPIC: f"SELECT id, article_count FROM topics WHERE id IN ({marks})",
            Scope.PROVIDER: f"SELECT id, article_count FROM providers WHERE id IN ({marks})",
            Scope.RELATED_BY: (
                "SELECT target_id, count(DISTINCT article_id) FROM related "
                f"WHERE target_id IN ({marks}) GROUP BY target_id"
            ),
        }
        counts.update({r[0]: r[1] for r in await db.fetch(queries[scope], part)})
    return counts


# ---------------------------------------------------------------- lists of entities


async def _by_article_count(
    db: Reader, table: str, columns: str, key: str, first: int, after: tuple[int, str] | None
) -> tuple[list[Row], bool]:
    """A keyset page of `table`, most articles first, then by its unique `key`."""
    where, params = "", []
    if after is not None:
        where = f"WHERE (-article_count, {key}) > (?, ?)"
        params = [-after[0], after[1]]
    rows = await db.fetch(
        f"SELECT {columns} FROM {table} {where} ORDER BY article_count DESC, {key} LIMIT ?",
        [*params, first + 1],
    )
    return rows[:first], len(rows) > first


async def providers_page(
    db: Reader, first: int, after: tuple[int, str] | None
) -> tuple[list[ProviderRow], bool]:
    """Providers with the most articles first, then by domain."""
    rows, more = await _by_article_count(db, "providers", PROVIDER_COLUMNS, "domain", first, after)
    return [_provider(r) for r in rows], more


async def topics_page(
    db: Reader, first: int, after: tuple[int, str] | None
) -> tuple[list[TopicRow], bool]:
    """Topics with the most articles first, then by slug."""
    rows, more = await _by_article_count(db, "topics", TOPIC_COLUMNS, "slug", first, after)
    return [TopicRow(*r) for r in rows], more


async def entity_totals(db: Reader) -> tuple[int, int]:
    """(providers, topics) in the corpus."""
    row = await db.fetch_one(
        "SELECT (SELECT count(*) FROM providers), (SELECT count(*) FROM topics)"
    )
    return (row[0], row[1]) if row else (0, 0)
