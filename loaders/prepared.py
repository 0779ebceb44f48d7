"""An article's rows as far as its file decides them, made where the file is parsed.

The writer (loaders/ingest.py) owns what the run decides: ids, the folder, provider
and topic ids, the trending rank, file stamps. Everything else about an article's rows
is a function of its file, and is computed here, in the parse processes, so that the
one writer only joins ids to finished tuples. The result is plain tuples and strings:
they cross from the parse processes to the writer in about half the time of the
nested named tuples of a ParsedArticle, and cost the writer no attribute lookups.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from loaders.parse import ParsedArticle, ParsedImage

# Columns of `articles` and `article_content` the writer fills itself, then those in
# PreparedArticle.article_values / content_values (each row is the two joined).
ARTICLE_RUN_COLUMNS = (
    "id", "root_id", "provider_id", "trending", "file_size", "file_mtime_ns", "path", "slug",
    "content_hash",
)  # fmt: skip
ARTICLE_FILE_COLUMNS = (
    "published_ts", "published_month", "type", "category", "published", "quality", "heat",
    "image_count", "related_count", "sort_title",
)  # fmt: skip
CONTENT_RUN_COLUMNS = ("id", "topic_ids")
CONTENT_FILE_COLUMNS = (
    "title", "excerpt", "published_at", "original_url", "web_url", "amp_url", "cdn_amp_url",
    "featured_content", "provider_name", "provider_images", "topic_names", "images", "body",
    "secured", "extra",
)  # fmt: skip
# Columns of `related` after (article_id, position), and of `reference_urls`.
RELATED_FILE_COLUMNS = (
    "title", "excerpt", "original_url", "web_url", "amp_url", "cdn_amp_url", "published_at",
    "type", "quality", "provider_name", "provider_domain", "images", "normalized_url",
)  # fmt: skip


class PreparedArticle(NamedTuple):
    article_values: tuple[Any, ...]  # ARTICLE_FILE_COLUMNS
    content_values: tuple[Any, ...]  # CONTENT_FILE_COLUMNS
    provider: tuple[str, str] | None  # (domain, name)
    topics: tuple[str, ...]  # names as written
    topic_slugs: tuple[str, ...]  # the same order
    urls: tuple[str, ...]  # normalized, deduplicated
    related: tuple[tuple[Any, ...], ...]  # (position, *RELATED_FILE_COLUMNS)
    reference_urls: tuple[tuple[int, int, str], ...]  # (position, priority, url)
    # Also in article_values; named here because the writer needs them apart (the
    # trending rank, topic rows), where positions in a tuple would not say which.
    published_ts: int
    quality: int | None
    heat: int | None


def published_month(published_at: str) -> int:
    """`2021-02-16T03:47:00Z` → 202102 (the months facet groups on it)."""
    return int(published_at[:4]) * 100 + int(published_at[5:7])


def images_json(images: tuple[ParsedImage, ...]) -> str:
    return orjson.dumps([img.to_json() for img in images]).decode() if images else "[]"


def prepare(a: ParsedArticle) -> PreparedArticle:
    provider = a.provider
    return PreparedArticle(
        article_values=(
            a.published_ts, published_month(a.published_at), a.type, a.category, a.published,
            a.quality, a.heat, len(a.images), len(a.related), a.title.casefold(),
        ),
        content_values=(
            a.title, a.excerpt, a.published_at, a.original_url, a.web_url, a.amp_url,
            a.cdn_amp_url, a.featured_content, provider.name if provider else None,
            images_json(provider.images) if provider else "[]", "\n".join(a.topics),
            images_json(a.images), a.body, a.secured, a.extra_json,
        ),
        provider=(provider.domain, provider.name) if provider else None,
        topics=a.topics,
        topic_slugs=a.topic_slugs,
        urls=a.urls,
        related=tuple(
            (
                pos, ref.title, ref.excerpt, ref.original_url, ref.web_url, ref.amp_url,
                ref.cdn_amp_url, ref.published_at, ref.type, ref.quality,
                ref.provider.name if ref.provider else None,
                ref.provider.domain if ref.provider else None,
                images_json(ref.images), ref.normalized_url,
            )
            for pos, ref in enumerate(a.related)
        ),
        reference_urls=tuple(
            (pos, priority, url)
            for pos, ref in enumerate(a.related)
            for priority, url in enumerate(ref.match_urls)
        ),
        published_ts=a.published_ts,
        quality=a.quality,
        heat=a.heat,
    )  # fmt: skip
