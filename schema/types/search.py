"""Full-text search: a connection of ranked hits with scores and highlights."""

from __future__ import annotations

import html
from collections.abc import Awaitable
from functools import lru_cache
from typing import Annotated

import strawberry
from graphql import FieldNode, value_from_ast
from strawberry.types.nodes import get_variable_values

from loaders.query.ordering import MOST_RELEVANT
from loaders.query.pages import PageRequest
from loaders.query.sources import MatchScope
from loaders.search.highlight import MAX_SNIPPET_TOKENS, Highlights, Markers
from loaders.search.hits import search_page
from loaders.search.language import MAX_QUERY_CHARS, SearchQuery, SearchSyntaxError, parse_query
from schema.context import Info
from schema.eager import at, cached, children, each, fill, preload_articles
from schema.errors import PublicError, checked_text
from schema.execution import direct
from schema.filters import FilterArg
from schema.ids import encode_article_cursor
from schema.ordering import ArticleOrder, to_ordering
from schema.types.article import Article
from schema.types.facets import ArticleFacets
from schema.types.pagination import After, Before, First, Last, Offset, PageInfo
from schema.types.window import Window, page_request

MAX_MARKER_CHARS = 64


class InvalidSearch(PublicError):
    code = "INVALID_SEARCH"


QUERY_DESCRIPTION = (
    "What to look for, in the query language (at most "
    f'{MAX_QUERY_CHARS} characters): `solar grid` (every word), `"solar grid"` '
    "(a phrase), `regulat*` (a prefix, 2+ letters), `-drone` (leave out), `cloud OR edge` "
    "(either; upper-case OR, grouping tighter than the implicit AND). Words are letters "
    "and digits, matched ignoring case and diacritics, without stemming; other "
    "punctuation is plain text. Searches title, excerpt, body, topic names and provider "
    "name."
)
ORDER_DESCRIPTION = (
    "Order keys, most significant first; null or empty means most relevant first "
    "(relevance, then a stable internal key). Any other order replaces relevance."
)


@strawberry.type(description="Where the query matched, as HTML: text escaped, matches marked.")
class SearchHighlights:
    title: str = strawberry.field(
        description="The title, HTML-escaped, each match between the markers."
    )
    excerpt: str | None = strawberry.field(
        description="The excerpt, HTML-escaped, each match between the markers; null when "
        "the article has none."
    )
    found: strawberry.Private[Highlights | None]
    expression: strawberry.Private[str]
    markers: strawberry.Private[Markers]
    article_id: strawberry.Private[int]

    @strawberry.field(
        description="A snippet of the markdown body around its best matches, HTML-escaped "
        "with matches marked and `ellipsis` where text is cut; null when the body does "
        "not match."
    )
    @direct
    def body(self, info: Info) -> str | None:
        # Snippets are made only for queries that select them (search_connection
        # preloads with or without); this loads one when it was not made ahead.
        if self.found is None or self.found.with_body:
            return self.found.body if self.found else None
        loader = info.context.loaders.highlights(self.expression, self.markers, body=True)
        return cached(loader, self.article_id, lambda found: found.body if found else None)


# Cached: every edge of a page asks with the same arguments, and the same Markers
# object then finds its loader by identity instead of comparing fields.
@lru_cache(maxsize=256)
def _markers(start: str, end: str, ellipsis: str, snippet_words: int) -> Markers:
    for name, value in (("start", start), ("end", end), ("ellipsis", ellipsis)):
        checked_text(value, name)
        if len(value) > MAX_MARKER_CHARS:
            raise PublicError(f"`{name}` takes at most {MAX_MARKER_CHARS} characters")
    if not 1 <= snippet_words <= MAX_SNIPPET_TOKENS:
        raise PublicError(
            f"`snippetWords` must be between 1 and {MAX_SNIPPET_TOKENS}, got {snippet_words}"
        )
    return Markers(start, end, ellipsis, snippet_words)


Marker = Annotated[
    str,
    strawberry.argument(
        description="Inserted as given, not escaped: it is your HTML (keep it well-formed)."
    ),
]


@strawberry.type(description="One search hit: the article, its score, its cursor.")
class SearchEdge:
    cursor: str = strawberry.field(
        description="Opaque position in this search's order; pass it as `after` or `before` "
        "with the same query and order."
    )
    node: Article = strawberry.field(description="The matching article.")
    known_score: strawberry.Private[float | None]
    expression: strawberry.Private[str]

    @strawberry.field(
        description="Relevance (bm25 with field weights: title 10, topic names 5, excerpt 4, "
        "provider name 2, body 1; higher is better). Comparable within one search only."
    )
    @direct
    def score(self, info: Info) -> float:
        if self.known_score is not None:
            return self.known_score
        loader = info.context.loaders.search_score(self.expression)
        return cached(loader, self.node.row.id, lambda found: found or 0.0)

    @strawberry.field(description="Where the query matched, with configurable markers.")
    @direct
    def highlights(
        self,
        info: Info,
        start: Marker = "<mark>",
        end: Marker = "</mark>",
        ellipsis: Annotated[
            str, strawberry.argument(description="Marks text cut from the body snippet.")
        ] = "…",
        snippet_words: Annotated[
            int,
            strawberry.argument(
                description=f"Length of the body snippet in words (1 to {MAX_SNIPPET_TOKENS})."
            ),
        ] = 24,
    ) -> SearchHighlights:
        markers = _markers(start, end, ellipsis, snippet_words)
        loaders = info.context.loaders
        article_id = self.node.row.id
        loader = loaders.highlights(self.expression, markers, body=True)
        if article_id not in loader.values:  # made with snippets only when asked for
            loader = loaders.highlights(self.expression, markers, body=False)

        def shown(found: Highlights | None) -> SearchHighlights:
            if found is None:  # changed by an ingest since the page was read: no marks
                title = html.escape(self.node.title, quote=True)
                excerpt = html.escape(self.node.excerpt, quote=True) if self.node.excerpt else None
            else:
                title, excerpt = found.title, found.excerpt
            return SearchHighlights(
                title=title, excerpt=excerpt, found=found, expression=self.expression,
                markers=markers, article_id=article_id,
            )  # fmt: skip

        return cached(loader, article_id, shown)


