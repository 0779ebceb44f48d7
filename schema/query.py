"""The root Query type: entry points into the corpus."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from loaders import reads
from loaders.parse import slugify
from loaders.query.sources import Scope
from loaders.rows import ArticleRow
from loaders.urls import normalize_url
from loaders.watch import read_state
from schema.context import Info
from schema.eager import fill, preload_articles
from schema.errors import PublicError, checked_text
from schema.execution import lean
from schema.filters import FilterArg
from schema.ids import parse_global_id
from schema.limits import DEFAULT_PAGE_SIZE
from schema.types.article import Article
from schema.types.connection import ArticleConnection, article_list
from schema.types.corpus import Corpus
from schema.types.graph import Depth, Limit, RelatedGraph, graph_of
from schema.types.node import Node
from schema.types.pagination import MAX_PAGE_SIZE, After, Before, First, Last, Offset
from schema.types.provider import Provider, ProviderConnection, provider_connection
from schema.types.search import QueryArg, SearchConnection, SearchOrderArg, search_connection
from schema.types.topic import Topic, TopicConnection, topic_connection
from schema.types.unresolved import (
    UnresolvedFirst,
    UnresolvedReferenceConnection,
    unresolved_connection,
)


async def load_node(info: Info, token: str) -> Node | None:
    type_name, key = parse_global_id(token)
    loaders = info.context.loaders
    if type_name == "Article":
        article = await loaders.article_by_path.load(key)
        if article is None:
            return None
        await preload_articles(info, [article], info._raw_info.field_nodes)
        return Article.from_row(article)
    if type_name == "Provider":
        provider = await loaders.provider_by_domain.load(key)
        return Provider.from_row(provider) if provider else None
    topic = await loaders.topic_by_slug.load(key)
    return Topic.from_row(topic) if topic else None


async def _article(info: Info, slug: str | None, url: str | None) -> ArticleRow | None:
    """The article with this slug, or with this URL (after normalization), in one
    statement; kept by the article loader like any row it loaded."""
    db = info.context.db
    if slug is not None:
        row = await reads.article_by_slug(db, checked_text(slug, "slug"))
    else:
        normalized = normalize_url(checked_text(url or "", "url"))
        if normalized is None:
            raise PublicError(f"`url` must be an absolute http(s) URL, got '{url!s:.80}'")
        row = await reads.article_by_normalized_url(db, normalized)
    if row is not None:
        info.context.loaders.article_by_id.values.setdefault(row.id, row)
    return row


@strawberry.type(description="Read access to the articles, providers and topics of the corpus.")
class Query:
    @strawberry.field(
        description="One article by exactly one of `slug`, `url` or `id`; null when none "
        "matches. `url` matches any of the article's URLs (original, web, AMP, AMP cache) "
        "after normalization (scheme, host case, default port, trailing slash, fragment and "
        "tracking parameters are ignored); when several articles share a URL the first by "
        "path is returned."
    )
    @lean
    async def article(
        self,
        info: Info,
        slug: Annotated[str | None, strawberry.argument(description="File stem.")] = None,
        url: Annotated[str | None, strawberry.argument(description="Any of its URLs.")] = None,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Global ID.")] = None,
    ) -> Article | None:
        given = [n for n, v in (("slug", slug), ("url", url), ("id", id)) if v is not None]
        if len(given) != 1:
            raise PublicError(
                "pass exactly one of `slug`, `url` or `id` to `article`"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if id is not None:
            node = await load_node(info, id)
            return node if isinstance(node, Article) else None
        row = await _article(info, slug, url)
        if row is None:
            return None
        await preload_articles(info, [row], info._raw_info.field_nodes)
        return Article.from_row(row)

    articles: ArticleConnection = article_list(
        Scope.ALL,
        lambda _: None,
        "Articles of the corpus: filtered, ordered (newest first by default) and paged with "
        "cursors in both directions or with page numbers, with the total count and facets "
        "of the filtered list.",
    )

    @strawberry.field(
        description="Full-text search over titles, excerpts, bodies, topic names and provider "
        "names: hits ranked by relevance (bm25, title above excerpt above body) unless "
        "`orderBy` says otherwise, each with its score and highlights; filters, cursors, "
        "`totalCount` and `facets` work as on `articles`. A query that cannot be searched "
        "is an error with code INVALID_SEARCH."
    )
    @lean
    async def search(
        self,
        info: Info,
        query: QueryArg,
        filter: FilterArg = None,
        order_by: SearchOrderArg = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> SearchConnection:
        return await search_connection(
            info, query, filter=filter, order_by=order_by,
            first=first, after=after, last=last, before=before, offset=offset,
        )  # fmt: skip

    @strawberry.field(
        description="The related-article graph around one article (by exactly one of `slug` "
        "or `url`), ready to draw: nodes (corpus articles and outside references) and edges "
        "(each a `related` entry, from citer to cited), walked breadth first along `related` "
        "and `relatedBy` up to `depth` hops and `limit` nodes. Null when no article matches."
    )
    async def related_graph(
        self,
        info: Info,
        slug: Annotated[str | None, strawberry.argument(description="File stem.")] = None,
        url: Annotated[str | None, strawberry.argument(description="Any of its URLs.")] = None,
        depth: Depth = 2,
        limit: Limit = 100,
    ) -> RelatedGraph | None:
        if (slug is None) == (url is None):
            raise PublicError("pass exactly one of `slug` or `url` to `relatedGraph`")
        row = await _article(info, slug, url)
        return await graph_of(info, row, depth, limit) if row else None

    @strawberry.field(
        description="References that point outside the corpus (their URL matches no corpus "
        "article after normalization), grouped by URL, most cited first: an editor's link "
        "checker."
    )
    async def unresolved_related(
        self, info: Info, first: UnresolvedFirst = None, after: After = None
    ) -> UnresolvedReferenceConnection:
        return await unresolved_connection(info, first, after)

    @strawberry.field(description="A provider by domain (case-insensitive); null when unknown.")
    async def provider(
        self,
        info: Info,
        domain: Annotated[str, strawberry.argument(description="e.g. `techstory.in`.")],
    ) -> Provider | None:
        domain = checked_text(domain, "domain")
        (row,) = await fill(info.context.loaders.provider_by_domain, [domain])
        return Provider.from_row(row) if row else None

    @strawberry.field(description="Providers, most articles first.")
    async def providers(
        self, info: Info, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> ProviderConnection:
        return await provider_connection(info, first, after)

    @strawberry.field(
        description="A topic by slug; a name is accepted too (`Computer Vision` finds "
        "`computer-vision`). Null when unknown."
    )
    @lean
    async def topic(
        self,
        info: Info,
        slug: Annotated[str, strawberry.argument(description="e.g. `computer-vision`.")],
    ) -> Topic | None:
        (row,) = await fill(
            info.context.loaders.topic_by_slug, [slugify(checked_text(slug, "slug"))]
        )
        return Topic.from_row(row) if row else None

    @strawberry.field(description="Topics, most articles first.")
    async def topics(
        self, info: Info, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> TopicConnection:
        return await topic_connection(info, first, after)

    @strawberry.field(description="Any object by global ID; null when it no longer exists.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
    ) -> Node | None:
        return await load_node(info, id)

    @strawberry.field(
        description=f"Objects by global IDs, in the order given (at most {MAX_PAGE_SIZE}); "
        "null for IDs that no longer exist."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global IDs.")],
    ) -> list[Node | None]:
        limit = info.context.limits.max_page_size
        if len(ids) > limit:
            raise PublicError(f"`ids` takes at most {limit} IDs, got {len(ids)}")
        # Gathered, not awaited one by one, so the DataLoaders see every ID in one batch.
        return list(await asyncio.gather(*(load_node(info, token) for token in ids)))

    @strawberry.field(description="The corpus version and what the last ingest did.")
    async def corpus(self, info: Info) -> Corpus:
        return Corpus.from_state(await read_state(info.context.db))
