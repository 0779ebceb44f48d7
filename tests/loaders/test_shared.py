"""The store of providers and topics kept across the requests of one corpus version."""

from __future__ import annotations

from loaders.reader import Reader
from loaders.shared import SharedRows
from schema.build import schema
from schema.context import Context
from tests.conftest import ok
from tests.statements import StatementCounter


def test_a_request_gets_the_store_only_for_the_version_it_holds() -> None:
    shared = SharedRows()
    assert shared.for_version(None) is None and shared.for_version(-1) is None
    store = shared.for_version(3)
    assert store is shared
    store.keep("topics", {1: "a"})
    assert shared.for_version(3) is shared and shared.table("topics") == {1: "a"}
    # A request still at an older version reads the database; the store stays.
    assert shared.for_version(2) is None and shared.table("topics") == {1: "a"}
    # A newer version empties it.
    assert shared.for_version(4) is shared and shared.table("topics") == {}
    assert len(shared) == 0 and shared.version == 4


def test_the_store_empties_rather_than_growing_past_its_bound() -> None:
    shared = SharedRows(max_rows=3)
    store = shared.for_version(1)
    assert store is not None
    store.keep("a", {1: 1, 2: 2})
    store.keep("a", {2: 2})  # known again: not counted twice
    assert len(store) == 2
    store.keep("b", {3: 3, 4: 4})
    assert len(store) == 2 and store.table("a") == {} and store.table("b") == {3: 3, 4: 4}
    assert store.version == 1


CARDS = "{ articles(first: 20) { nodes { slug provider { name } topics { name } } } }"


async def _statements(reader: Reader, shared: SharedRows | None) -> tuple[list[str], object]:
    counter = StatementCounter()
    await reader.set_trace(counter)
    context = Context(db=reader, shared_rows=shared)
    try:
        result = ok(await schema.execute(CARDS, context_value=context))
    finally:
        await reader.set_trace(None)
    return counter.statements, result


async def test_a_second_request_reads_only_its_page(reader: Reader) -> None:
    shared = SharedRows()
    first, answer = await _statements(reader, shared.for_version(1))
    assert len(first) == 3, first  # page, providers, topics
    second, again = await _statements(reader, shared.for_version(1))
    assert len(second) == 1 and again == answer, second
    # Without the store (or at an older version) every request reads them.
    alone, plain = await _statements(reader, None)
    assert len(alone) == 3 and plain == answer
    older, _ = await _statements(reader, shared.for_version(0))
    assert len(older) == 3
    assert {"providers by id", "topics by id"} <= set(shared._tables)


async def test_rows_not_found_are_not_kept(reader: Reader) -> None:
    shared = SharedRows()
    query = '{ topic(slug: "no-such-topic") { name } }'
    for _ in range(2):
        counter = StatementCounter()
        await reader.set_trace(counter)
        try:
            context = Context(db=reader, shared_rows=shared.for_version(1))
            assert ok(await schema.execute(query, context_value=context))["topic"] is None
        finally:
            await reader.set_trace(None)
        assert len(counter.statements) == 1
    assert len(shared) == 0
