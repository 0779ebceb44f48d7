"""Batch-shaped reads that serve the GraphQL layer: one statement per call.

Every `*_by_*` function takes many keys and returns a mapping, so a DataLoader
can answer a whole page of parents with one statement. Rows are frozen
dataclasses; nothing here knows about GraphQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import orjson

from loaders.db import placeholders
from loaders.reader import Reader
from loaders.rows import (
    ARTICLE_COLUMNS,
    ARTICLE_JOIN,
    RELATED_COLUMNS,
    ArticleRow,
    ImageRow,
    ProviderRow,
    RelatedRow,
    Row,
    TopicRow,
    article_row,
    related_row,
)

# ---------------------------------------------------------------- single lookups


async def article_by_slug(db: Reader, slug: str) -> ArticleRow | None:
    row = await db.fetch_one(
        f"SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_JOIN} WHERE a.slug = ?", (slug,)
    )
    return article_row(row) if row else None


async def article_by_normalized_url(db: Reader, url: str) -> ArticleRow | None:
    """Among articles sharing a URL, the first by path wins (as for related links)."""
    row = await db.fetch_one(
        f"SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_JOIN} JOIN article_urls AS u "
        "ON u.article_id = a.id WHERE u.url = ? ORDER BY a.path LIMIT 1",
        (url,),
    )
    return article_row(row) if row else None


# ---------------------------------------------------------------- batched by key


async def articles_by_ids(db: Reader, ids: Sequence[int]) -> dict[int, ArticleRow]:
    rows = await db.fetch(
        f"SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_JOIN} WHERE a.id IN ({placeholders(ids)})",
        ids,
    )
    return {r[0]: article_row(r) for r in rows}


async def articles_by_paths(db: Reader, paths: Sequence[str]) -> dict[str, ArticleRow]:
    rows = await db.fetch(
        f"SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_JOIN} WHERE a.path IN ({placeholders(paths)})",
        paths,
    )
    return {r[1]: article_row(r) for r in rows}


async def bodies_by_article_ids(db: Reader, ids: Sequence[int]) -> dict[int, str]:
    """Markdown bodies, read only when a client asks for them: they can be large."""
    rows = await db.fetch(
        f"SELECT id, body FROM article_content WHERE id IN ({placeholders(ids)})", ids
    )
    return {r[0]: r[1] for r in rows}


async def extras_by_article_ids(db: Reader, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The publisher's own frontmatter keys (loaders/parse.py), of the articles that
    have any; read only when a client asks for them."""
    rows = await db.fetch(
        f"SELECT id, extra FROM article_content WHERE id IN ({placeholders(ids)}) "
        "AND extra IS NOT NULL",
        ids,
    )
    return {r[0]: orjson.loads(r[1]) for r in rows}


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
        f"SELECT {TOPIC_COLUMNS} FROM topics WHERE slug IN ({placeholders(slugs)})",
        slugs,
    )
    return {r[1]: TopicRow(*r) for r in rows}


async def topics_by_ids(db: Reader, ids: Sequence[int]) -> dict[int, TopicRow]:
    """Topics by id: an article's own list of topics is its row's `topic_ids`."""
    rows = await db.fetch(
        f"SELECT {TOPIC_COLUMNS} FROM topics WHERE id IN ({placeholders(ids)})", ids
    )
    return {r[0]: TopicRow(*r) for r in rows}


async def related_by_article_ids(db: Reader, ids: Sequence[int]) -> dict[int, list[RelatedRow]]:
    rows = await db.fetch(
        f"SELECT {RELATED_COLUMNS} FROM related "
        f"WHERE article_id IN ({placeholders(ids)}) ORDER BY article_id, position",
        ids,
    )
    result: dict[int, list[RelatedRow]] = defaultdict(list)
    for r in rows:
        result[r[0]].append(related_row(r))
    return result


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


async def count_entities_before(
    db: Reader, table: str, key: str, position: tuple[int, str], *, inclusive: bool = False
) -> int:
    """How many rows of `table` come before (`inclusive`: or at) `position` in the
    most-articles-first order: page numbers of the topic and provider lists."""
    op = "<=" if inclusive else "<"
    row = await db.fetch_one(
        f"SELECT count(*) FROM {table} WHERE (-article_count, {key}) {op} (?, ?)",
        (-position[0], position[1]),
    )
    return int(row[0]) if row else 0


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
