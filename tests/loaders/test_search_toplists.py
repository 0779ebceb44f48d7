"""Top lists answer one-word searches exactly, and ingests keep them true.

Small thresholds make lists on a small synthetic corpus; every page they serve is
compared with the page that scoring every match gives.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from loaders import db
from loaders.ingest import ingest
from loaders.query.filters import ArticleFilter
from loaders.query.ordering import MOST_RELEVANT
from loaders.query.pages import PageRequest
from loaders.reader import Reader
from loaders.search import toplists
from loaders.search.hits import HitPage, search_page
from loaders.search.language import parse_query
from loaders.search.statistics import AVERAGES_SQL, CorpusStats, idf
from loaders.search.weights import RELEVANCE_SQL
from loaders.synthetic import generate_corpus
from tests.loaders.conftest import SMALL_LIST_SIZE, SMALL_MIN_ARTICLES
from tests.statements import StatementCounter

ARTICLES = 400
WORDS = ("data", "apps", "cloud", "teams", "the", "platform")
FILTERS = [
    ArticleFilter(),
    ArticleFilter(types=("article",)),
    ArticleFilter(published=True),
    ArticleFilter(types=("video",)),  # narrow: often cannot be proven from the list
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("toplists") / "corpus"
    generate_corpus(folder, ARTICLES, seed=11)
    return folder


@pytest.fixture(scope="module")
def listed_db(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    """The corpus ingested with small lists (read-only for the tests that use it)."""
    db_path = tmp_path_factory.mktemp("listed") / "lists.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(toplists, "MIN_ARTICLES", SMALL_MIN_ARTICLES)
        patch.setattr(toplists, "LIST_SIZE", SMALL_LIST_SIZE)
        asyncio.run(ingest(db_path, [corpus], workers=0))
    return db_path


@pytest.fixture
async def listed(listed_db: Path) -> AsyncIterator[Reader]:
    reader = await Reader.open(listed_db, size=1)
    yield reader
    await reader.close()


def _ids(page: HitPage) -> list[tuple[int, float | None]]:
    return [(hit.row.id, hit.score) for hit in page.hits]


async def _compare_walk(db: Reader, word: str, filter: ArticleFilter, size: int) -> int:
    """Walk pages by cursor; each must equal the fully scored page. Pages from lists."""
    query = parse_query(word)
    after = None
    served = 0
    for _ in range(4):
        request = PageRequest(first=size, after=after, filter=filter, ordering=MOST_RELEVANT)
        fast = await search_page(db, query, request)
        full = await search_page(db, query, request, top_lists=False)
        assert _ids(fast) == _ids(full), (word, filter, after)
        assert fast.has_more == full.has_more
        served += fast.from_top_list
        if not fast.hits:
            break
        last = fast.hits[-1]
        assert last.score is not None
        after = (last.score, last.row.id)
    return served


async def test_lists_serve_exact_pages(listed: Reader) -> None:
    terms = await listed.fetch("SELECT count(*) FROM search_terms")
    assert terms[0][0] > len(WORDS)
    served = 0
    for word in WORDS:
        for filter in FILTERS:
            served += await _compare_walk(listed, word, filter, 5)
    assert served > 20  # most first pages come from the lists


async def test_offsets_and_exhausted_lists_fall_back_exactly(listed: Reader) -> None:
    query = parse_query("data")
    for offset in (0, 10, 24, 29, 60):
        request = PageRequest(first=5, offset=offset, ordering=MOST_RELEVANT)
        fast = await search_page(listed, query, request)
        full = await search_page(listed, query, request, top_lists=False)
        assert _ids(fast) == _ids(full)
        assert fast.from_top_list == (offset + 5 < 30)  # the list proves the first 30 only


async def test_a_listed_page_costs_three_statements(listed: Reader) -> None:
    counter = StatementCounter()
    await listed.set_trace(counter)
    page = await search_page(
        listed, parse_query("Data"), PageRequest(first=20, ordering=MOST_RELEVANT)
    )
    await listed.set_trace(None)
    assert page.from_top_list and len(page.hits) == 20
    # statistics, the list's candidates, the page's rows
    assert len(counter.statements) == 3, counter.statements


async def _check_invariant(db: Reader) -> int:
    """Every article outside a word's list scores at most what the bound allows."""
    block = await db.fetch_one(AVERAGES_SQL)
    assert block is not None
    corpus = CorpusStats.from_block(block[0])
    checked = 0
    for word, threshold, list_avgdl, containing in await db.fetch(
        "SELECT term, threshold, avgdl, containing FROM search_terms"
    ):
        listed = {
            r[0]
            for r in await db.fetch("SELECT article_id FROM search_top WHERE term = ?", (word,))
        }
        scores = await db.fetch(
            f"SELECT rowid, {RELEVANCE_SQL} FROM article_fts WHERE article_fts MATCH ?",
            (f'"{word}"',),
        )
        assert containing == len(scores), word  # kept exact for the idf
        bound = idf(corpus.rows, len(scores)) * threshold * max(1.0, corpus.avgdl / list_avgdl)
        outside = [score for rowid, score in scores if rowid not in listed]
        assert all(score <= bound * toplists.SAFETY for score in outside), word
        assert len(listed) <= len(scores)
        checked += 1
    return checked


