"""Keyset pages, counts and positions straight against SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from loaders.ingest import ingest
from loaders.query.ordering import NEWEST_FIRST, OrderField, Ordering, OrderKey
from loaders.query.pages import PageRequest, article_counts, article_pages, exists_beyond
from loaders.query.sources import Scope
from loaders.reader import Reader
from tests.statements import StatementCounter

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


ORDERINGS = [
    NEWEST_FIRST,
    Ordering((OrderKey(OrderField.TITLE, False),)),
    Ordering((OrderKey(OrderField.HEAT, True), OrderKey(OrderField.TITLE, False))),
    Ordering((OrderKey(OrderField.TRENDING, False),)),
]


async def _walk(
    reader: Reader, scope: Scope, parent: int | None, ordering: Ordering, size: int,
    *, backwards: bool,
) -> list[int]:  # fmt: skip
    """Ids of every page, in list order, paging forwards (or backwards from the end)."""
    seen: list[int] = []
    position = None
    while True:
        if backwards:
            request = PageRequest(first=None, last=size, before=position, ordering=ordering)
        else:
            request = PageRequest(first=size, after=position, ordering=ordering)
        page = (await article_pages(reader, scope, request, [parent]))[parent]
        ids = [row.id for row in page.rows]
        seen = ids + seen if backwards else seen + ids
        if position is not None:
            assert await exists_beyond(
                reader, scope, parent, request.filter, ordering, position, before=not backwards
            )
        if not page.has_more:
            return seen
        edge = page.rows[0] if backwards else page.rows[-1]
        position = ordering.position(edge)


@pytest.mark.parametrize("scope", list(Scope))
@pytest.mark.parametrize("ordering", ORDERINGS, ids=lambda o: o.signature)
@pytest.mark.parametrize("size", [1, 7, 30])
async def test_pages_through_ties_visit_each_article_once_both_ways(
    tied: Reader, scope: Scope, ordering: Ordering, size: int
) -> None:
    parent = await _parent(tied, scope)
    forwards = await _walk(tied, scope, parent, ordering, size, backwards=False)
    backwards = await _walk(tied, scope, parent, ordering, size, backwards=True)
    expected = TIES + 1 if scope is Scope.ALL else TIES
    assert len(forwards) == len(set(forwards)) == expected
    assert backwards == forwards
    whole = PageRequest(first=100, ordering=ordering)
    assert [r.id for r in (await article_pages(tied, scope, whole, [parent]))[parent].rows] == (
        forwards
    )
    counts = await article_counts(tied, scope, whole.filter, [parent])
    assert counts[parent] == expected


async def test_first_zero_reports_whether_anything_exists(tied: Reader) -> None:
    page = (await article_pages(tied, Scope.ALL, PageRequest(first=0), [None]))[None]
    assert page.rows == [] and page.has_more


async def test_more_parents_than_sqlite_compound_limit(tied: Reader) -> None:
    counter = StatementCounter()
    await tied.set_trace(counter)
    parents: list[int | None] = list(range(1, 601))
    pages = await article_pages(tied, Scope.PROVIDER, PageRequest(first=2), parents)
    await tied.set_trace(None)
    assert len(pages) == 600
    provider = await _parent(tied, Scope.PROVIDER)
    assert len(pages[provider].rows) == 2 and pages[provider].has_more
    assert len(counter.statements) == 3  # 600 parents in chunks of 200
