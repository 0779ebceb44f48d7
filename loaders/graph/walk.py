"""The related-article graph around one article, breadth first.

Nodes are corpus articles and outside references (URLs no corpus article has, one node
per normalized URL however many articles cite it; a reference with no URL at all is a
node of its own). Every edge is one `related` entry, drawn from the citing article to
what it cites, whichever way the walk found it. From each node the walk follows
`related` outwards and `relatedBy` inwards; from an outside reference, inwards to the
other articles citing the same URL (that is how stories connect across sources).

Each level of the walk is one SQL statement, whatever its width; a visited set makes
cycles and self references harmless; depth and node count are capped, and the result
says when the cap cut the walk short. A last statement adds the edges between nodes of
the outermost level, so the result is the whole subgraph among the nodes returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from loaders.db import placeholders
from loaders.reader import Reader
from loaders.rows import RELATED_COLUMNS, RelatedRow, related_row

MAX_DEPTH = 3
MAX_NODES = 500


@dataclass(frozen=True, slots=True)
class NodeKey:
    """An article (`article_id`), an outside URL (`url`), or a URL-less reference
    (`article_id` and `position` of the reference)."""

    article_id: int | None = None
    url: str | None = None
    position: int | None = None

    @property
    def is_article(self) -> bool:
        return self.article_id is not None and self.position is None


@dataclass(slots=True)
class GraphNode:
    key: NodeKey
    depth: int
    reference: RelatedRow | None = None  # how an outside node was first cited


@dataclass(slots=True)
class Graph:
    root: NodeKey
    nodes: dict[NodeKey, GraphNode] = field(default_factory=dict)
    edges: dict[tuple[int, int], tuple[NodeKey, NodeKey, RelatedRow]] = field(default_factory=dict)
    truncated: bool = False


def _cited(row: RelatedRow) -> NodeKey:
    if row.target_id is not None:
        return NodeKey(article_id=row.target_id)
    if row.normalized_url is not None:
        return NodeKey(url=row.normalized_url)
    return NodeKey(article_id=row.article_id, position=row.position)


def _level_sql(articles: Sequence[int], urls: Sequence[str]) -> tuple[str, list[Any]]:
    """References leaving `articles`, arriving at them, and citing the outside `urls`."""
    parts: list[str] = []
    params: list[Any] = []
    if articles:
        marks = placeholders(articles)
        parts.append(f"SELECT 0, {RELATED_COLUMNS} FROM related WHERE article_id IN ({marks})")
        parts.append(f"SELECT 1, {RELATED_COLUMNS} FROM related WHERE target_id IN ({marks})")
        params += [*articles, *articles]
    if urls:
        parts.append(
            f"SELECT 2, {RELATED_COLUMNS} FROM related WHERE target_id IS NULL "
            f"AND normalized_url IN ({placeholders(urls)})"
        )
        params += list(urls)
    return " UNION ALL ".join(parts), params


async def related_graph(db: Reader, root_id: int, depth: int, limit: int) -> Graph:
    """The graph within `depth` hops of the article `root_id`, at most `limit` nodes."""
    root = NodeKey(article_id=root_id)
    graph = Graph(root)
    graph.nodes[root] = GraphNode(root, 0)
    frontier = [root]
    for level in range(1, depth + 1):
        articles = [k.article_id for k in frontier if k.is_article and k.article_id is not None]
        urls = [k.url for k in frontier if k.url is not None]
        if not articles and not urls:
            break
        sql, params = _level_sql(articles, urls)
        rank = {key: i for i, key in enumerate(frontier)}
        found = []
        for r in await db.fetch(sql, params):
            row = related_row(r[1:])
            cited = _cited(row)
            # The end the walk arrives at, and the frontier node it came from.
            arrived, came_from = (
                (cited, NodeKey(article_id=row.article_id))
                if r[0] == 0
                else (NodeKey(article_id=row.article_id), cited)
            )
            found.append((rank.get(came_from, len(rank)), r[0], row.article_id, row.position,
                          arrived, row))  # fmt: skip
        found.sort(key=lambda item: item[:4])
        frontier = []
        for *_, arrived, row in found:
            if arrived not in graph.nodes:
                if len(graph.nodes) >= limit:
                    graph.truncated = True
                    continue
                reference = None if arrived.is_article else row
                graph.nodes[arrived] = GraphNode(arrived, level, reference)
                frontier.append(arrived)
            _add_edge(graph, row)
    await _close_outer_level(db, graph, frontier)
    return graph


def _add_edge(graph: Graph, row: RelatedRow) -> None:
    citing, cited = NodeKey(article_id=row.article_id), _cited(row)
    if citing in graph.nodes and cited in graph.nodes:
        graph.edges[(row.article_id, row.position)] = (citing, cited, row)


async def _close_outer_level(db: Reader, graph: Graph, outer: list[NodeKey]) -> None:
    """Edges from articles of the last level (which were not expanded) to any node."""
    articles = [k.article_id for k in outer if k.is_article and k.article_id is not None]
    if not articles:
        return
    rows = await db.fetch(
        f"SELECT {RELATED_COLUMNS} FROM related WHERE article_id IN ({placeholders(articles)}) "
        "ORDER BY article_id, position",
        articles,
    )
    for r in rows:
        _add_edge(graph, related_row(r))
