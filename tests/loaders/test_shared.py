"""The store of providers and topics kept across the requests of one corpus version."""

from __future__ import annotations

from pathlib import Path

from loaders.ingest import ingest
from loaders.query.filters import ArticleFilter
from loaders.reader import Reader
from loaders.shared import SharedRows
from schema.build import schema
from schema.context import Context
from tests.conftest import ingested_reader, ok
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


async def _statements(
    reader: Reader, shared: SharedRows | None, query: str = CARDS, variables: dict | None = None
) -> tuple[list[str], dict]:
    """The statements a request ran, and its answer."""
    counter = StatementCounter()
    await reader.set_trace(counter)
    context = Context(db=reader, shared_rows=shared)
    try:
        result = ok(await schema.execute(query, variables, context_value=context))
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
        statements, answer = await _statements(reader, shared.for_version(1), query)
        assert answer["topic"] is None
        assert len(statements) == 1
    assert len(shared) == 0


def test_a_kept_value_counts_its_weight_against_the_bound() -> None:
    shared = SharedRows(max_rows=10)
    store = shared.for_version(1)
    assert store is not None
    store.keep("facets", {("k", None): (1, 2, 3)}, weight=4)
    store.keep("topics", {1: "a"})
    assert len(store) == 5
    store.keep("facets", {("j", None): tuple(range(5))}, weight=6)  # 11 > 10: emptied first
    assert len(store) == 6 and store.table("topics") == {}


FACETED = """query($after: String) {
  articles(first: 3, after: $after, filter: {hasImage: false}) {
    totalCount pageInfo { endCursor }
    facets { providers { value count } months { value count } topics { value count } }
  }
}"""


async def _faceted(
    reader: Reader, shared: SharedRows | None, after: str | None = None
) -> tuple[list[str], dict]:
    statements, result = await _statements(reader, shared, FACETED, {"after": after})
    return statements, result["articles"]


async def test_later_pages_of_a_list_share_its_facets_and_total(reader: Reader) -> None:
    """Facets and totalCount count the whole filtered list: every page asks for the same
    ones, and only the first request of the version reads them."""
    shared = SharedRows()
    first, page1 = await _faceted(reader, shared.for_version(1))
    assert len(first) == 5, first  # page, total, three facets
    second, page2 = await _faceted(reader, shared.for_version(1), page1["pageInfo"]["endCursor"])
    assert len(second) == 1, second  # only the page
    assert page2["pageInfo"] != page1["pageInfo"]
    assert (page2["totalCount"], page2["facets"]) == (page1["totalCount"], page1["facets"])
    assert page1["totalCount"] > 3 and page1["facets"]["providers"]
    # Without the store every request counts again, to the same answer.
    alone, plain = await _faceted(reader, None, page1["pageInfo"]["endCursor"])
    assert len(alone) == 5 and plain == page2


async def test_a_new_corpus_version_counts_again(tmp_path: Path, content: Path) -> None:
    db_path = tmp_path / "live.db"
    async with ingested_reader(db_path, [content]) as reader:
        shared = SharedRows()
        _, before = await _faceted(reader, shared.for_version(1))
        late = (content / "late.md").read_text()  # no images: in the filtered list
        (content / "second.md").write_text(late.replace("late-arrival", "second-arrival"))
        report = await ingest(db_path, [content])
        assert report.added == ["second.md"] and report.corpus_version == 2
        kept, stale = await _faceted(reader, shared.for_version(1))  # a request still at 1
        assert len(kept) == 1 and stale == before
        counted, after = await _faceted(reader, shared.for_version(2))
        _, truth = await _faceted(reader, None)
    assert len(counted) == 5
    assert after == truth and after["totalCount"] == before["totalCount"] + 1


def test_a_filter_costs_the_values_it_holds() -> None:
    nested = ArticleFilter(
        slugs=("a", "b"),
        any_of=(ArticleFilter(topics=("x",)),),
        negated=ArticleFilter(types=("v",)),
    )
    assert ArticleFilter().size() == 1
    assert nested.size() == 1 + 2 + (1 + 1) + (1 + 1)


async def test_a_kept_count_weighs_its_filter(reader: Reader) -> None:
    """Clients choose filters: a kept total costs what its key holds, so a stream of
    large distinct filters empties the store instead of growing it."""
    shared = SharedRows()
    query = "query($s: [String!]) { articles(filter: {slugs: $s}) { totalCount } }"
    slugs = [f"no-such-{i}" for i in range(40)]
    _, answer = await _statements(reader, shared.for_version(1), query, {"s": slugs})
    assert answer == {"articles": {"totalCount": 0}}
    assert len(shared) == 41