async def test_ingests_keep_lists_true(tmp_path: Path, corpus: Path, small_lists: None,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(toplists, "REBUILD_FRACTION", 1.0)  # only deltas after the first build
    monkeypatch.setattr(toplists, "MAX_DRIFT", 1.0)
    folder = tmp_path / "corpus"
    shutil.copytree(corpus, folder)
    db_path = tmp_path / "delta.db"
    await ingest(db_path, [folder], workers=0)
    files = sorted(folder.rglob("*.md"))
    # Edits that push articles into lists (a word repeated in the title) and out of them.
    for path in files[:15]:
        text = path.read_text()
        path.write_text(re.sub(r"^title: .*$", "title: data data cloud data apps", text, count=1,
                               flags=re.M))  # fmt: skip
    for path in files[15:40]:
        path.unlink()
    for i in range(10):
        (folder / f"added_{i}.md").write_text(
            f"---\ntitle: Cloud data teams {i}\npublishedDateTime: 2021-12-0{i % 9 + 1}\n---\n"
            + "data cloud apps platform " * (i + 1)
            + "\n"
        )
    before = await _state(db_path)
    report = await ingest(db_path, [folder], workers=0)
    assert len(report.updated) == 15 and len(report.removed) == 25 and len(report.added) == 10
    after = await _state(db_path)
    assert after["changes"] == before["changes"] + 50  # the delta path ran, not a rebuild
    reader = await Reader.open(db_path, size=1)
    try:
        assert await _check_invariant(reader) > len(WORDS)
        served = 0
        for word in WORDS:
            for filter in FILTERS:
                served += await _compare_walk(reader, word, filter, 5)
        assert served > 20
        top = await search_page(
            reader, parse_query("data"), PageRequest(first=15, ordering=MOST_RELEVANT)
        )
        edited = {
            r[0]
            for r in await reader.fetch(
                "SELECT id FROM articles WHERE sort_title LIKE 'data data%'"
            )
        }
        # Edited articles reached the list (their old entries were dropped on edit).
        assert top.from_top_list and edited & {hit.row.id for hit in top.hits}
    finally:
        await reader.close()


async def _state(db_path: Path) -> dict[str, float]:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (toplists.STATE_KEY,)).fetchone()
        data: dict[str, float] = json.loads(row[0])
        return data
    finally:
        conn.close()


