"""Articles and their related references."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from loaders.query.sources import Scope
from loaders.rows import ArticleRow, ProviderRow, RelatedRow, TopicRow, decoded_images
from schema.context import Info
from schema.eager import cached, cached_list
from schema.execution import direct
from schema.ids import global_id
from schema.scalars import DateTime
from schema.types.connection import article_list
from schema.types.image import Image, images
from schema.types.node import Node
from schema.types.provider import Provider
from schema.types.topic import Topic

if TYPE_CHECKING:
    from schema.types.connection import ArticleConnection
    from schema.types.graph import SimilarArticle

ProviderRef = Annotated["Provider", strawberry.lazy("schema.types.provider")]
TopicRef = Annotated["Topic", strawberry.lazy("schema.types.topic")]
ConnectionRef = Annotated["ArticleConnection", strawberry.lazy("schema.types.connection")]
SimilarRef = Annotated["SimilarArticle", strawberry.lazy("schema.types.graph")]


@strawberry.type(description="A news article ingested from a markdown file with YAML frontmatter.")
class Article(Node):
    slug: str = strawberry.field(description="The file name without its extension; unique.")
    path: str = strawberry.field(
        description="Path of the source file relative to the folder it was ingested from; "
        "the article's identity."
    )
    title: str = strawberry.field(description="Headline.")
    excerpt: str | None = strawberry.field(description="Short summary, plain text.")
    category: str | None = strawberry.field(description="Publisher category, e.g. `news`.")
    type: str | None = strawberry.field(description="Kind of content, e.g. `article`, `video`.")
    published_at: DateTime = strawberry.field(
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
            category=row.category,
            type=row.type,
            published_at=DateTime(row.published_at),
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

    @strawberry.field(
        description="Markdown body after the frontmatter; may be empty. Read only when asked "
        "for: list pages that leave it out never load it."
    )
    @direct
    def body(self, info: Info) -> str:
        return cached(info.context.loaders.body_by_article_id, self.row.id, str)

    @strawberry.field(
        description="The frontmatter's other keys: those the publisher added and no field "
        "here holds (say `author`), as one object, values as written (dates as ISO-8601 "
        "text). Null when there are none. Read only when asked for."
    )
    @direct
    def extra(self, info: Info) -> JSON | None:
        return cached(info.context.loaders.extra_by_article_id, self.row.id, _as_loaded)

    # The resolvers below answer from the DataLoader caches that the resolver which made
    # this article filled ahead (schema/eager.py), or else return an awaitable load.

    @strawberry.field(description="Who published it; null when the file names no provider.")
    @direct
    def provider(self, info: Info) -> ProviderRef | None:
        if self.row.provider_id is None:
            return None
        return cached(info.context.loaders.provider_by_id, self.row.provider_id, provider_of)

    @strawberry.field(description="Topics in the order the article lists them.")
    @direct
    def topics(self, info: Info) -> list[TopicRef]:
        return cached_list(info.context.loaders.topic_by_id, self.row.topic_ids, topics_of)

    @strawberry.field(description="Images in the order the article lists them.")
    @direct
    def images(self, info: Info) -> list[Image]:
        # Straight from the stored JSON: no intermediate rows (see loaders/rows.py).
        return decoded_images(self.row.images_json, Image.of)

    @strawberry.field(
        description="The article's `related` references in frontmatter order, each linked "
        "to the corpus article it points at when there is one."
    )
    @direct
    def related(self, info: Info) -> list[RelatedArticle]:
        return cached(info.context.loaders.related_by_article_id, self.row.id, references_of)

    related_by: ConnectionRef = article_list(
        Scope.RELATED_BY,
        lambda article: article.row.id,
        "Corpus articles whose `related` lists point at this one (newest first unless "
        "`orderBy` says otherwise).",
    )

    @strawberry.field(
        description="Other articles ranked by an explainable similarity: explicit related "
        "links either way, shared topics (rarer topics count more), same provider, similar "
        "title and excerpt words, and closeness in time; each with its score and reasons. "
        "Candidates are the article's links and its neighbours in time within its topics, "
        "its provider and the corpus."
    )
    async def similar(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description="How many similar articles to return.")
        ] = 5,
    ) -> list[SimilarRef]:
        from schema.types.graph import similar_of

        return await similar_of(info, self.row.id, first)

    @strawberry.field(
        description="How many of its `related` references have a URL that no corpus article "
        "has (see `unresolvedRelated`)."
    )
    async def unresolved_related_count(self, info: Info) -> int:
        return await info.context.loaders.unresolved_count.load(self.row.id)


@strawberry.type(description="The provider of a related reference, as the reference names it.")
class RelatedProvider:
    name: str | None = strawberry.field(description="Provider name as written.")
    domain: str | None = strawberry.field(description="Provider domain as written.")

    @strawberry.field(description="The corpus provider with this domain, if any.")
    @direct
    def provider(self, info: Info) -> ProviderRef | None:
        if not self.domain:
            return None
        return cached(info.context.loaders.provider_by_domain, self.domain, provider_of)


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
    published_at: DateTime | None = strawberry.field(description="Publication time, UTC ISO-8601.")
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
            published_at=DateTime(row.published_at) if row.published_at else None,
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
    @direct
    def article(self, info: Info) -> Article | None:
        if self.target_id is None:
            return None
        return cached(info.context.loaders.article_by_id, self.target_id, article_of)


def _as_loaded(extra: dict[str, Any] | None) -> JSON | None:
    return None if extra is None else JSON(extra)


def article_of(row: ArticleRow | None) -> Article | None:
    return Article.from_row(row) if row else None


def provider_of(row: ProviderRow | None) -> Provider | None:
    return Provider.from_row(row) if row else None


def topics_of(rows: list[TopicRow | None]) -> list[Topic]:
    # None: a topic gone since the row was read (an ingest committed in between).
    return [Topic.from_row(r) for r in rows if r is not None]


def references_of(rows: list[RelatedRow]) -> list[RelatedArticle]:
    return [RelatedArticle.from_row(r) for r in rows]
