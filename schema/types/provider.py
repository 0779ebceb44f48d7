"""Providers: the publishers articles come from, identified by domain."""

from __future__ import annotations

import strawberry

from loaders import reads
from loaders.reads import ProviderRow, Scope
from schema.context import Info
from schema.ids import decode_count_cursor, encode_cursor, global_id
from schema.limits import DEFAULT_PAGE_SIZE
from schema.types.article import ArticleConnection, article_connection
from schema.types.image import Image, images
from schema.types.node import Node
from schema.types.pagination import (
    After,
    First,
    PageInfo,
    after_given,
    check_first,
    page_info,
)

CURSOR_KIND = "providers.count"


@strawberry.type(description="A publisher, identified by its domain.")
class Provider(Node):
    name: str = strawberry.field(
        description="Display name, as written by the provider's newest article."
    )
    domain: str = strawberry.field(description="Domain, lower-case; the provider's identity.")
    images: list[Image] = strawberry.field(description="Logos, as written by its newest article.")
    article_count: int = strawberry.field(description="How many corpus articles it published.")
    row: strawberry.Private[ProviderRow]

    @classmethod
    def from_row(cls, row: ProviderRow) -> Provider:
        return cls(
            id=strawberry.ID(global_id("Provider", row.domain)),
            name=row.name,
            domain=row.domain,
            images=images(row.images),
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
        return await article_connection(info, Scope.PROVIDER, self.row.id, first, after)


@strawberry.type(description="A provider in a connection, with its cursor.")
class ProviderEdge:
    cursor: str = strawberry.field(description="Opaque position; pass it as `after`.")
    node: Provider = strawberry.field(description="The provider.")


@strawberry.type(description="A page of providers, most articles first, then by domain.")
class ProviderConnection:
    edges: list[ProviderEdge] = strawberry.field(description="Providers of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(description="How many providers the corpus has.")

    @strawberry.field(description="Providers of this page, without cursors.")
    def nodes(self) -> list[Provider]:
        return [edge.node for edge in self.edges]


async def provider_connection(
    info: Info, first: int | None, after: str | None
) -> ProviderConnection:
    key = decode_count_cursor(after, CURSOR_KIND) if after else None
    rows, has_next = await reads.providers_page(
        info.context.db, check_first(first, info.context.limits), key
    )
    edges = [
        ProviderEdge(
            cursor=encode_cursor(CURSOR_KIND, r.article_count, r.domain), node=Provider.from_row(r)
        )
        for r in rows
    ]
    total, _ = await reads.entity_totals(info.context.db)
    return ProviderConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], has_next, after_given(after)),
        total_count=total,
    )
