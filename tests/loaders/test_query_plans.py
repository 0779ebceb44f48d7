"""The main page shapes are index walks, not scans and sorts.

Each shape runs through the real code path with statement tracing; the captured SQL
is then explained with EXPLAIN QUERY PLAN on a 1,000-article synthetic corpus. A
plan that reads the right index and needs no temporary B-tree for ORDER BY costs the
same at 100,000 articles as at 1,000 (tests/benchmarks measures it).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from loaders.ingest import ingest
from loaders.query.filters import ArticleFilter
from loaders.query.ordering import NEWEST_FIRST, OrderField, Ordering, OrderKey
from loaders.query.pages import PageRequest, article_pages
from loaders.query.sources import Scope
from loaders.reader import Reader
from loaders.synthetic import generate_corpus
from tests.statements import StatementCounter

TRENDING = Ordering((OrderKey(OrderField.TRENDING, True),))
DAY = 86_400_000_000


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plans")
    generate_corpus(folder / "corpus", 1000, seed=7)
    asyncio.run(ingest(folder / "plans.db", [folder / "corpus"]))
    return folder / "plans.db"


@pytest.fixture
async def reader(corpus_db: Path) -> AsyncIterator[Reader]:
    reader = await Reader.open(corpus_db, size=1)
    yield reader
    await reader.close()


def _first(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def _plan(db: Path, statement: tuple[str, Sequence[Any]]) -> list[str]:
    sql, params = statement
    conn = sqlite3.connect(db)
    try:
        return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    finally:
        conn.close()


async def _page_sql(
    reader: Reader, scope: Scope, parent: int | None, request: PageRequest
) -> tuple[str, Sequence[Any]]:
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        page = (await article_pages(reader, scope, request, [parent]))[parent]
    finally:
        await reader.set_trace(None)
    assert page.rows, "the shape should find articles"
    assert len(counter.traced) == 1
    return counter.traced[0]


async def test_main_shapes_walk_an_index_without_sorting(reader: Reader, corpus_db: Path) -> None:
    topic = _first(corpus_db, "SELECT id FROM topics ORDER BY article_count DESC LIMIT 1")
    slug = (await reader.fetch_one("SELECT slug FROM topics WHERE id = ?", [topic]) or [""])[0]
    provider = _first(corpus_db, "SELECT id FROM providers ORDER BY article_count DESC LIMIT 1")
    newest = _first(corpus_db, "SELECT max(published_ts) FROM articles")
    shapes = {
        "newest first": (Scope.ALL, None, PageRequest(first=20), "articles_newest"),
        "by topic": (Scope.TOPIC, topic, PageRequest(first=20), "article_topics_by_topic"),
        "filtered on one topic": (
            Scope.ALL, None, PageRequest(first=20, filter=ArticleFilter(topics=(slug,))),
            "article_topics_by_topic",
        ),
        "by provider": (Scope.PROVIDER, provider, PageRequest(first=20), "articles_by_provider"),
        "by date range": (
            Scope.ALL, None,
            PageRequest(first=20, filter=ArticleFilter(
                published_after=newest - 400 * DAY, published_before=newest - 30 * DAY)),
            "articles_newest",
        ),
        "trending": (Scope.ALL, None, PageRequest(first=20, ordering=TRENDING),
                     "articles_trending"),
        "trending in a topic": (Scope.TOPIC, topic, PageRequest(first=20, ordering=TRENDING),
                                "article_topics_trending"),
        "trending of a provider": (Scope.PROVIDER, provider,
                                   PageRequest(first=20, ordering=TRENDING),
                                   "articles_by_provider_trending"),
        "newest published only": (
            Scope.ALL, None, PageRequest(first=20, filter=ArticleFilter(published=True)),
            "articles_newest",
        ),
        "backwards from the end": (Scope.ALL, None, PageRequest(first=None, last=20),
                                   "articles_newest"),
    }  # fmt: skip
    problems = {}
    for name, (scope, parent, request, index) in shapes.items():
        plan = _plan(corpus_db, await _page_sql(reader, scope, parent, request))
        text = "\n".join(plan)
        if index not in text or "TEMP B-TREE FOR ORDER BY" in text:
            problems[name] = plan
    assert problems == {}


async def test_a_cursor_continues_inside_the_index_range(reader: Reader, corpus_db: Path) -> None:
    first = (await article_pages(reader, Scope.ALL, PageRequest(first=20), [None]))[None]
    after = NEWEST_FIRST.position(first.rows[-1])
    sql = await _page_sql(reader, Scope.ALL, None, PageRequest(first=20, after=after))
    plan = "\n".join(_plan(corpus_db, sql))
    # A range search on the index (published_ts, id) < (?, ?), not a scan from the top.
    assert "SEARCH a USING INDEX articles_newest" in plan, plan