async def _a_fifth_removed(tmp_path: Path, corpus: Path) -> tuple[Path, Path]:
    """(folder, database): the corpus ingested, then a fifth of its files deleted."""
    folder = tmp_path / "corpus"
    shutil.copytree(corpus, folder)
    db_path = tmp_path / "rebuild.db"
    await ingest(db_path, [folder], workers=0)
    for path in sorted(folder.rglob("*.md"))[: ARTICLES // 5]:
        path.unlink()
    return folder, db_path


async def _assert_lists_rebuilt(db_path: Path) -> None:
    assert (await _state(db_path))["changes"] == 0
    reader = await Reader.open(db_path, size=1)
    try:
        assert await _check_invariant(reader) > len(WORDS)
        sizes = await reader.fetch("SELECT count(*) FROM search_top GROUP BY term")
        assert all(size == toplists.LIST_SIZE for (size,) in sizes)
    finally:
        await reader.close()


def _stored_lists(db_path: Path) -> tuple[int, int]:
    """(listed words, the lists' state rows)."""
    conn = sqlite3.connect(db_path)
    try:
        words = conn.execute("SELECT count(*) FROM search_terms").fetchone()[0]
        states = conn.execute(
            "SELECT count(*) FROM meta WHERE key = ?", (toplists.STATE_KEY,)
        ).fetchone()[0]
        return words, states
    finally:
        conn.close()


@pytest.mark.parametrize("workers", [0, 2], ids=["thread", "processes"])
async def test_large_changes_rebuild_the_lists(
    tmp_path: Path, corpus: Path, small_lists: None, workers: int
) -> None:
    """A fifth of the corpus changed: the lists are rebuilt, after the ingest's COMMIT."""
    folder, db_path = await _a_fifth_removed(tmp_path, corpus)
    report = await ingest(db_path, [folder], workers=workers)
    assert len(report.removed) == ARTICLES // 5
    await _assert_lists_rebuilt(db_path)


async def test_lists_computed_before_another_ingest_committed_are_not_stored(
    tmp_path: Path, corpus: Path, small_lists: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, db_path = await _a_fifth_removed(tmp_path, corpus)
    computed = toplists.lists_in_processes

    async def another_ingest_commits_meanwhile(*args: Any) -> list[toplists.WordList]:
        made = await computed(*args)
        other = sqlite3.connect(db_path)  # what any ingest that changes articles does
        with other:
            other.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'corpus_version'"
            )
        other.close()
        return made

    monkeypatch.setattr(toplists, "lists_in_processes", another_ingest_commits_meanwhile)
    await ingest(db_path, [folder], workers=0)
    assert _stored_lists(db_path) == (0, 0)  # possibly stale: not stored
    monkeypatch.setattr(toplists, "lists_in_processes", computed)
    again = await ingest(db_path, [folder], workers=0)
    assert not again.changed  # nothing changed, and the missing lists were rebuilt
    await _assert_lists_rebuilt(db_path)


async def test_lists_that_fail_after_commit_cost_speed_not_the_ingest(
    tmp_path: Path, corpus: Path, small_lists: None, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    folder, db_path = await _a_fifth_removed(tmp_path, corpus)
    computed = toplists.lists_in_processes

    async def broken(*args: Any) -> list[toplists.WordList]:
        raise RuntimeError("a list process died")

    monkeypatch.setattr(toplists, "lists_in_processes", broken)
    report = await ingest(db_path, [folder], workers=0)  # reports what it committed
    assert len(report.removed) == ARTICLES // 5
    assert "top lists not rebuilt" in caplog.text and "a list process died" in caplog.text
    conn = sqlite3.connect(db_path)
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    assert articles == ARTICLES - ARTICLES // 5
    assert _stored_lists(db_path) == (0, 0)  # searches score every match meanwhile
    monkeypatch.setattr(toplists, "lists_in_processes", computed)
    again = await ingest(db_path, [folder], workers=0)
    assert not again.changed  # nothing changed, and the missing lists were rebuilt
    await _assert_lists_rebuilt(db_path)


async def test_missing_lists_are_rebuilt_inside_a_changing_ingest(
    tmp_path: Path, corpus: Path, small_lists: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream of ingests, each committing before the last one's lists are stored, must
    not defer the rebuild for ever: an ingest that finds the lists missing and changes
    articles rebuilds them in its own transaction."""
    folder, db_path = await _a_fifth_removed(tmp_path, corpus)
    computed = toplists.lists_in_processes
    calls: list[int] = []

    async def never_stored(*args: Any) -> list[toplists.WordList]:
        calls.append(1)
        raise RuntimeError("another ingest committed first")

    monkeypatch.setattr(toplists, "lists_in_processes", never_stored)
    await ingest(db_path, [folder], workers=0)
    assert calls == [1] and _stored_lists(db_path) == (0, 0)
    monkeypatch.setattr(toplists, "lists_in_processes", computed)
    edited = sorted(folder.rglob("*.md"))[0]
    edited.write_text(edited.read_text().replace("\n---\n", "\n---\nOne more line.\n", 1))
    monkeypatch.setattr(toplists, "lists_in_processes", never_stored)
    changed = await ingest(db_path, [folder], workers=0)
    assert changed.changed and calls == [1]  # rebuilt in the transaction, not deferred
    await _assert_lists_rebuilt(db_path)


async def test_storing_lists_gives_way_to_an_ingest_holding_the_database(
    tmp_path: Path, corpus: Path, small_lists: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "held.db"
    await ingest(db_path, [corpus], workers=0)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    conn = await db.connect(db_path)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as another ingest would
    try:
        assert await toplists.store_lists(conn, [], corpus_version=1) is False
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await toplists.store_lists(conn, [])  # a first ingest's own file: an error
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await conn.close()
