"""Articles, their related references and article connections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from loaders import reads
from loaders.reads import ArticleRow, PageRequest, RelatedRow, Scope
from schema.context import Info
from schema.ids import decode_int_cursor, encode_cursor, global_id
from schema.limits import DEFAULT_PAGE_SIZE
from schema.types.image import Image, images
from schema.types.node import Node
from schema.types.pagination import (
    After,
    First,
    PageInfo,
    check_first,
    page_info,
)

if TYPE_CHECKING:
    from schema.types.provider import Provider
    from schema.types.topic import Topic

ProviderRef = Annotated["Provider", strawberry.lazy("schema.types.provider")]
TopicRef = Annotated["Topic", strawberry.lazy("schema.types.topic")]

CURSOR_KIND = "articles.newest"


@strawberry.type(description="A news article ingested from a markdown file with YAML frontmatter.")
class Article(Node):
    slug: str = strawberry.field(description="The file name without its extension; unique.")
    path: str = strawberry.field(
        description="Path of the source file relative to the folder it was ingested from; "
        "the article's identity."
    )
    title: str = strawberry.field(description="Headline.")
    excerpt: str | None = strawberry.field(description="Short summary, plain text.")
    body: str = strawberry.field(description="Markdown body after the frontmatter; may be empty.")
    category: str | None = strawberry.field(description="Publisher category, e.g. `news`.")
    type: str | None = strawberry.field(description="Kind of content, e.g. `article`, `video`.")
    published_at: str = strawberry.field(
        description="Publication time, ISO-8601 in UTC (e.g. `2021-02-16T03:47:00Z`)."
    )
    original_url: str | None = strawberry.field(description="URL of the original publication.")
    web_url: str | None = strawberry.field(description="Canonical web URL.")
    amp_url: str | None = strawberry.field(description="AMP version URL (`ampWebUrl`).")
    cdn_amp_url: str | None = strawberry.field(description="AMP cache URL (`cdnAmpWebUrl`).")
    quality: int | None = strawberry.field(description="Editorial quality score.")
    heat: int | None = strawberry.field(description="Popularity score; -1 when unknown.")
    published: bool | None = strawberry.field(description="Whether the publisher marks it live.")
    featured_content: str | None = strawberry.field(
        description="Embeddable HTML (e.g. a video iframe), as provided by the publisher."
    )
    row: strawberry.Private[ArticleRow]

    @classmethod
    def from_row(cls, row: ArticleRow) -> Article:
        return cls(
            id=strawberry.ID(global_id("Article", row.path)),
            slug=row.slug,
            path=row.path,
            title=row.title,
            excerpt=row.excerpt,
            body=row.body,
            category=row.category,
            type=row.type,
            published_at=row.published_at,
            original_url=row.original_url,
            web_url=row.web_url,
            amp_url=row.amp_url,
            cdn_amp_url=row.cdn_amp_url,
            quality=row.quality,
            heat=row.heat,
            published=row.published,
            featured_content=row.featured_content,
            row=row,
        )

    @strawberry.field(description="Who published it; null when the file names no provider.")
    async def provider(self, info: Info) -> ProviderRef | None:
        from schema.types.provider import Provider

        if self.row.provider_id is None:
            return None
        found = await info.context.loaders.provider_by_id.load(self.row.provider_id)
        return Provider.from_row(found) if found else None

    @strawberry.field(description="Topics in the order the article lists them.")
    async def topics(self, info: Info) -> list[TopicRef]:
        from schema.types.topic import Topic

        rows = await info.context.loaders.topics_by_article_id.load(self.row.id)
        return [Topic.from_row(r) for r in rows]

    @strawberry.field(description="Images in the order the article lists them.")
    async def images(self, info: Info) -> list[Image]:
        return images(await info.context.loaders.images_by_article_id.load(self.row.id))

    @strawberry.field(
        description="The article's `related` references in frontmatter order, each linked "
        "to the corpus article it points at when there is one."
    )
    async def related(self, info: Info) -> list[RelatedArticle]:
        rows = await info.context.loaders.related_by_article_id.load(self.row.id)
        return [RelatedArticle.from_row(r) for r in rows]

    @strawberry.field(
        description="Corpus articles whose `related` lists point at this one, newest first."
    )
    async def related_by(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> ArticleConnection:
        return await article_connection(info, Scope.RELATED_BY, self.row.id, first, after)


@strawberry.type(description="The provider of a related reference, as the reference names it.")
class RelatedProvider:
    name: str | None = strawberry.field(description="Provider name as written.")
    domain: str | None = strawberry.field(description="Provider domain as written.")

    @strawberry.field(description="The corpus provider with this domain, if any.")
    async def provider(self, info: Info) -> ProviderRef | None:
        from schema.types.provider import Provider

        if not self.domain:
            return None
        found = await info.context.loaders.provider_by_domain.load(self.domain)
        return Provider.from_row(found) if found else None


@strawberry.type(
    description="One entry of an article's `related` list: the reference as written, "
    "plus the corpus article it resolves to by URL."
)
class RelatedArticle:
    position: int = strawberry.field(description="0-based position in the `related` list.")
    title: str = strawberry.field(description="Title as written in the reference.")
    excerpt: str | None = strawberry.field(description="Excerpt as written.")
    original_url: str | None = strawberry.field(description="`originalUrl` as written.")
    web_url: str | None = strawberry.field(description="`webUrl` as written.")
    amp_url: str | None = strawberry.field(description="`ampWebUrl` as written.")
    cdn_amp_url: str | None = strawberry.field(description="`cdnAmpWebUrl` as written.")
    published_at: str | None = strawberry.field(description="Publication time, UTC ISO-8601.")
    type: str | None = strawberry.field(description="Kind of content as written.")
    quality: int | None = strawberry.field(description="Quality score as written.")
    provider: RelatedProvider | None = strawberry.field(description="Provider as written.")
    images: list[Image] = strawberry.field(description="Images as written.")
    normalized_url: str | None = strawberry.field(
        description="The URL used for matching: no scheme, fragment, tracking parameters "
        "or trailing slash; lower-case host."
    )
    target_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: RelatedRow) -> RelatedArticle:
        has_provider = row.provider_name or row.provider_domain
        return cls(
            position=row.position,
            title=row.title,
            excerpt=row.excerpt,
            original_url=row.original_url,
            web_url=row.web_url,
            amp_url=row.amp_url,
            cdn_amp_url=row.cdn_amp_url,
            published_at=row.published_at,
            type=row.type,
            quality=row.quality,
            provider=RelatedProvider(name=row.provider_name, domain=row.provider_domain)
            if has_provider
            else None,
            images=images(row.images),
            normalized_url=row.normalized_url,
            target_id=row.target_id,
        )

    @strawberry.field(
        description="The corpus article this reference points at (matched on any of its "
        "URLs after normalization), or null when it points outside the corpus."
    )
    async def article(self, info: Info) -> Article | None:
        if self.target_id is None:
            return None
        row = await info.context.loaders.article_by_id.load(self.target_id)
        return Article.from_row(row) if row else None


@strawberry.type(description="An article in a connection, with its cursor.")
class ArticleEdge:
    cursor: str = strawberry.field(description="Opaque position; pass it as `after`.")
    node: Article = strawberry.field(description="The article.")


@strawberry.type(description="A page of articles, newest first (Relay cursor connection).")
class ArticleConnection:
    edges: list[ArticleEdge] = strawberry.field(description="Articles of this page with cursors.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    scope: strawberry.Private[Scope]
    parent: strawberry.Private[int | None]

    @strawberry.field(description="Articles of this page, without cursors.")
    def nodes(self) -> list[Article]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many articles the whole list holds (not just this page).")
    async def total_count(self, info: Info) -> int:
        return await info.context.loaders.count(self.scope).load(self.parent)


async def article_connection(
    info: Info, scope: Scope, parent: int | None, first: int | None, after: str | None
) -> ArticleConnection:
    """A page of the scope's articles; pages of many parents share one statement."""
    request = PageRequest(
        check_first(first, info.context.limits),
        decode_int_cursor(after, CURSOR_KIND) if after else None,
    )
    page = await info.context.loaders.page(scope, request).load(parent)
    edges = [
        ArticleEdge(cursor=encode_cursor(CURSOR_KIND, *row.sort_key), node=Article.from_row(row))
        for row in page.rows
    ]
    db = info.context.db

    async def has_previous() -> bool:
        if request.after is None:
            return False
        return await reads.has_articles_before(db, scope, parent, request.after)

    return ArticleConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], page.has_next, has_previous),
        scope=scope,
        parent=parent,
    )
