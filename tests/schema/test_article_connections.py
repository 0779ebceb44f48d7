"""Article connections: filters, orders, windows, page numbers, facets and their errors.

The random equivalence with a plain-Python reference lives in
test_article_queries_property.py; these tests pin down documented behaviour with
examples a reader can check by hand against tests/fixtures/valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from loaders.ingest import ingest
from loaders.reader import Reader
from schema.build import schema
from schema.context import Context
from tests.conftest import Execute, ok
from tests.statements import StatementCounter

SLUGS = """query ($filter: ArticleFilter, $orderBy: [ArticleOrder!], $first: Int, $after: String,
  $last: Int, $before: String, $offset: Int) {
  articles(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last,
           before: $before, offset: $offset) {
    totalCount
    edges { cursor node { slug publishedAt heat quality title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor currentPage pageCount pageSize }
  }
}"""


async def _articles(execute: Execute, **variables: Any) -> dict[str, Any]:
    connection: dict[str, Any] = ok(await execute(SLUGS, **variables))["articles"]
    return connection


def _slugs(connection: dict[str, Any]) -> list[str]:
    return [e["node"]["slug"] for e in connection["edges"]]


async def _error(execute: Execute, query: str = SLUGS, **variables: Any) -> tuple[str, str]:
    result = await execute(query, **variables)
    assert result.errors, result.data
    error = result.errors[0]
    assert "SELECT" not in error.message and "sqlite" not in error.message.lower()
    return error.extensions.get("code"), error.message


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"topics": ["Time Zones"]}, {"naive", "string_offset"}),
        ({"topics": ["TIME-ZONES", "parsing"]}, {"naive", "string_offset", "string_date"}),
        ({"allTopics": ["parsing", "time zones"]}, {"string_offset"}),
        ({"providers": ["PortGazette.Example.COM"]}, {"crlf"}),
        ({"hasImage": True}, {"crlf", "unicode", "video"}),
        ({"types": ["VIDEO"]}, {"video"}),
        ({"slugs": ["late", "early", "no-such"]}, {"late", "early"}),
        ({"hasRelated": True, "slugs": ["late", "early"]}, {"early"}),
    ],
)
async def test_filters_match_case_insensitively(
    execute: Execute, filter: dict[str, Any], expected: set[str]
) -> None:
    connection = await _articles(execute, filter=filter, first=100)
    assert set(_slugs(connection)) == expected
    assert connection["totalCount"] == len(expected)


async def test_published_after_is_inclusive_and_before_exclusive(execute: Execute) -> None:
    everything = await _articles(execute, first=100)
    moment = everything["edges"][3]["node"]["publishedAt"]
    after = await _articles(execute, filter={"publishedAfter": moment}, first=100)
    before = await _articles(execute, filter={"publishedBefore": moment}, first=100)
    assert moment in [e["node"]["publishedAt"] for e in after["edges"]]
    assert moment not in [e["node"]["publishedAt"] for e in before["edges"]]
    # Consecutive ranges never overlap and leave nothing out.
    assert after["totalCount"] + before["totalCount"] == everything["totalCount"]


@pytest.mark.parametrize(
    "moment", ["2021-04-01", "2021-04-01T00:00:00", "2021-04-01T02:00:00+02:00"]
)
async def test_dates_dates_without_offsets_and_offsets_are_one_moment(
    execute: Execute, moment: str
) -> None:
    connection = await _articles(execute, filter={"publishedAfter": moment}, first=100)
    reference = await _articles(
        execute, filter={"publishedAfter": "2021-04-01T00:00:00Z"}, first=100
    )
    assert _slugs(connection) == _slugs(reference)


async def test_not_is_the_complement_even_for_missing_values(execute: Execute) -> None:
    """An article without a quality is not in a quality range, so the range's `not`
    keeps it: `not` is the complement of what its filter matches."""
    total = (await _articles(execute, first=0))["totalCount"]
    for filter in ({"quality": {"min": 50}}, {"providers": ["example.com"]}, {"published": True}):
        kept = (await _articles(execute, filter=filter, first=0))["totalCount"]
        dropped = (await _articles(execute, filter={"not": filter}, first=0))["totalCount"]
        assert kept + dropped == total, filter
        assert kept and dropped, filter


async def test_and_or_combine_whole_filters(execute: Execute) -> None:
    video = {"types": ["video"]}
    early = {"slugs": ["early"]}
    either = await _articles(execute, filter={"or": [video, early]}, first=100)
    both = await _articles(execute, filter={"and": [video, early]}, first=100)
    assert set(_slugs(either)) == {"video", "early"}
    assert both["totalCount"] == 0


@pytest.mark.parametrize(
    ("variables", "code", "words"),
    [
        ({"filter": {"or": []}}, "INVALID_FILTER", "filter.or"),
        ({"filter": {"quality": {"min": 9, "max": 1}}}, "INVALID_FILTER", "filter.quality"),
        ({"filter": {"and": [{"heat": {"min": 5, "max": 4}}]}}, "INVALID_FILTER", "and[0].heat"),
        (
            {"filter": {"publishedAfter": "2021-02-01", "publishedBefore": "2021-02-01"}},
            "INVALID_FILTER",
            "publishedAfter must be earlier",
        ),
        ({"filter": {"slugs": [str(i) for i in range(101)]}}, "INVALID_FILTER", "at most 100"),
        ({"filter": {"publishedAfter": "yesterday"}}, "BAD_USER_INPUT", "ISO-8601"),
        ({"orderBy": [{"field": "HEAT"}, {"field": "HEAT"}]}, "INVALID_ORDER", "orderBy[1]"),
        ({"first": 1, "last": 1}, "INVALID_PAGINATION", "not both"),
        ({"first": -1}, "PAGE_SIZE_OUT_OF_RANGE", "`first`"),
        ({"last": 101}, "PAGE_SIZE_OUT_OF_RANGE", "`last`"),
        ({"offset": 5, "last": 2}, "INVALID_PAGINATION", "offset"),
        ({"offset": 10_001}, "INVALID_PAGINATION", "between 0 and 10000"),
        ({"offset": -1}, "INVALID_PAGINATION", "between 0"),
        ({"after": "not-a-cursor"}, "INVALID_CURSOR", "not a cursor of an article list"),
    ],
)
async def test_bad_arguments_get_a_code_and_a_message_saying_what_to_change(
    execute: Execute, variables: dict[str, Any], code: str, words: str
) -> None:
    got_code, message = await _error(execute, **variables)
    assert got_code == code
    assert words in message


async def test_deeply_nested_and_huge_filters_are_refused(execute: Execute) -> None:
    deep: dict[str, Any] = {"slugs": ["x"]}
    for _ in range(9):
        deep = {"not": deep}
    code, message = await _error(execute, filter=deep)
    assert (code, "nest deeper than 8") == ("INVALID_FILTER", message[message.index("nest") :][:18])
    wide = {"or": [{"slugs": [f"s{i}-{j}" for j in range(60)]} for i in range(5)]}
    code, message = await _error(execute, filter=wide)
    assert code == "INVALID_FILTER" and "more than 200 conditions" in message


# ---------------------------------------------------------------- orders and cursors


async def test_orders_are_total_and_follow_natural_directions(execute: Execute) -> None:
    heat = _slugs(await _articles(execute, orderBy=[{"field": "HEAT"}], first=100))
    titles = await _articles(execute, orderBy=[{"field": "TITLE"}], first=100)
    folded = [e["node"]["title"].casefold() for e in titles["edges"]]
    assert folded == sorted(folded)  # TITLE is ascending by default
    nodes = (await _articles(execute, orderBy=[{"field": "HEAT"}], first=100))["edges"]
    heats = [-(2**31) - 1 if n["node"]["heat"] is None else n["node"]["heat"] for n in nodes]
    assert heats == sorted(heats, reverse=True)  # missing heat sorts as the lowest
    assert len(heat) == len(set(heat))


async def test_a_cursor_belongs_to_its_order(execute: Execute) -> None:
    page = await _articles(execute, orderBy=[{"field": "QUALITY", "direction": "ASC"}], first=2)
    cursor = page["pageInfo"]["endCursor"]
    code, message = await _error(execute, after=cursor, first=2)
    assert code == "INVALID_CURSOR"
    assert "QUALITY+" in message and "PUBLISHED_AT-" in message
    # The same order elsewhere accepts it: cursors are positions in an order.
    ok(
        await execute(
            SLUGS, after=cursor, first=2, orderBy=[{"field": "QUALITY", "direction": "ASC"}]
        )
    )


async def test_forwards_and_backwards_pages_meet(execute: Execute) -> None:
    order = [{"field": "TITLE", "direction": "DESC"}, {"field": "PUBLISHED_AT"}]
    whole = _slugs(await _articles(execute, orderBy=order, first=100))
    forwards: list[str] = []
    after = None
    while True:
        page = await _articles(execute, orderBy=order, first=3, after=after)
        forwards += _slugs(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backwards: list[str] = []
    before = None
    while True:
        page = await _articles(execute, orderBy=order, last=4, before=before)
        backwards = _slugs(page) + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert forwards == backwards == whole


async def test_a_window_between_two_cursors(execute: Execute) -> None:
    whole = await _articles(execute, first=100)
    cursors = [e["cursor"] for e in whole["edges"]]
    between = await _articles(execute, after=cursors[2], before=cursors[8], first=100)
    assert _slugs(between) == _slugs(whole)[3:8]
    assert between["pageInfo"]["hasNextPage"] and between["pageInfo"]["hasPreviousPage"]
    tail = await _articles(execute, after=cursors[2], before=cursors[8], last=2)
    assert _slugs(tail) == _slugs(whole)[6:8]


# ---------------------------------------------------------------- page numbers


async def test_offsets_serve_page_numbers(execute: Execute) -> None:
    whole = await _articles(execute, first=100)
    total = whole["totalCount"]
    pages = -(-total // 4)
    third = await _articles(execute, first=4, offset=8)
    assert _slugs(third) == _slugs(whole)[8:12]
    info = third["pageInfo"]
    assert (info["currentPage"], info["pageCount"], info["pageSize"]) == (3, pages, 4)
    assert info["hasPreviousPage"] and info["hasNextPage"] == (total > 12)
    # A cursor page reports the page number its first item would have.
    cursor = whole["edges"][7]["cursor"]
    assert (await _articles(execute, first=4, after=cursor))["pageInfo"]["currentPage"] == 3
    last = await _articles(execute, last=4)
    assert last["pageInfo"]["currentPage"] == (total - 4) // 4 + 1
    assert not last["pageInfo"]["hasNextPage"] and last["pageInfo"]["hasPreviousPage"]


async def test_empty_lists_have_one_empty_page(execute: Execute) -> None:
    empty = await _articles(execute, filter={"slugs": ["no-such"]}, first=5)
    info = empty["pageInfo"]
    assert empty["totalCount"] == 0 and empty["edges"] == []
    assert (info["currentPage"], info["pageCount"], info["hasNextPage"]) == (1, 1, False)
    assert info["startCursor"] is None and info["endCursor"] is None


# ---------------------------------------------------------------- facets

FACETS = """query ($filter: ArticleFilter, $ignore: Boolean!) {
  articles(filter: $filter, first: 0) {
    totalCount
    facets {
      topics(first: 100, ignoreOwnFilter: $ignore) { value label count }
      providers(first: 100) { value label count }
      types { value count }
      published { value count }
      months(first: 100, sort: VALUE) { value count }
      quality(bucketSize: 50) { min max label count }
      heat(bucketSize: 50, sort: VALUE) { min max label count }
    }
  }
}"""


async def test_facets_count_the_whole_filtered_list(execute: Execute) -> None:
    data = ok(await execute(FACETS, filter={"topics": ["time zones"]}, ignore=False))
    facets = data["articles"]["facets"]
    total = data["articles"]["totalCount"]
    assert total == 2  # naive.md and string_offset.md
    topics = {f["value"]: (f["label"], f["count"]) for f in facets["topics"]}
    assert topics == {"time-zones": ("Time zones", 2), "parsing": ("Parsing", 1)}
    assert facets["providers"] == [
        {"value": "quotes.example.com", "label": "quotes.example.com", "count": 2}
    ]
    assert sum(f["count"] for f in facets["quality"]) == total
    assert sum(f["count"] for f in facets["heat"]) == total
    assert [m["value"] for m in facets["months"]] == sorted(m["value"] for m in facets["months"])


async def test_ignore_own_filter_shows_the_other_choices(execute: Execute) -> None:
    narrowed = ok(await execute(FACETS, filter={"topics": ["time zones"]}, ignore=False))
    wide = ok(await execute(FACETS, filter={"topics": ["time zones"]}, ignore=True))
    everything = ok(await execute(FACETS, filter=None, ignore=False))
    assert wide["articles"]["facets"]["topics"] == everything["articles"]["facets"]["topics"]
    assert narrowed["articles"]["facets"]["topics"] != wide["articles"]["facets"]["topics"]
    # Other facets still count the narrowed list.
    assert narrowed["articles"]["facets"]["types"] == wide["articles"]["facets"]["types"]


async def test_heat_below_zero_is_unknown(execute: Execute) -> None:
    data = ok(await execute(FACETS, filter={"slugs": ["offset"]}, ignore=False))
    assert data["articles"]["facets"]["heat"] == [
        {"min": None, "max": None, "label": "unknown", "count": 1}
    ]


async def test_facet_sizes_are_bounded(execute: Execute) -> None:
    code, message = await _error(
        execute, "{ articles { facets { topics(first: 1000) { value } } } }"
    )
    assert code == "BAD_USER_INPUT" and "between 0 and 100" in message
    code, _ = await _error(execute, "{ articles { facets { heat(bucketSize: 0) { count } } } }")
    assert code == "BAD_USER_INPUT"


# ---------------------------------------------------------------- statements


async def _statements(reader: Reader, query: str, **variables: Any) -> list[str]:
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        ok(await schema.execute(query, variable_values=variables, context_value=Context(db=reader)))
    finally:
        await reader.set_trace(None)
    return counter.statements


async def test_a_page_is_one_statement_plus_one_for_the_count_and_one_per_facet(
    reader: Reader,
) -> None:
    query = """query ($f: ArticleFilter) { articles(filter: $f, first: 5,
      orderBy: [{field: QUALITY}, {field: TITLE}]) { totalCount nodes { slug }
      facets { types { value } months { value } providers { value } } } }"""
    filter = {"or": [{"topics": ["graphs", "amp"]}, {"not": {"published": True}}]}
    statements = await _statements(reader, query, f=filter)
    assert len(statements) == 1 + 1 + 3, statements


async def test_nested_filtered_lists_share_statements(reader: Reader) -> None:
    query = """{ topics(first: 50) { nodes { articles(first: 2, filter: {hasImage: false},
      orderBy: [{field: TRENDING}]) { totalCount nodes { slug } facets { types { value } } }
    } } }"""
    statements = await _statements(reader, query)
    # topics page + their total, then one each for every topic's page, count and facet
    assert len(statements) == 5, statements


WHOLE = """query ($f: ArticleFilter) { articles(first: 0, filter: $f) { facets {
  types { value count } categories { value count } published { value count }
  months(first: 100) { value count } heat(bucketSize: 7) { label count }
  quality(bucketSize: 7) { label count } topics(first: 100) { value count }
  providers(first: 100) { value count } } } }"""


async def test_stored_corpus_facets_follow_every_ingest(content: Path, tmp_path: Path) -> None:
    """The whole corpus's facets come from counts the ingest stores; a filter that keeps
    everything is counted by scanning. Both must agree after edits and removals."""
    db_path = tmp_path / "facets.db"
    await ingest(db_path, [content])
    (content / "video.md").unlink()
    late = content / "late.md"
    late.write_text(late.read_text().replace("quality: 40", "quality: 99").replace(
        "type: article", "type: essay"))  # fmt: skip
    await ingest(db_path, [content])
    reader = await Reader.open(db_path, size=1)
    try:

        async def facets(filter: Any) -> Any:
            result = await schema.execute(
                WHOLE, variable_values={"f": filter}, context_value=Context(db=reader)
            )
            return ok(result)["articles"]["facets"]

        stored = await facets(None)
        scanned = await facets({"not": {"slugs": ["no-such-article"]}})
    finally:
        await reader.close()
    assert stored == scanned
    assert {"value": "essay", "count": 1} in stored["types"]
    assert all(t["value"] != "video" for t in stored["types"])
