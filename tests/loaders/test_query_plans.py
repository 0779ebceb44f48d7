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
from loaders.query import pages
from loaders.query.filters import ArticleFilter, IntRange
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


async def _traced_count(
    reader: Reader, article_filter: ArticleFilter
) -> tuple[dict[int | None, int], list[tuple[str, Sequence[Any]]]]:
    """The whole corpus's count under `article_filter`, and the statements it ran."""
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        counts = await pages.article_counts(reader, Scope.ALL, article_filter, [None])
    finally:
        await reader.set_trace(None)
    return counts, counter.traced


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


async def _named(corpus_db: Path) -> tuple[list[str], list[str]]:
    """Topic slugs and provider domains, most articles first."""
    conn = sqlite3.connect(corpus_db)
    try:
        topics = [r[0] for r in conn.execute("SELECT slug FROM topics ORDER BY article_count DESC")]
        providers = [
            r[0] for r in conn.execute("SELECT domain FROM providers ORDER BY article_count DESC")
        ]
        return topics, providers
    finally:
        conn.close()


async def _traced_page(reader: Reader, request: PageRequest) -> list[tuple[str, Sequence[Any]]]:
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        page = (await article_pages(reader, Scope.ALL, request, [None]))[None]
    finally:
        await reader.set_trace(None)
    assert page.rows
    return counter.traced


async def test_a_dense_filter_walks_the_order_and_a_sparse_one_collects(
    reader: Reader, corpus_db: Path
) -> None:
    topics, providers = await _named(corpus_db)
    dense = ArticleFilter(any_of=(
        ArticleFilter(topics=(topics[0], topics[-1])), ArticleFilter(providers=(providers[-1],)),
    ))  # fmt: skip
    statements = await _traced_page(reader, PageRequest(first=20, filter=dense))
    # The stored counts of what the filter names, then the page.
    assert len(statements) == 2 and "article_count" in statements[0][0]
    plan = "\n".join(_plan(corpus_db, statements[1]))
    assert "SCAN a USING INDEX articles_newest" in plan and "TEMP B-TREE" not in plan, plan
    sparse = ArticleFilter(topics=(topics[-1], topics[-2]))
    statements = await _traced_page(reader, PageRequest(first=20, filter=sparse))
    plan = "\n".join(_plan(corpus_db, statements[-1]))
    assert "TEMP B-TREE FOR ORDER BY" in plan, plan  # collected through indexes, then sorted
    # A filter SQLite cannot collect through an index costs no estimate.
    plain = await _traced_page(reader, PageRequest(first=20, filter=ArticleFilter(published=True)))
    assert len(plain) == 1


async def test_walking_and_collecting_give_the_same_pages(
    reader: Reader, corpus_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    topics, providers = await _named(corpus_db)
    slugs = [r[0] for r in sqlite3.connect(corpus_db).execute("SELECT slug FROM articles LIMIT 40")]
    filters = [
        ArticleFilter(topics=(topics[0], topics[5])),
        ArticleFilter(all_topics=(topics[0], topics[1])),
        ArticleFilter(providers=(providers[0], providers[3]), has_image=True),
        ArticleFilter(slugs=tuple(slugs)),
        ArticleFilter(any_of=(ArticleFilter(topics=(topics[0],)),
                              ArticleFilter(providers=(providers[-1],)))),
        ArticleFilter(topics=(topics[2], topics[3]),
                      negated=ArticleFilter(providers=(providers[0],))),
        ArticleFilter(all_of=(ArticleFilter(any_of=(ArticleFilter(topics=(topics[1],)),
                                                    ArticleFilter(slugs=tuple(slugs[:5])))),),
                      quality=None, published=True),
    ]  # fmt: skip
    orderings = [NEWEST_FIRST, TRENDING, Ordering((OrderKey(OrderField.TITLE, False),))]
    compared = 0
    for article_filter in filters:
        for ordering in orderings:
            first = PageRequest(first=7, filter=article_filter, ordering=ordering)
            answers = []
            for walk in (True, False):

                async def decided(db: Reader, request: PageRequest, walk: bool = walk) -> bool:
                    return walk

                monkeypatch.setattr(pages, "_walks", decided)
                page = (await article_pages(reader, Scope.ALL, first, [None]))[None]
                windows = [page]
                if page.rows:
                    after = ordering.position(page.rows[-1])
                    for request in (
                        PageRequest(first=7, after=after, filter=article_filter, ordering=ordering),
                        PageRequest(first=None, last=5, before=after, filter=article_filter,
                                    ordering=ordering),
                        PageRequest(first=6, offset=9, filter=article_filter, ordering=ordering),
                    ):  # fmt: skip
                        windows.append(
                            (await article_pages(reader, Scope.ALL, request, [None]))[None]
                        )
                answers.append([([r.id for r in w.rows], w.has_more) for w in windows])
            assert answers[0] == answers[1], (article_filter, ordering)
            compared += sum(len(ids) for ids, _ in answers[0])
    assert compared > 300  # the filters do find articles


async def test_a_union_of_topics_providers_and_slugs_is_counted_from_indexes(
    reader: Reader, corpus_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    topics, providers = await _named(corpus_db)
    conn = sqlite3.connect(corpus_db)
    # An article of the biggest provider in the biggest topic: counted once in their union.
    both = conn.execute(
        "SELECT a.slug FROM articles a JOIN article_topics t ON t.article_id = a.id "
        "JOIN topics tp ON tp.id = t.topic_id JOIN providers p ON p.id = a.provider_id "
        "WHERE tp.slug = ? AND p.domain = ? LIMIT 1",
        (topics[0], providers[0]),
    ).fetchone()[0]
    conn.close()
    filters = [
        ArticleFilter(topics=(topics[0], topics[1])),
        ArticleFilter(providers=(providers[0], providers[1])),
        ArticleFilter(slugs=(both, both, "no-such-slug")),
        ArticleFilter(any_of=(ArticleFilter(topics=(topics[0],)),
                              ArticleFilter(providers=(providers[0],)),
                              ArticleFilter(slugs=(both,)))),
        ArticleFilter(any_of=(ArticleFilter(any_of=(ArticleFilter(topics=(topics[2],)),)),
                              ArticleFilter(topics=(topics[0], topics[2])))),
    ]  # fmt: skip
    for article_filter in filters:
        fast, traced = await _traced_count(reader, article_filter)
        assert len(traced) == 1 and "count(DISTINCT x)" in traced[0][0]
        assert "articles AS a" not in traced[0][0]
        with monkeypatch.context() as patched:
            patched.setattr(pages, "id_union", lambda f: None)
            plain = await pages.article_counts(reader, Scope.ALL, article_filter, [None])
        assert fast == plain and plain[None] > 0, article_filter
    # Anything else is counted as before.
    mixed = ArticleFilter(topics=(topics[0], topics[1]), published=True)
    _, traced = await _traced_count(reader, mixed)
    assert "count(DISTINCT x)" not in traced[0][0]


async def test_a_count_under_flag_filters_reads_an_index_not_the_table(
    reader: Reader, corpus_db: Path
) -> None:
    flags = ArticleFilter(published=True, has_image=True, quality=IntRange(min=50))
    counted, (statement,) = await _traced_count(reader, flags)
    assert any("COVERING INDEX articles_flags" in step for step in _plan(corpus_db, statement))
    direct = _first(
        corpus_db,
        "SELECT count(*) FROM articles WHERE published = 1 AND image_count > 0 AND quality >= 50",
    )
    assert counted[None] == direct > 0
