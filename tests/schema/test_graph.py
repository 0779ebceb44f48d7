"""relatedGraph, Article.similar and unresolvedRelated through the GraphQL schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from loaders.reader import Reader
from schema.build import schema
from schema.context import Context
from tests import graph_corpus
from tests.conftest import Execute, executor, ingested_reader, ok
from tests.statements import StatementCounter

GRAPH = """query ($slug: String, $url: String, $depth: Int, $limit: Int) {
  relatedGraph(slug: $slug, url: $url, depth: $depth, limit: $limit) {
    root depth truncated
    nodes { id kind depth title url article { slug } }
    edges { from to reference { position title normalizedUrl } }
  }
}"""


@pytest.fixture
async def graph_reader(tmp_path: Path) -> AsyncIterator[Reader]:
    folder = graph_corpus.write(tmp_path / "graph")
    async with ingested_reader(tmp_path / "graph.db", [folder]) as reader:
        yield reader


@pytest.fixture
def run(graph_reader: Reader) -> Execute:
    return executor(graph_reader)


async def test_graph_is_drawable(run: Execute) -> None:
    graph = ok(await run(GRAPH, slug="o1", depth=2))["relatedGraph"]
    ids = [n["id"] for n in graph["nodes"]]
    assert len(ids) == len(set(ids)) == 5 and graph["root"] == ids[0]
    assert all(e["from"] in ids and e["to"] in ids for e in graph["edges"])
    outside = [n for n in graph["nodes"] if n["kind"] == "OUTSIDE"]
    assert {(n["title"], n["url"], n["article"]) for n in outside} == {
        ("The report (1)", graph_corpus.REPORT, None),
        ("A reference with no URL", None, None),
    }
    report = next(n["id"] for n in outside if n["url"])
    citing = {e["from"] for e in graph["edges"] if e["to"] == report}
    slugs = {n["id"]: n["article"]["slug"] for n in graph["nodes"] if n["article"]}
    assert {slugs[c] for c in citing} == {"o1", "o2", "o3"}
    assert {e["reference"]["normalizedUrl"] for e in graph["edges"] if e["to"] == report} == {
        "outside.example.org/report"
    }
    refetch = ok(await run("query ($id: ID!) { node(id: $id) { ... on Article { slug } } }",
                           id=graph["root"]))  # fmt: skip
    assert refetch["node"] == {"slug": "o1"}


async def test_graph_by_url_and_caps(run: Execute) -> None:
    by_url = ok(await run(GRAPH, url=graph_corpus.url_of("h0") + "?utm_source=x", limit=3))
    graph = by_url["relatedGraph"]
    assert graph["truncated"] and len(graph["nodes"]) == 3 and graph["depth"] == 2
    assert ok(await run(GRAPH, slug="nope"))["relatedGraph"] is None


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"slug": "c1", "depth": 4}, "`depth` must be between 0 and 3"),
        ({"slug": "c1", "depth": -1}, "`depth` must be between 0 and 3"),
        ({"slug": "c1", "limit": 0}, "`limit` must be between 1 and 500"),
        ({"slug": "c1", "limit": 501}, "`limit` must be between 1 and 500"),
        ({"slug": "c1", "url": "https://x.example.com/"}, "exactly one of `slug` or `url`"),
        ({}, "exactly one of `slug` or `url`"),
        ({"url": "not a url"}, "absolute http(s) URL"),
    ],
)
async def test_graph_arguments_are_checked(run: Execute, variables: dict[str, Any],
                                           message: str) -> None:  # fmt: skip
    result = await run(GRAPH, **variables)
    assert message in result.errors[0].message
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT"}


SIMILAR = """query ($first: Int) { articles(first: $first) { nodes { slug
  similar(first: 3) { score reasons { signal contribution detail } article { slug } } } } }"""


async def test_similar_on_a_page_costs_constant_statements(graph_reader: Reader) -> None:
    counter = StatementCounter()
    counts = {}
    await graph_reader.set_trace(counter)
    try:
        for first in (2, 15):
            counter.clear()
            result = await schema.execute(
                SIMILAR, variable_values={"first": first}, context_value=Context(db=graph_reader)
            )
            nodes = ok(result)["articles"]["nodes"]
            assert len(nodes) == first and all(n["similar"] for n in nodes)
            counts[first] = len(counter.statements)
    finally:
        await graph_reader.set_trace(None)
    # page, the similar batch (4), the similar articles' rows
    assert counts[15] == counts[2] <= 6, counts


async def test_similar_reasons_add_up(run: Execute) -> None:
    data = ok(await run('{ article(slug: "t1") { similar(first: 2) { score reasons { signal '
                        "contribution } article { slug } } } }"))  # fmt: skip
    similar = data["article"]["similar"]
    assert {s["article"]["slug"] for s in similar} == {"t2", "t3"}
    for s in similar:
        assert s["score"] == pytest.approx(sum(r["contribution"] for r in s["reasons"]))
        signals = {r["signal"] for r in s["reasons"]}
        assert signals & {"CITES", "CITED_BY"} and "SHARED_TOPICS" in signals
    bad = await run('{ article(slug: "t1") { similar(first: 101) { score } } }')
    assert bad.errors[0].extensions == {"code": "BAD_USER_INPUT"}


UNRESOLVED = """query ($after: String) { unresolvedRelated(first: 1, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage endCursor currentPage }
  nodes { normalizedUrl citedBy citations(first: 2) { article { slug unresolvedRelatedCount }
          reference { position title } } } } }"""


async def test_unresolved_related_pages_by_citations(run: Execute) -> None:
    first = ok(await run(UNRESOLVED))["unresolvedRelated"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"]
    report = first["nodes"][0]
    assert (report["normalizedUrl"], report["citedBy"]) == ("outside.example.org/report", 3)
    assert [c["article"]["slug"] for c in report["citations"]] == ["o1", "o2"]
    assert report["citations"][0]["article"]["unresolvedRelatedCount"] == 1
    second = ok(await run(UNRESOLVED, after=first["pageInfo"]["endCursor"]))["unresolvedRelated"]
    assert [n["normalizedUrl"] for n in second["nodes"]] == ["outside.example.net/lonely"]
    info = second["pageInfo"]
    assert (info["hasNextPage"], info["hasPreviousPage"], info["currentPage"]) == (False, True, 2)
    bad = await run(UNRESOLVED, after="garbage")
    assert bad.errors[0].extensions == {"code": "INVALID_CURSOR"}


async def test_fixture_corpus_cycles_and_self_references(execute: Execute) -> None:
    data = ok(
        await execute("""{
      a: relatedGraph(slug: "cycle_a", depth: 3) { nodes { article { slug } } edges { from to } }
      s: relatedGraph(slug: "self_ref") { nodes { article { slug } } edges { from to } } }""")
    )
    assert [n["article"]["slug"] for n in data["a"]["nodes"]] == ["cycle_a", "cycle_b"]
    assert len(data["a"]["edges"]) == 2
    assert [n["article"]["slug"] for n in data["s"]["nodes"]] == ["self_ref"]
    (loop,) = data["s"]["edges"]
    assert loop["from"] == loop["to"]