@strawberry.type(
    description="A page of search hits (Relay cursor connection) with the number of hits "
    "and their facets."
)
class SearchConnection:
    edges: list[SearchEdge] = strawberry.field(description="Hits of this page with cursors.")
    page_info: PageInfo = strawberry.field(description="Cursors, page numbers and neighbours.")
    interpretation: str = strawberry.field(
        description='How the query was read, in the query language: words, `"phrases"`, '
        "`prefix*`, `(a OR b)` groups and `-excluded` parts (punctuation dropped)."
    )
    scope: strawberry.Private[MatchScope]
    request: strawberry.Private[PageRequest]
    matches: strawberry.Private[int | None]

    @strawberry.field(description="The matching articles of this page, without cursors.")
    @direct
    def nodes(self) -> list[Article]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many articles match the query and the filter.")
    @direct
    def total_count(self, info: Info) -> int:
        if self.matches is not None and self.request.filter.is_empty():
            return self.matches
        loader = info.context.loaders.search_count(self.scope.expression, self.request.filter)
        return cached(loader, None, int)

    @strawberry.field(description="Counts over all hits (not just this page), for filter UIs.")
    def facets(self) -> ArticleFacets:
        return ArticleFacets(scope=self.scope, parent=None, filter=self.request.filter)


def _requested_markers(info: Info, nodes: list[FieldNode]) -> dict[Markers, bool]:
    """The markers of every `highlights(...)` the query asks for, to load them ahead,
    and for each whether a body snippet is asked for with them.

    An argument that fails validation is left out here: the field's own resolver then
    reports it on that field, exactly as without preloading.
    """
    field = info._raw_info.schema.get_type("SearchEdge").fields["highlights"]  # type: ignore[union-attr]
    variables = get_variable_values(info._raw_info)
    found: dict[Markers, bool] = {}
    for node in nodes:
        given = {a.name.value: a.value for a in node.arguments or ()}
        values = {
            name: value_from_ast(given[name], arg.type, variables)
            if name in given
            else arg.default_value
            for name, arg in field.args.items()
        }
        try:
            markers = _markers(
                values["start"], values["end"], values["ellipsis"], values["snippetWords"]
            )
        except (PublicError, TypeError):
            continue
        found[markers] = found.get(markers, False) or "body" in children(info, [node])
    return found


def _query(text: str) -> SearchQuery:
    try:
        return parse_query(checked_text(text, "query"))
    except SearchSyntaxError as exc:
        raise InvalidSearch(str(exc)) from None


async def search_connection(
    info: Info,
    query: str,
    *,
    filter: FilterArg = None,
    order_by: list[ArticleOrder] | None = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    offset: Offset = None,
) -> SearchConnection:
    context = info.context
    parsed = _query(query)
    ordering = to_ordering(order_by) if order_by else MOST_RELEVANT
    # Relevance depends on the query: its cursors name the query too.
    signature = ordering.signature
    if ordering.has_relevance:
        signature += f"~{parsed.fingerprint()}"
    request = page_request(
        info, ordering, signature, filter=filter, first=first, after=after, last=last,
        before=before, offset=offset,
    )  # fmt: skip
    expression = parsed.expression()
    page = await search_page(context.db, parsed, request)
    nodes = info._raw_info.field_nodes
    selected = at(info, nodes, "nodes") + at(info, nodes, "edges", "node")
    ids = [hit.row.id for hit in page.hits]
    highlights = _requested_markers(info, at(info, nodes, "edges", "highlights"))
    await each(
        info,
        [
            preload_articles(info, [hit.row for hit in page.hits], selected),
            *(fill(context.loaders.highlights(expression, markers, body=body), ids)
              for markers, body in highlights.items()),
        ],
    )  # fmt: skip
    positions = [ordering.position(hit.row, hit.score) for hit in page.hits]
    edges = [
        SearchEdge(
            cursor=encode_article_cursor(signature, position),
            node=Article.from_row(hit.row),
            known_score=hit.score,
            expression=expression,
        )
        for position, hit in zip(positions, page.hits, strict=True)
    ]
    scope = MatchScope(expression)
    rest = request.filter

    def total() -> int | Awaitable[int]:
        if page.matches is not None and rest.is_empty():
            return page.matches
        return context.loaders.search_count(expression, rest).load(None)

    window = Window(
        db=context.db,
        scope=scope,
        parent=None,
        request=request,
        rows=len(page.hits),
        has_more=page.has_more,
        first_position=positions[0] if positions else None,
        total=total,
    )
    return SearchConnection(
        edges=edges,
        page_info=window.page_info([e.cursor for e in edges]),
        interpretation=parsed.interpretation(),
        scope=scope,
        request=request,
        matches=page.matches,
    )


SearchOrderArg = Annotated[
    list[ArticleOrder] | None, strawberry.argument(description=ORDER_DESCRIPTION)
]
QueryArg = Annotated[str, strawberry.argument(description=QUERY_DESCRIPTION)]
