"""Immutable rows that the data layer hands to the GraphQL layer; nothing here knows GraphQL.

They are named tuples rather than frozen dataclasses: a page builds dozens of them per
request, and a frozen dataclass's __init__ (one object.__setattr__ per field) cost six
times as much (2.2 µs against 0.35 µs for an ArticleRow).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

import orjson

Row = tuple[Any, ...]
T = TypeVar("T")


class ImageRow(NamedTuple):
    url: str
    width: int | None
    height: int | None
    is_cached: bool | None

    @staticmethod
    def from_json(items: str) -> tuple[ImageRow, ...]:
        return _images_from_json(items)


def decoded_images(
    items: str, make: Callable[[str, int | None, int | None, bool | None], T]
) -> list[T]:
    """`make(url, width, height, is_cached)` of each image in stored JSON, in order.

    Images are stored as JSON: a provider's logos, an article's images, a reference's.
    """
    return [make(i["url"], i.get("width"), i.get("height"), i.get("isCached"))
            for i in orjson.loads(items)]  # fmt: skip


# A provider's logos recur on most pages: the rows are immutable, so the decoded tuple
# of the same text is kept. An article's images are its own (as many texts as articles,
# which a cold page at 100,000 articles always missed here): they are decoded each time.
@lru_cache(maxsize=4096)
def _images_from_json(items: str) -> tuple[ImageRow, ...]:
    return tuple(decoded_images(items, ImageRow))


# A page reads an article's topic ids twice (to load its topics, to answer them), and
# the same few combinations recur across articles.
@lru_cache(maxsize=4096)
def _ids_from_text(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",")) if text else ()


class ArticleRow(NamedTuple):
    """An article as a page or a lookup returns it: everything but its body."""

    id: int
    path: str
    slug: str
    published_ts: int
    provider_id: int | None
    type: str | None
    category: str | None
    published: bool | None
    quality: int | None
    heat: int | None
    trending: float
    sort_title: str
    title: str
    excerpt: str | None
    published_at: str
    original_url: str | None
    web_url: str | None
    amp_url: str | None
    cdn_amp_url: str | None
    featured_content: str | None
    # Kept as stored and decoded when asked for (`decoded_images`, `topic_ids`): most
    # reads of a row never look at them.
    images_json: str
    topic_ids_text: str

    @property
    def topic_ids(self) -> tuple[int, ...]:
        """Its topics' ids in the order the article lists them."""
        return _ids_from_text(self.topic_ids_text)


# The columns of ArticleRow, in order, from `articles AS a JOIN article_content AS c`.
ARTICLE_COLUMNS = (
    "a.id, a.path, a.slug, a.published_ts, a.provider_id, a.type, a.category, a.published, "
    "a.quality, a.heat, a.trending, a.sort_title, c.title, c.excerpt, c.published_at, "
    "c.original_url, c.web_url, c.amp_url, c.cdn_amp_url, c.featured_content, c.images, "
    "c.topic_ids"
)
ARTICLE_COLUMN_COUNT = ARTICLE_COLUMNS.count(",") + 1
ARTICLE_JOIN = "articles AS a JOIN article_content AS c ON c.id = a.id"


def article_row(row: Row) -> ArticleRow:
    """An ArticleRow from the first ARTICLE_COLUMN_COUNT values of `row`."""
    values = list(row[:ARTICLE_COLUMN_COUNT])
    if values[7] is not None:  # SQLite stores booleans as 0/1
        values[7] = bool(values[7])
    return ArticleRow._make(values)


class ProviderRow(NamedTuple):
    id: int
    domain: str
    name: str
    images: tuple[ImageRow, ...]
    article_count: int


class TopicRow(NamedTuple):
    id: int
    slug: str
    name: str
    article_count: int


class RelatedRow(NamedTuple):
    article_id: int
    position: int
    title: str
    excerpt: str | None
    original_url: str | None
    web_url: str | None
    amp_url: str | None
    cdn_amp_url: str | None
    published_at: str | None
    type: str | None
    quality: int | None
    provider_name: str | None
    provider_domain: str | None
    images: tuple[ImageRow, ...]
    normalized_url: str | None
    target_id: int | None


# The columns of RelatedRow, in order, from the `related` table.
RELATED_COLUMNS = (
    "article_id, position, title, excerpt, original_url, web_url, amp_url, cdn_amp_url, "
    "published_at, type, quality, provider_name, provider_domain, images, normalized_url, "
    "target_id"
)


def related_row(r: Row) -> RelatedRow:
    """A RelatedRow from values in RELATED_COLUMNS order."""
    return RelatedRow(
        article_id=r[0], position=r[1], title=r[2], excerpt=r[3], original_url=r[4],
        web_url=r[5], amp_url=r[6], cdn_amp_url=r[7], published_at=r[8], type=r[9],
        quality=r[10], provider_name=r[11], provider_domain=r[12],
        images=ImageRow.from_json(r[13]), normalized_url=r[14], target_id=r[15],
    )  # fmt: skip
