"""Article connections: filtered, ordered pages with cursors, counts and facets.

Every article list (`articles`, `Topic.articles`, `Provider.articles`,
`Article.relatedBy`) takes the same arguments and returns an ArticleConnection;
`article_connection` turns those arguments into one page request of the data layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from loaders.query.pages import PageRequest
from loaders.query.sources import Scope
from schema.context import Info
from schema.eager import cached, load_one, preload_connection
from schema.execution import direct, lean
from schema.filters import ArticleFilterInput, FilterArg
from schema.ids import encode_article_cursor
from schema.ordering import ArticleOrder, OrderByArg, to_ordering
from schema.types.facets import ArticleFacets
from schema.types.pagination import After, Before, First, Last, Offset, PageInfo
from schema.types.window import Window, page_request

if TYPE_CHECKING:
    from schema.types.article import Article

# Lazy: Article.relatedBy is itself an article list, so article.py imports this module.
ArticleRef = Annotated["Article", strawberry.lazy("schema.types.article")]


@strawberry.type(description="An article in a connection, with its cursor.")
class ArticleEdge:
    cursor: str = strawberry.field(
        description="Opaque position in this list's order; pass it as `after` or `before`."
    )
    node: ArticleRef = strawberry.field(description="The article.")


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
    @direct
    def nodes(self) -> list[ArticleRef]:
        return [edge.node for edge in self.edges]

    @strawberry.field(
        description="How many articles the whole filtered list holds (not just this page)."
    )
    @direct
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
    from schema.types.article import Article

    context = info.context
    ordering = to_ordering(order_by)
    signature = ordering.signature
    request = page_request(
        info, ordering, signature, filter=filter, first=first, after=after,
        last=last, before=before, offset=offset,
    )  # fmt: skip
    count = context.loaders.count(scope, request.filter)
    page = await load_one(info, context.loaders.page(scope, request), parent)
    await preload_connection(info, page.rows, count, parent)
    positions = [ordering.position(row) for row in page.rows]
    edges = [
        ArticleEdge(cursor=encode_article_cursor(signature, p), node=Article.from_row(r))
        for p, r in zip(positions, page.rows, strict=True)
    ]
    window = Window(
        db=context.db,
        scope=scope,
        parent=parent,
        request=request,
        rows=len(page.rows),
        has_more=page.has_more,
        first_position=positions[0] if positions else None,
        total=lambda: cached(count, parent, int),
    )
    return ArticleConnection(
        edges=edges,
        page_info=window.page_info([e.cursor for e in edges]),
        scope=scope,
        parent=parent,
        request=request,
    )


def article_list(scope: Scope, parent: Callable[[Any], int | None], description: str) -> Any:
    """A field listing the articles of `scope` for the object it is on (`parent(root)`
    gives the parent key), with every article-list argument."""

    async def resolve(
        root: Any,
        info: Info,
        filter: FilterArg = None,
        order_by: OrderByArg = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> ArticleConnection:
        return await article_connection(
            info, scope, parent(root), filter=filter, order_by=order_by, first=first,
            after=after, last=last, before=before, offset=offset,
        )  # fmt: skip

    return strawberry.field(resolver=lean(resolve), description=description)
