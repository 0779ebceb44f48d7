"""Batch reads and keyset pages straight against SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from loaders import reads
from loaders.ingest import ingest
from loaders.reader import Reader
from loaders.reads import PageRequest, Scope

TIES = 30


@pytest.fixture
async def tied(tmp_path: Path) -> AsyncIterator[Reader]:
    """30 articles with one timestamp, topic and provider, all citing `target.md`."""
    folder = tmp_path / "tied"
    folder.mkdir()
    (folder / "target.md").write_text(
        "---\ntitle: T\npublishedDateTime: 2020-01-01\nwebUrl: https://t.example/x\n---\n"
    )
    for i in range(TIES):
        (folder / f"a{i:02d}.md").write_text(
            f"---\ntitle: A{i}\npublishedDateTime: 2021-01-01T00:00:00Z\ntopics: [Same]\n"
            "provider: {domain: same.example}\n"
            "related: [{title: T, webUrl: 'http://t.example/x/'}]\n---\n"
        )
    db_path = tmp_path / "tied.db"
    await ingest(db_path, [folder])
    reader = await Reader.open(db_path, size=1)
    yield reader
    await reader.close()


async def _parent(reader: Reader, scope: Scope) -> int | None:
    queries = {
        Scope.ALL: None,
        Scope.TOPIC: "SELECT id FROM topics WHERE slug = 'same'",
        Scope.PROVIDER: "SELECT id FROM providers WHERE domain = 'same.example'",
        Scope.RELATED_BY: "SELECT id FROM articles WHERE slug = 'target'",
    }
    sql = queries[scope]
    if sql is None:
        return None
    row = await reader.fetch_one(sql)
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("scope", list(Scope))
@pytest.mark.parametrize("size", [1, 7, 30])
async def test_pages_through_ties_visit_each_article_once(
    tied: Reader, scope: Scope, size: int
) -> None:
    parent = await _parent(tied, scope)
    seen: list[tuple[int, int]] = []
    after = None
    while True:
        page = (await reads.article_pages(tied, scope, PageRequest(size, after), [parent]))[parent]
        seen.extend(row.sort_key for row in page.rows)
        if after is not None:
            assert await reads.has_articles_before(tied, scope, parent, after)
        if not page.has_next:
            break
        after = page.rows[-1].sort_key
    expected = TIES + 1 if scope is Scope.ALL else TIES
    assert len(seen) == len(set(seen)) == expected
    assert seen == sorted(seen, reverse=True)
    counts = await reads.article_counts(tied, scope, [parent])
    assert counts[parent] == expected


async def test_first_zero_reports_whether_anything_exists(tied: Reader) -> None:
    page = (await reads.article_pages(tied, Scope.ALL, PageRequest(0), [None]))[None]
    assert page.rows == [] and page.has_next


async def test_more_parents_than_sqlite_compound_limit(tied: Reader) -> None:
    statements: list[str] = []
    await tied.set_trace(statements.append)
    parents: list[int | None] = list(range(1, 601))
    pages = await reads.article_pages(tied, Scope.PROVIDER, PageRequest(2), parents)
    await tied.set_trace(None)
    assert len(pages) == 600
    provider = await _parent(tied, Scope.PROVIDER)
    assert len(pages[provider].rows) == 2 and pages[provider].has_next
    assert len(statements) == 3  # 600 parents in chunks of 200
