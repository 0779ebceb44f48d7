"""Topics: the subjects articles are tagged with, identified by slug."""

from __future__ import annotations

import strawberry

from loaders import reads
from loaders.reads import Scope, TopicRow
from schema.context import Info
from schema.ids import decode_count_cursor, encode_cursor, global_id
from schema.limits import DEFAULT_PAGE_SIZE
from schema.types.article import ArticleConnection, article_connection
from schema.types.node import Node
from schema.types.pagination import (
    After,
    First,
    PageInfo,
    after_given,
    check_first,
    page_info,
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
    def from_row(cls, row: TopicRow) -> Topic:
        return cls(
            id=strawberry.ID(global_id("Topic", row.slug)),
            name=row.name,
            slug=row.slug,
            article_count=row.article_count,
            row=row,
        )

    @strawberry.field(description="Its articles, newest first.")
    async def articles(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> ArticleConnection:
        return await article_connection(info, Scope.TOPIC, self.row.id, first, after)


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
    key = decode_count_cursor(after, CURSOR_KIND) if after else None
    rows, has_next = await reads.topics_page(
        info.context.db, check_first(first, info.context.limits), key
    )
    edges = [
        TopicEdge(
            cursor=encode_cursor(CURSOR_KIND, r.article_count, r.slug), node=Topic.from_row(r)
        )
        for r in rows
    ]
    _, total = await reads.entity_totals(info.context.db)
    return TopicConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], has_next, after_given(after)),
        total_count=total,
    )
