"""Article connections: filtered, ordered pages with cursors, counts and facets.

Every article list (`articles`, `Topic.articles`, `Provider.articles`,
`Article.relatedBy`) takes the same arguments and returns an ArticleConnection;
`article_connection` turns those arguments into one page request of the data layer.
"""

from __future__ import annotations

import strawberry

from loaders.query.pages import PageRequest, count_before, exists_beyond
from loaders.query.sources import Scope
from schema.context import Info
from schema.eager import cached, preload_connection
from schema.filters import ArticleFilterInput, to_filter
from schema.ids import decode_article_cursor, encode_article_cursor
from schema.ordering import ArticleOrder, to_ordering
from schema.types.article import Article
from schema.types.facets import ArticleFacets
from schema.types.pagination import PageInfo, check_window, page_info


@strawberry.type(description="An article in a connection, with its cursor.")
class ArticleEdge:
    cursor: str = strawberry.field(
        description="Opaque position in this list's order; pass it as `after` or `before`."
    )
    node: Article = strawberry.field(description="The article.")


@strawberry.type(
    description="A page of a filtered, ordered list of articles (Relay cursor connection), "
    "with the size of the whole list and its facets."
)
class ArticleConnection:
    edges: list[ArticleEdge] = strawberry.field(description="Articles of this page with cursors.")
    page_info: PageInfo = strawberry.field(description="Cursors, page numbers and neighbours.")
    scope: strawberry.Private[Scope]
    parent: strawberry.Private[int | None]
    request: strawberry.Private[PageRequest]

    @strawberry.field(description="Articles of this page, without cursors.")
    def nodes(self) -> list[Article]:
        return [edge.node for edge in self.edges]

    @strawberry.field(
        description="How many articles the whole filtered list holds (not just this page)."
    )
    def total_count(self, info: Info) -> int:
        loader = info.context.loaders.count(self.scope, self.request.filter)
        return cached(loader, self.parent, int)

    @strawberry.field(description="Counts over the whole filtered list, for filter UIs.")
    def facets(self) -> ArticleFacets:
        return ArticleFacets(scope=self.scope, parent=self.parent, filter=self.request.filter)


async def article_connection(
    info: Info,
    scope: Scope,
    parent: int | None,
    *,
    filter: ArticleFilterInput | None = None,
    order_by: list[ArticleOrder] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    offset: int | None = None,
) -> ArticleConnection:
    """A page of the scope's articles; pages of many parents share one statement."""
    context = info.context
    window = check_window(
        context.limits, first, last, cursors=after is not None or before is not None,
        offset=offset,
    )  # fmt: skip
    ordering = to_ordering(order_by)
    types = ordering.value_types()
    request = PageRequest(
        first=window.first,
        last=window.last,
        after=decode_article_cursor(after, ordering.signature, types) if after else None,
        before=decode_article_cursor(before, ordering.signature, types) if before else None,
        offset=window.offset,
        filter=to_filter(filter),
        ordering=ordering,
    )
    page = await context.loaders.page(scope, request).load(parent)
    await preload_connection(info, page.rows, context.loaders.count(scope, request.filter), parent)
    edges = [
        ArticleEdge(
            cursor=encode_article_cursor(ordering.signature, ordering.position(row)),
            node=Article.from_row(row),
        )
        for row in page.rows
    ]
    db, rest = context.db, request.filter

    async def exists(position: tuple[object, ...] | None, before: bool) -> bool:
        if position is None:
            return False
        return await exists_beyond(db, scope, parent, rest, ordering, position, before=before)

    async def previous() -> bool:
        if request.backwards and page.has_more:
            return True
        if request.offset > 0:
            return bool(page.rows) or await total() > 0
        return await exists(request.after, before=True)

    async def following() -> bool:
        if not request.backwards and page.has_more:
            return True
        return await exists(request.before, before=False)

    async def items_before() -> int | None:
        if request.after is None and request.before is None:
            if request.backwards:
                return max(0, await total() - len(page.rows))
            return request.offset
        if page.rows:
            position, inclusive = ordering.position(page.rows[0]), False
        elif request.after is not None:
            position, inclusive = request.after, True  # an empty page after the cursor's row
        else:
            return 0  # nothing before `before`
        return await count_before(db, scope, parent, rest, ordering, position, inclusive=inclusive)

    async def total() -> int:
        return int(await context.loaders.count(scope, rest).load(parent))

    return ArticleConnection(
        edges=edges,
        page_info=page_info(
            [e.cursor for e in edges],
            has_next=False,
            page_size=window.size,
            previous_check=previous,
            next_check=following,
            items_before=items_before,
            total=total,
        ),
        scope=scope,
        parent=parent,
        request=request,
    )
