"""Topics: the subjects articles are tagged with, identified by slug."""

from __future__ import annotations

from functools import lru_cache

import strawberry

from loaders import reads
from loaders.query.sources import Scope
from loaders.rows import TopicRow
from schema.context import Info
from schema.ids import decode_count_cursor, encode_cursor, global_id
from schema.types.connection import ArticleConnection, article_list
from schema.types.node import SHARED_OBJECTS_KEPT, Node
from schema.types.pagination import (
    PageInfo,
    check_first,
    entity_page_info,
)

CURSOR_KIND = "topics.count"


@strawberry.type(
    description="A subject articles are tagged with. Names match case-insensitively: "
    "`AI` and `ai` are one topic."
)
class Topic(Node):
    name: str = strawberry.field(description="Display name, as written by its newest article.")
    slug: str = strawberry.field(
        description="URL-safe key derived from the name (`Computer Vision` → `computer-vision`)."
    )
    article_count: int = strawberry.field(description="How many corpus articles carry it.")
    row: strawberry.Private[TopicRow]

    @classmethod
    @lru_cache(maxsize=SHARED_OBJECTS_KEPT)
    def from_row(cls, row: TopicRow) -> Topic:
        return cls(
            id=strawberry.ID(global_id("Topic", row.slug)),
            name=row.name,
            slug=row.slug,
            article_count=row.article_count,
            row=row,
        )

    articles: ArticleConnection = article_list(
        Scope.TOPIC,
        lambda topic: topic.row.id,
        "Its articles (newest first unless `orderBy` says otherwise).",
    )


@strawberry.type(description="A topic in a connection, with its cursor.")
class TopicEdge:
    cursor: str = strawberry.field(description="Opaque position; pass it as `after`.")
    node: Topic = strawberry.field(description="The topic.")


@strawberry.type(description="A page of topics, most articles first, then by slug.")
class TopicConnection:
    edges: list[TopicEdge] = strawberry.field(description="Topics of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(description="How many topics the corpus has.")

    @strawberry.field(description="Topics of this page, without cursors.")
    def nodes(self) -> list[Topic]:
        return [edge.node for edge in self.edges]


async def topic_connection(info: Info, first: int | None, after: str | None) -> TopicConnection:
    db = info.context.db
    size = check_first(first, info.context.limits)
    position = decode_count_cursor(after, CURSOR_KIND) if after else None
    rows, has_next = await reads.topics_page(db, size, position)
    positions = [(r.article_count, r.slug) for r in rows]
    cursors = [encode_cursor(CURSOR_KIND, *p) for p in positions]
    total = (await reads.entity_totals(db))[1]
    return TopicConnection(
        edges=[
            TopicEdge(cursor=c, node=Topic.from_row(r)) for c, r in zip(cursors, rows, strict=True)
        ],
        page_info=entity_page_info(
            db, "topics", "slug", positions, cursors, has_next, size, position, total
        ),
        total_count=total,
    )
