"""`search` through the GraphQL schema, against the search fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from loaders.reader import Reader
from loaders.search.highlight import Markers, highlights
from schema.build import schema
from schema.context import Context
from tests.conftest import FIXTURES, Execute, executor, ingested_reader, ok
from tests.statements import StatementCounter

SEARCH = FIXTURES / "search" / "articles"

HITS = """
query ($q: String!, $first: Int, $after: String, $last: Int, $before: String,
       $orderBy: [ArticleOrder!], $filter: ArticleFilter) {
  search(query: $q, first: $first, after: $after, last: $last, before: $before,
         orderBy: $orderBy, filter: $filter) {
    interpretation totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor currentPage pageCount }
    edges { cursor score node { slug } }
  }
}
"""


@pytest.fixture
async def search_reader(tmp_path: Path) -> AsyncIterator[Reader]:
    async with ingested_reader(tmp_path / "search.db", [SEARCH]) as reader:
        yield reader


@pytest.fixture
def run(search_reader: Reader) -> Execute:
    return executor(search_reader)


async def test_hits_ranked_with_scores_and_count(run: Execute) -> None:
    data = ok(await run(HITS, q="heliostat"))["search"]
    assert [e["node"]["slug"] for e in data["edges"]] == [
        "rank_title", "rank_topic", "rank_excerpt", "rank_provider", "rank_body", "rank_body_long",
    ]  # fmt: skip
    scores = [e["score"] for e in data["edges"]]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert data["totalCount"] == 6 and data["interpretation"] == "heliostat"
    assert data["pageInfo"]["hasNextPage"] is False


async def test_paging_visits_each_hit_once_both_ways(run: Execute) -> None:
    forwards: list[str] = []
    after = None
    while True:
        page = ok(await run(HITS, q="heliostat OR mirrors OR the", first=2, after=after))["search"]
        forwards += [e["node"]["slug"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backwards: list[str] = []
    before = None
    while True:
        page = ok(await run(HITS, q="heliostat OR mirrors OR the", last=3, before=before))["search"]
        backwards = [e["node"]["slug"] for e in page["edges"]] + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert forwards == backwards
    assert len(forwards) == len(set(forwards)) == page["totalCount"] > 6


async def test_page_numbers(run: Execute) -> None:
    first = ok(await run(HITS, q="heliostat", first=4))["search"]
    second = ok(await run(HITS, q="heliostat", first=4, after=first["pageInfo"]["endCursor"]))
    info = second["search"]["pageInfo"]
    assert (info["currentPage"], info["pageCount"], info["hasPreviousPage"]) == (2, 2, True)


async def test_cursors_belong_to_their_search(run: Execute) -> None:
    cursor = ok(await run(HITS, q="heliostat", first=1))["search"]["pageInfo"]["endCursor"]
    other = await run(HITS, q="zeppelin", first=1, after=cursor)
    assert other.errors[0].extensions == {"code": "INVALID_CURSOR"}
    same_words = ok(await run(HITS, q="HELIOSTAT", first=1, after=cursor))["search"]
    assert same_words["edges"][0]["node"]["slug"] == "rank_topic"
    feed = ok(await run("{ articles(first: 1) { pageInfo { endCursor } } }"))
    mixed = await run(HITS, q="heliostat", after=feed["articles"]["pageInfo"]["endCursor"])
    assert mixed.errors[0].extensions == {"code": "INVALID_CURSOR"}


async def test_any_order_replaces_relevance_and_scores_still_come(run: Execute) -> None:
    order = [{"field": "PUBLISHED_AT", "direction": "ASC"}]
    data = ok(await run(HITS, q="heliostat", orderBy=order, first=3))["search"]
    assert [e["node"]["slug"] for e in data["edges"]] == [
        "rank_title",
        "rank_topic",
        "rank_excerpt",
    ]
    relevant = ok(await run(HITS, q="heliostat", first=3))["search"]
    assert [e["score"] for e in data["edges"]] == [e["score"] for e in relevant["edges"]]
    rest = ok(await run(HITS, q="heliostat", orderBy=order, after=data["pageInfo"]["endCursor"]))
    assert [e["node"]["slug"] for e in rest["search"]["edges"]] == [
        "rank_provider", "rank_body", "rank_body_long",
    ]  # fmt: skip


async def test_filter_and_facets_describe_the_hits(run: Execute) -> None:
    query = """query ($q: String!, $filter: ArticleFilter) { search(query: $q, filter: $filter) {
      totalCount nodes { slug }
      facets { providers { value count } topics(ignoreOwnFilter: true) { value count } } } }"""
    data = ok(await run(query, q="heliostat", filter={"topics": ["energy"]}))["search"]
    assert data["totalCount"] == 5 and "rank_topic" not in {n["slug"] for n in data["nodes"]}
    facets = data["facets"]
    assert {(p["value"], p["count"]) for p in facets["providers"]} == {
        ("plains.example.com", 4), ("heliostat-weekly.example.org", 1),
    }  # fmt: skip
    assert {(t["value"], t["count"]) for t in facets["topics"]} == {("energy", 5), ("heliostat", 1)}


@pytest.mark.parametrize(
    ("q", "fragment"),
    [
        ("", "no words"),
        ("?!", "no words"),
        ("-heliostat", "excluded"),
        ("h*", "prefix"),
        ("x" * 10_000, "at most 1000"),
    ],
)
async def test_unsearchable_queries_are_invalid_search(run: Execute, q: str, fragment: str) -> None:
    result = await run(HITS, q=q)
    assert result.errors[0].extensions == {"code": "INVALID_SEARCH"}
    assert fragment in result.errors[0].message


async def test_highlights_through_graphql(run: Execute) -> None:
    query = """{ search(query: "script") { edges {
      a: highlights { title }
      b: highlights(start: "[", end: "]", snippetWords: 3, ellipsis: "~") { title body } } } }"""
    edge = ok(await run(query))["search"]["edges"][0]
    assert edge["a"]["title"].count("<mark>script</mark>") == 2
    assert "&lt;[script]&gt;" in edge["b"]["title"]
    assert edge["b"]["body"].startswith("~") or edge["b"]["body"].endswith("~")
    bad = await run(
        '{ search(query: "script") { edges { highlights(snippetWords: 0) { body } } } }'
    )
    assert "snippetWords" in bad.errors[0].message
    assert bad.errors[0].extensions == {"code": "BAD_USER_INPUT"}


SEARCH_PAGE = """query ($first: Int) { search(query: "heliostat OR mirrors OR the", first: $first) {
  totalCount
  edges { score highlights { title excerpt body }
          node { slug provider { name } topics { name } related { title } } } } }"""


async def test_search_page_costs_constant_statements(search_reader: Reader) -> None:
    counter = StatementCounter()
    counts = {}
    await search_reader.set_trace(counter)
    try:
        for first in (1, 5, 12):
            counter.clear()
            result = await schema.execute(
                SEARCH_PAGE,
                variable_values={"first": first},
                context_value=Context(db=search_reader),
            )
            assert len(ok(result)["search"]["edges"]) == first
            counts[first] = len(counter.statements)
    finally:
        await search_reader.set_trace(None)
    # hits, count, highlights, providers, topics, related: one statement each at most
    assert max(counts.values()) <= 6, counts
    assert counts[12] == counts[5], counts


async def _highlight_statements(reader: Reader, query: str) -> tuple[dict[str, object], list[str]]:
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        result = await schema.execute(query, context_value=Context(db=reader))
    finally:
        await reader.set_trace(None)
    return ok(result), [s for s in counter.statements if "highlight(" in s]


async def test_body_snippets_are_made_only_when_selected(search_reader: Reader) -> None:
    """The snippet reads the body's text and positions: a third of highlighting at
    100,000 articles. Title and excerpt alone never ask for it (and for a one-word
    query are marked without the corpus index, loaders/search/highlight.py)."""
    for query, index_statements in (("script", 0), ("mirrors engineers", 1)):
        _, statements = await _highlight_statements(
            search_reader,
            f'{{ search(query: "{query}") {{ edges {{ highlights {{ title excerpt }} }} }} }}',
        )
        assert len(statements) == index_statements, query
        assert not any("snippet(" in s for s in statements)
    # Asked for under one alias and not under another, with the same markers: one
    # statement with snippets answers both.
    data, statements = await _highlight_statements(
        search_reader,
        '{ search(query: "script") { edges { a: highlights { title } '
        "b: highlights { title body } } } }",
    )
    assert len(statements) == 1 and "snippet(" in statements[0]
    edges = data["search"]["edges"]  # type: ignore[index]
    assert all(e["a"]["title"] == e["b"]["title"] for e in edges)
    assert any(e["b"]["body"] for e in edges)


async def test_a_snippet_not_made_ahead_is_loaded_when_asked(search_reader: Reader) -> None:
    from schema.plans import _Info
    from schema.types.search import SearchHighlights

    context = Context(db=search_reader)
    ids = [r[0] for r in await search_reader.fetch("SELECT id FROM articles ORDER BY id")]
    expression = '"script"'
    markers = Markers()
    without = await highlights(search_reader, expression, ids, markers, body=False)
    with_body = await highlights(search_reader, expression, ids, markers, body=True)
    article_id = next(i for i, h in with_body.items() if h.body)
    assert without[article_id].body is None and not without[article_id].with_body
    shown = SearchHighlights(
        title=without[article_id].title, excerpt=without[article_id].excerpt,
        found=without[article_id], expression=expression, markers=markers,
        article_id=article_id,
    )  # fmt: skip
    body = shown.body(_Info(context))  # type: ignore[arg-type]
    assert await body == with_body[article_id].body  # type: ignore[misc]


async def test_a_hit_gone_before_its_highlights_shows_escaped_text(search_reader: Reader) -> None:
    """Highlights are HTML: a hit whose article changed between the page and its
    highlights (an ingest in between) shows its title escaped, without marks."""
    from schema.plans import _Info
    from schema.types.article import Article
    from schema.types.search import SearchEdge

    (row,) = await search_reader.fetch("SELECT id FROM articles WHERE slug = 'html'")
    article = await Context(db=search_reader).loaders.article_by_id.load(row[0])
    assert article is not None and "<" in article.title
    edge = SearchEdge(
        cursor="c",
        node=Article.from_row(article),
        known_score=1.0,
        expression='"absent" AND "nowhere"',
    )
    shown = await edge.highlights(_Info(Context(db=search_reader)))  # type: ignore[arg-type, misc]
    assert "<" not in shown.title and "&lt;" in shown.title
