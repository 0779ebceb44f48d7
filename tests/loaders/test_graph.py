"""The related-article graph against SQLite: walks, similar articles, outside links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import pytest

from loaders.graph.similar import SIGNAL_WEIGHTS, Signal, similar_articles
from loaders.graph.unresolved import (
    citations_by_urls,
    groups_before,
    unresolved_counts,
    unresolved_groups,
    unresolved_total,
)
from loaders.graph.walk import Graph, NodeKey, related_graph
from loaders.ingest import ingest
from loaders.reader import Reader
from tests import graph_corpus
from tests.statements import StatementCounter


@pytest.fixture
async def graph_db(tmp_path: Path) -> AsyncIterator[Reader]:
    folder = graph_corpus.write(tmp_path / "graph")
    await ingest(tmp_path / "graph.db", [folder])
    reader = await Reader.open(tmp_path / "graph.db", size=1)
    yield reader
    await reader.close()


async def _ids(db: Reader) -> dict[int, str]:
    return {r[0]: r[1] for r in await db.fetch("SELECT id, slug FROM articles")}


async def _walk(db: Reader, slug: str, depth: int, limit: int = 100) -> Graph:
    row = await db.fetch_one("SELECT id FROM articles WHERE slug = ?", (slug,))
    assert row is not None
    return await related_graph(db, row[0], depth, limit)


def _name(key: NodeKey, slugs: dict[int, str]) -> str:
    if key.url is not None:
        return key.url
    assert key.article_id is not None
    if key.position is not None:
        return f"{slugs[key.article_id]}#{key.position}"
    return slugs[key.article_id]


def _shape(graph: Graph, slugs: dict[int, str]) -> tuple[dict[str, int], set[tuple[str, str]]]:
    nodes = {_name(k, slugs): n.depth for k, n in graph.nodes.items()}
    edges = {(_name(a, slugs), _name(b, slugs)) for a, b, _ in graph.edges.values()}
    return nodes, edges


@pytest.mark.parametrize(
    ("start", "depth", "expected"),
    [
        ("c1", 0, {"c1": 0}),
        ("c1", 1, {"c1": 0, "c2": 1}),
        ("c1", 2, {"c1": 0, "c2": 1, "c3": 2}),
        ("c1", 3, {"c1": 0, "c2": 1, "c3": 2, "c4": 3}),
        ("c3", 1, {"c3": 0, "c4": 1, "c2": 1}),  # outwards and inwards
        ("c3", 2, {"c3": 0, "c4": 1, "c2": 1, "c5": 2, "c1": 2}),
    ],
)
async def test_depth_bounds_the_walk(graph_db: Reader, start: str, depth: int,
                                     expected: dict[str, int]) -> None:  # fmt: skip
    nodes, edges = _shape(await _walk(graph_db, start, depth), await _ids(graph_db))
    assert nodes == expected
    chain = ["c1", "c2", "c3", "c4", "c5"]
    assert edges == {(a, b) for a, b in pairwise(chain) if a in nodes and b in nodes}


async def test_cycles_are_walked_once(graph_db: Reader) -> None:
    graph = await _walk(graph_db, "t1", 3)
    nodes, edges = _shape(graph, await _ids(graph_db))
    assert nodes == {"t1": 0, "t2": 1, "t3": 1}
    assert edges == {("t1", "t2"), ("t2", "t3"), ("t3", "t1")}
    assert len(graph.edges) == 3 and not graph.truncated


async def test_self_reference_is_a_loop_on_one_node(graph_db: Reader) -> None:
    nodes, edges = _shape(await _walk(graph_db, "s1", 2), await _ids(graph_db))
    assert nodes == {"s1": 0, "outside.example.net/lonely": 1}
    assert edges == {("s1", "s1"), ("s1", "outside.example.net/lonely")}


async def test_node_cap_truncates_and_says_so(graph_db: Reader) -> None:
    capped = await _walk(graph_db, "h0", 2, limit=4)
    assert len(capped.nodes) == 4 and capped.truncated
    slugs = await _ids(graph_db)
    nodes, edges = _shape(capped, slugs)
    assert nodes == {"h0": 0, "h1": 1, "h2": 1, "h3": 1}  # breadth first, in a stable order
    assert edges == {("h1", "h0"), ("h2", "h0"), ("h3", "h0")}
    whole = await _walk(graph_db, "h0", 2)
    assert len(whole.nodes) == 7 and not whole.truncated


async def test_an_outside_reference_cited_by_several_articles_is_one_node(graph_db: Reader) -> None:
    graph = await _walk(graph_db, "o1", 2)
    nodes, edges = _shape(graph, await _ids(graph_db))
    report = "outside.example.org/report"
    assert nodes == {"o1": 0, report: 1, "o1#1": 1, "o2": 2, "o3": 2}
    assert edges == {("o1", report), ("o2", report), ("o3", report), ("o1", "o1#1")}
    assert graph.nodes[NodeKey(url=report)].reference is not None


async def test_each_level_is_one_statement(graph_db: Reader) -> None:
    counter = StatementCounter()
    await graph_db.set_trace(counter)
    graph = await _walk(graph_db, "c3", 2)
    await graph_db.set_trace(None)
    assert len(graph.nodes) == 5
    # the start's id, level 1, level 2, the edges among the outermost level
    assert len(counter.statements) == 4, counter.statements


async def test_link_resolution_does_not_depend_on_arrival_order(tmp_path: Path) -> None:
    """Walks are the same whether targets were ingested before or after their citers."""
    together = graph_corpus.write(tmp_path / "together")
    await ingest(tmp_path / "a.db", [together])
    staged = tmp_path / "staged"
    citers = ["c1.md", "c2.md", "t1.md", "o2.md", "h3.md", "s1.md"]
    graph_corpus.write(staged, citers)
    await ingest(tmp_path / "b.db", [staged])  # their targets do not exist yet
    graph_corpus.write(staged)
    await ingest(tmp_path / "b.db", [staged])
    shapes = []
    for name in ("a.db", "b.db"):
        reader = await Reader.open(tmp_path / name, size=1)
        try:
            slugs = await _ids(reader)
            shapes.append(
                [_shape(await _walk(reader, s, 3), slugs) for s in ("c1", "t2", "o3", "h0")]
            )
        finally:
            await reader.close()
    assert shapes[0] == shapes[1]


async def test_unresolved_references_grouped_by_url(graph_db: Reader) -> None:
    assert await unresolved_total(graph_db) == 2
    groups, more = await unresolved_groups(graph_db, 1, None)
    assert [(g.url, g.cited_by) for g in groups] == [("outside.example.org/report", 3)] and more
    after = (groups[0].cited_by, groups[0].url)
    rest, more = await unresolved_groups(graph_db, 5, after)
    assert [(g.url, g.cited_by) for g in rest] == [("outside.example.net/lonely", 1)] and not more
    assert await groups_before(graph_db, (rest[0].cited_by, rest[0].url)) == 1
    citations = await citations_by_urls(graph_db, ["outside.example.org/report"])
    slugs = await _ids(graph_db)
    assert [slugs[r.article_id] for r in citations["outside.example.org/report"]] == [
        "o1",
        "o2",
        "o3",
    ]
    counts = await unresolved_counts(graph_db, list(slugs))
    assert {slugs[a]: n for a, n in counts.items()} == {"o1": 1, "o2": 1, "o3": 1, "s1": 1}


async def test_similar_explains_its_score(graph_db: Reader) -> None:
    slugs = await _ids(graph_db)
    by_slug = {s: i for i, s in slugs.items()}
    found = (await similar_articles(graph_db, [by_slug["c2"]], 10))[by_slug["c2"]]
    first, second = found[0], found[1]
    assert {slugs[first.article_id], slugs[second.article_id]} == {"c1", "c3"}
    for similar in found:
        assert similar.score == pytest.approx(sum(r.contribution for r in similar.reasons))
        assert any(r.signal is not Signal.CLOSE_IN_TIME for r in similar.reasons)
    signals = {r.signal: r.contribution for r in first.reasons}
    assert signals[Signal.SAME_PROVIDER] == SIGNAL_WEIGHTS[Signal.SAME_PROVIDER]
    assert Signal.CITES in signals or Signal.CITED_BY in signals
    assert 0 < signals[Signal.SHARED_TOPICS] <= SIGNAL_WEIGHTS[Signal.SHARED_TOPICS]
    scores = [s.score for s in found]
    assert scores == sorted(scores, reverse=True)
    assert by_slug["c2"] not in {s.article_id for s in found}


async def test_similar_for_many_articles_costs_a_few_statements(graph_db: Reader) -> None:
    ids = list(await _ids(graph_db))
    counter = StatementCounter()
    await graph_db.set_trace(counter)
    found = await similar_articles(graph_db, ids, 3)
    await graph_db.set_trace(None)
    assert len(found) == len(ids) and all(found.values())
    # facts of the articles, their topics, candidates, facts of the candidates
    assert len(counter.statements) == 4, counter.statements
