"""Per-request DataLoaders: every nested field of a page costs one statement.

Loaders live for one request only (made in `Loaders.__init__`), so they never
serve stale rows across ingests and never leak between users.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from loaders import reads
from loaders.db import chunked
from loaders.reader import Reader
from loaders.reads import (
    ArticleRow,
    ImageRow,
    Page,
    PageRequest,
    ProviderRow,
    RelatedRow,
    Scope,
    TopicRow,
)

K = TypeVar("K", bound=Hashable)
MAX_KEYS_PER_STATEMENT = 1000
V = TypeVar("V")


def _loader(
    fetch: Callable[[Sequence[K]], Awaitable[dict[K, V]]], default: Any = None
) -> DataLoader[K, Any]:
    """A DataLoader over a `*_by_*` read: results in key order, `default` when absent."""

    async def batch(keys: list[K]) -> list[Any]:
        found: dict[K, V] = {}
        # Bounded IN lists: far below SQLite's variable limit, and kind to its planner.
        for part in chunked(list(dict.fromkeys(keys)), MAX_KEYS_PER_STATEMENT):
            found.update(await fetch(part))
        return [found.get(k, default() if callable(default) else default) for k in keys]

    return DataLoader(batch)


class Loaders:
    def __init__(self, db: Reader) -> None:
        self.db = db
        self.article_by_id: DataLoader[int, ArticleRow | None] = _loader(
            lambda ids: reads.articles_by_ids(db, ids)
        )
        self.article_by_path: DataLoader[str, ArticleRow | None] = _loader(
            lambda paths: reads.articles_by_paths(db, paths)
        )
        self.topic_by_slug: DataLoader[str, TopicRow | None] = _loader(
            lambda slugs: reads.topics_by_slugs(db, slugs)
        )
        self.provider_by_id: DataLoader[int, ProviderRow | None] = _loader(
            lambda ids: reads.providers_by_ids(db, ids)
        )
        self.provider_by_domain: DataLoader[str, ProviderRow | None] = _loader(
            lambda domains: reads.providers_by_domains(db, domains)
        )
        self.topics_by_article_id: DataLoader[int, list[TopicRow]] = _loader(
            lambda ids: reads.topics_by_article_ids(db, ids), list
        )
        self.images_by_article_id: DataLoader[int, list[ImageRow]] = _loader(
            lambda ids: reads.images_by_article_ids(db, ids), list
        )
        self.related_by_article_id: DataLoader[int, list[RelatedRow]] = _loader(
            lambda ids: reads.related_by_article_ids(db, ids), list
        )
        self._pages: dict[tuple[Scope, PageRequest], DataLoader[int | None, Page]] = {}
        self._counts: dict[Scope, DataLoader[int | None, int]] = {}

    def page(self, scope: Scope, request: PageRequest) -> DataLoader[int | None, Page]:
        """Pages of one shape for many parents (e.g. every topic's first 5 articles)."""
        key = (scope, request)
        if key not in self._pages:
            db = self.db

            async def batch(parents: list[int | None]) -> list[Page]:
                pages = await reads.article_pages(db, scope, request, list(dict.fromkeys(parents)))
                return [pages[p] for p in parents]

            self._pages[key] = DataLoader(batch)
        return self._pages[key]

    def count(self, scope: Scope) -> DataLoader[int | None, int]:
        if scope not in self._counts:
            db = self.db

            async def batch(parents: list[int | None]) -> list[int]:
                counts = await reads.article_counts(db, scope, list(dict.fromkeys(parents)))
                return [counts[p] for p in parents]

            self._counts[scope] = DataLoader(batch)
        return self._counts[scope]
