"""Providers: the publishers articles come from, identified by domain."""

from __future__ import annotations

from functools import lru_cache

import strawberry

from loaders import reads
from loaders.query.sources import Scope
from loaders.rows import ProviderRow
from schema.context import Info
from schema.ids import decode_count_cursor, encode_cursor, global_id
from schema.types.connection import ArticleConnection, article_list
from schema.types.image import Image, images
from schema.types.node import SHARED_OBJECTS_KEPT, Node
from schema.types.pagination import (
    PageInfo,
    check_first,
    entity_page_info,
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
    @lru_cache(maxsize=SHARED_OBJECTS_KEPT)
    def from_row(cls, row: ProviderRow) -> Provider:
        return cls(
            id=strawberry.ID(global_id("Provider", row.domain)),
            name=row.name,
            domain=row.domain,
            images=images(row.images),
            article_count=row.article_count,
            row=row,
        )

    articles: ArticleConnection = article_list(
        Scope.PROVIDER,
        lambda provider: provider.row.id,
        "Its articles (newest first unless `orderBy` says otherwise).",
    )


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
    db = info.context.db
    size = check_first(first, info.context.limits)
    position = decode_count_cursor(after, CURSOR_KIND) if after else None
    rows, has_next = await reads.providers_page(db, size, position)
    positions = [(r.article_count, r.domain) for r in rows]
    cursors = [encode_cursor(CURSOR_KIND, *p) for p in positions]
    total = (await reads.entity_totals(db))[0]
    return ProviderConnection(
        edges=[
            ProviderEdge(cursor=c, node=Provider.from_row(r))
            for c, r in zip(cursors, rows, strict=True)
        ],
        page_info=entity_page_info(
            db, "providers", "domain", positions, cursors, has_next, size, position, total
        ),
        total_count=total,
    )
