"""The related-article graph: a drawable neighbourhood, similar articles, outside links."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from loaders.graph.similar import SIGNAL_WEIGHTS, Signal, Similar
from loaders.graph.walk import MAX_DEPTH, MAX_NODES, Graph, NodeKey, related_graph
from loaders.rows import ArticleRow, RelatedRow
from schema.context import Info
from schema.errors import PublicError
from schema.ids import global_id
from schema.types.article import Article, RelatedArticle

OUTSIDE_ID = "OutsideReference"


@strawberry.enum(description="What a graph node stands for.")
class GraphNodeKind(Enum):
    ARTICLE = strawberry.enum_value("ARTICLE", description="An article of the corpus.")
    OUTSIDE = strawberry.enum_value(
        "OUTSIDE",
        description="A reference to something outside the corpus: one node per normalized "
        "URL, however many articles cite it (a reference without any URL is its own node).",
    )


@strawberry.type(description="A node of the related-article graph.")
class GraphNode:
    id: strawberry.ID = strawberry.field(
        description="Key of the node within the graph (edges use it). For articles it is the "
        "article's global ID; outside references' IDs are only graph keys."
    )
    kind: GraphNodeKind = strawberry.field(description="Corpus article or outside reference.")
    depth: int = strawberry.field(description="Hops from the root (0 for the root).")
    title: str = strawberry.field(
        description="The article's title; for an outside reference, its title as the first "
        "citing article wrote it."
    )
    url: str | None = strawberry.field(
        description="The article's web URL (or original URL); for an outside reference, "
        "its URL as first written. Null when there is none."
    )
    article: Article | None = strawberry.field(
        description="The article, for ARTICLE nodes; null for outside references."
    )


@strawberry.type(description="One `related` entry: `from` cites `to`.")
class GraphEdge:
    from_: strawberry.ID = strawberry.field(name="from", description="The citing node's id.")
    to: strawberry.ID = strawberry.field(description="The cited node's id.")
    reference: RelatedArticle = strawberry.field(
        description="The reference as the citing article wrote it."
    )


@strawberry.type(
    description="The articles and outside references around one article, following "
    "`related` outwards and `relatedBy` inwards breadth first; edges always point from "
    "the citing article to what it cites. Every edge between returned nodes is included."
)
class RelatedGraph:
    root: strawberry.ID = strawberry.field(description="The id of the starting article's node.")
    depth: int = strawberry.field(description="The depth walked (as requested).")
    nodes: list[GraphNode] = strawberry.field(
        description="Nodes in breadth-first order: the root first, then by depth."
    )
    edges: list[GraphEdge] = strawberry.field(description="Edges between the nodes.")
    truncated: bool = strawberry.field(
        description="Whether the node limit stopped the walk before `depth` was covered: "
        "more nodes exist within that depth."
    )


def _node_id(key: NodeKey, rows: dict[int, ArticleRow]) -> str:
    if key.url is not None:
        return global_id(OUTSIDE_ID, key.url)
    citing = rows[key.article_id].path if key.article_id in rows else str(key.article_id)
    if key.is_article:
        return global_id("Article", citing)
    return global_id(OUTSIDE_ID, f"{citing}#{key.position}")  # a reference with no URL


async def graph_of(info: Info, root: ArticleRow, depth: int, limit: int) -> RelatedGraph:
    if not 0 <= depth <= MAX_DEPTH:
        raise PublicError(f"`depth` must be between 0 and {MAX_DEPTH}, got {depth}")
    if not 1 <= limit <= MAX_NODES:
        raise PublicError(f"`limit` must be between 1 and {MAX_NODES}, got {limit}")
    graph: Graph = await related_graph(info.context.db, root.id, depth, limit)
    article_ids = [k.article_id for k in graph.nodes if k.is_article and k.article_id is not None]
    loaded = await info.context.loaders.article_by_id.load_many(article_ids)
    rows = {row.id: row for row in loaded if row is not None}
    nodes = []
    for key, node in graph.nodes.items():
        row = rows.get(key.article_id) if key.is_article and key.article_id else None
        if key.is_article and row is None:
            continue  # removed by an ingest since the walk
        reference = node.reference
        nodes.append(
            GraphNode(
                id=strawberry.ID(_node_id(key, rows)),
                kind=GraphNodeKind.ARTICLE if row else GraphNodeKind.OUTSIDE,
                depth=node.depth,
                title=row.title if row else reference.title if reference else "",
                url=(row.web_url or row.original_url) if row else _written_url(reference),
                article=Article.from_row(row) if row else None,
            )
        )
    present = {n.id for n in nodes}
    edges = []
    for citing, cited, ref in graph.edges.values():
        source, target = _node_id(citing, rows), _node_id(cited, rows)
        if source in present and target in present:
            edges.append(
                GraphEdge(
                    from_=strawberry.ID(source),
                    to=strawberry.ID(target),
                    reference=RelatedArticle.from_row(ref),
                )
            )
    return RelatedGraph(
        root=strawberry.ID(_node_id(graph.root, rows)),
        depth=depth,
        nodes=nodes,
        edges=edges,
        truncated=graph.truncated,
    )


def _written_url(reference: RelatedRow | None) -> str | None:
    if reference is None:
        return None
    return (
        reference.web_url or reference.original_url or reference.amp_url or (reference.cdn_amp_url)
    )


Depth = Annotated[
    int,
    strawberry.argument(description=f"How many hops to walk from the article (0 to {MAX_DEPTH})."),
]
Limit = Annotated[
    int,
    strawberry.argument(
        description=f"At most this many nodes, the root included (1 to {MAX_NODES}); "
        "`truncated` says when the walk was cut short."
    ),
]


@strawberry.enum(description="A reason two articles are similar.")
class SimilaritySignal(Enum):
    CITES = strawberry.enum_value(
        "CITES",
        description=f"This article's `related` list links to the other "
        f"(+{SIGNAL_WEIGHTS[Signal.CITES]}).",
    )
    CITED_BY = strawberry.enum_value(
        "CITED_BY",
        description=f"The other article links to this one (+{SIGNAL_WEIGHTS[Signal.CITED_BY]}).",
    )
    SHARED_TOPICS = strawberry.enum_value(
        "SHARED_TOPICS",
        description=f"Both carry these topics: +{SIGNAL_WEIGHTS[Signal.SHARED_TOPICS]} x "
        "specificity each, specificity = ln((N + 1) / articles with the topic) / ln(N + 1).",
    )
    SAME_PROVIDER = strawberry.enum_value(
        "SAME_PROVIDER",
        description=f"Same provider (+{SIGNAL_WEIGHTS[Signal.SAME_PROVIDER]}).",
    )
    SIMILAR_TEXT = strawberry.enum_value(
        "SIMILAR_TEXT",
        description=f"Title and excerpt words in common: +{SIGNAL_WEIGHTS[Signal.SIMILAR_TEXT]}"
        " x cosine similarity (words weighted by rarity among the candidates; from 0.1).",
    )
    CLOSE_IN_TIME = strawberry.enum_value(
        "CLOSE_IN_TIME",
        description=f"Published close together: +{SIGNAL_WEIGHTS[Signal.CLOSE_IN_TIME]} x "
        "2^(-days apart / 7). Never a reason on its own.",
    )


@strawberry.type(description="How much one signal contributed to a similarity score.")
class SimilarityReason:
    signal: SimilaritySignal = strawberry.field(description="Which signal.")
    contribution: float = strawberry.field(description="What it added to the score.")
    detail: str = strawberry.field(
        description="Human-readable specifics: the shared topics, the common words, the days apart."
    )


@strawberry.type(description="An article similar to another, with the score's breakdown.")
class SimilarArticle:
    score: float = strawberry.field(description="The sum of the reasons' contributions.")
    reasons: list[SimilarityReason] = strawberry.field(
        description="The signals that contributed, largest first."
    )
    article: Article = strawberry.field(description="The similar article.")


async def similar_of(info: Info, article_id: int, first: int) -> list[SimilarArticle]:
    limit = info.context.limits.max_page_size
    if not 0 <= first <= limit:
        raise PublicError(f"`first` must be between 0 and {limit}, got {first}")
    found: list[Similar] = await info.context.loaders.similar(first).load(article_id)
    rows = await info.context.loaders.article_by_id.load_many([s.article_id for s in found])
    result = []
    for similar, row in zip(found, rows, strict=True):
        if row is None:
            continue
        result.append(
            SimilarArticle(
                score=similar.score,
                reasons=[
                    SimilarityReason(
                        signal=SimilaritySignal(r.signal.value),
                        contribution=r.contribution,
                        detail=r.detail,
                    )
                    for r in similar.reasons
                ],
                article=Article.from_row(row),
            )
        )
    return result
