"""References outside the corpus, grouped by URL: the link checker's connection."""

from __future__ import annotations

from typing import Annotated

import strawberry

from loaders.graph.unresolved import (
    UnresolvedGroup,
    groups_before,
    unresolved_groups,
    unresolved_total,
)
from schema.context import Info
from schema.errors import PublicError
from schema.ids import decode_count_cursor, encode_cursor
from schema.limits import DEFAULT_PAGE_SIZE
from schema.types.article import Article, RelatedArticle
from schema.types.pagination import PageInfo, check_first, page_info

CURSOR_KIND = "unresolved.count"
DEFAULT_CITATIONS = 20


@strawberry.type(description="One article's reference to an outside URL.")
class Citation:
    article: Article = strawberry.field(description="The citing article.")
    reference: RelatedArticle = strawberry.field(
        description="The reference as written (its position in the article's `related` list "
        "tells an editor where to fix it)."
    )


@strawberry.type(
    description="A URL that articles reference but no corpus article has (after "
    "normalization), with the articles citing it."
)
class UnresolvedReference:
    normalized_url: str = strawberry.field(description="The URL as matched (normalized).")
    cited_by: int = strawberry.field(description="How many articles cite it.")

    @strawberry.field(
        description="The citing articles' references, by article then position (at most "
        "`first`; `citedBy` counts them all)."
    )
    async def citations(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description="How many citations to return.")
        ] = DEFAULT_CITATIONS,
    ) -> list[Citation]:
        limit = info.context.limits.max_page_size
        if not 0 <= first <= limit:
            raise PublicError(f"`first` must be between 0 and {limit}, got {first}")
        rows = (await info.context.loaders.citations_by_url.load(self.normalized_url))[:first]
        articles = await info.context.loaders.article_by_id.load_many([r.article_id for r in rows])
        return [
            Citation(article=Article.from_row(article), reference=RelatedArticle.from_row(row))
            for row, article in zip(rows, articles, strict=True)
            if article is not None
        ]


@strawberry.type(description="An outside URL in a connection, with its cursor.")
class UnresolvedReferenceEdge:
    cursor: str = strawberry.field(description="Pass it as `after` for the next page.")
    node: UnresolvedReference = strawberry.field(description="The outside URL.")


@strawberry.type(
    description="Outside URLs, most cited first, then by URL (Relay cursor connection)."
)
class UnresolvedReferenceConnection:
    edges: list[UnresolvedReferenceEdge] = strawberry.field(description="URLs of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and neighbours.")

    @strawberry.field(description="URLs of this page, without cursors.")
    def nodes(self) -> list[UnresolvedReference]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many distinct outside URLs the corpus references.")
    async def total_count(self, info: Info) -> int:
        return await unresolved_total(info.context.db)


def _node(group: UnresolvedGroup) -> UnresolvedReference:
    return UnresolvedReference(normalized_url=group.url, cited_by=group.cited_by)


async def unresolved_connection(
    info: Info, first: int | None, after: str | None
) -> UnresolvedReferenceConnection:
    db = info.context.db
    size = check_first(first, info.context.limits)
    position = decode_count_cursor(after, CURSOR_KIND) if after else None
    groups, more = await unresolved_groups(db, size, position)
    edges = [
        UnresolvedReferenceEdge(cursor=encode_cursor(CURSOR_KIND, g.cited_by, g.url), node=_node(g))
        for g in groups
    ]

    async def previous() -> bool:
        return position is not None and await before() > 0

    async def before() -> int:
        if groups:
            return await groups_before(db, (groups[0].cited_by, groups[0].url))
        if position is not None:
            return await groups_before(db, position, inclusive=True)
        return 0

    async def total() -> int:
        return await unresolved_total(db)

    return UnresolvedReferenceConnection(
        edges=edges,
        page_info=page_info(
            [e.cursor for e in edges],
            more,
            size,
            previous_check=previous,
            items_before=before,
            total=total,
        ),
    )


UnresolvedFirst = Annotated[
    int | None,
    strawberry.argument(description=f"How many URLs to return (null means {DEFAULT_PAGE_SIZE})."),
]
