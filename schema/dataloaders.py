"""Per-request DataLoaders: every nested level of a page costs at most one statement.

Loaders live for one request only (made in `Loaders.__init__`), so they never
serve stale rows across ingests and never leak between users. Providers and topics,
and the counts over whole lists (facets, totals), also come from a store kept across
the requests of one corpus version (loaders/shared.py), which the server passes in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Generic, TypeVar

from strawberry.dataloader import DataLoader

from loaders import reads
from loaders.db import chunked
from loaders.graph.similar import Similar, similar_articles
from loaders.graph.unresolved import citations_by_urls, unresolved_counts
from loaders.query.facets import Facet, FacetCount, facet_counts
from loaders.query.filters import ArticleFilter
from loaders.query.pages import Page, PageRequest, article_counts, article_pages
from loaders.query.sources import AnyScope
from loaders.reader import Reader
from loaders.rows import ArticleRow, ProviderRow, RelatedRow, TopicRow
from loaders.search.highlight import Highlights, Markers, highlights
from loaders.search.hits import search_count, search_scores
from loaders.shared import SharedRows

K = TypeVar("K", bound=Hashable)
MAX_KEYS_PER_STATEMENT = 1000
V = TypeVar("V")


class Loader(Generic[K, V]):
    """Values by key, loaded in batches: a DataLoader that keeps what it loaded as plain
    values and makes its DataLoader only when a key is loaded one at a time.

    Resolvers answering from loaded data (schema/eager.py's `cached`) look a key up in
    `values` (one dict lookup) rather than in DataLoader's cache of futures; a page
    preloaded in one batch (`fill`, through `load_fn`) costs no future per key; and a
    request makes several loaders it fills that way without ever needing DataLoader's
    batching (its cache and scheduling were a twentieth of a cold article page). `load`
    finds the values too, so both ways of loading see the same rows. Batch functions
    here return values, never the exceptions DataLoader would also allow.
    """

    __slots__ = ("_batch", "_dataloader", "values")

    def __init__(self, batch: Callable[[list[K]], Awaitable[Sequence[V]]]) -> None:
        self.values: dict[K, V] = {}
        self._batch = batch
        self._dataloader: DataLoader[K, V] | None = None

    async def load_fn(self, keys: list[K]) -> Sequence[V]:
        """The batch function: values of `keys`, in order, kept in `values`."""
        return await _load_into(self.values, self._batch, keys)

    def load(self, key: K) -> Awaitable[V]:
        """The value of `key`, batched with the other keys loaded in the same turn of the
        event loop (DataLoader's batching)."""
        if key in self.values:
            return _ready(self.values[key])
        if self._dataloader is None:
            # Not `self.load_fn`: the DataLoader would hold this loader, a reference cycle
            # (see Loaders).
            self._dataloader = DataLoader(partial(_load_into, self.values, self._batch))
        return self._dataloader.load(key)

    async def load_many(self, keys: Iterable[K]) -> list[V]:
        return list(await asyncio.gather(*(self.load(key) for key in keys)))


async def _load_into(
    values: dict[K, V], batch: Callable[[list[K]], Awaitable[Sequence[V]]], keys: list[K]
) -> Sequence[V]:
    found = await batch(keys)
    values.update(zip(keys, found, strict=True))
    return found


async def _ready(value: V) -> V:
    return value


@dataclass(frozen=True, slots=True)
class Kept(Generic[K, V]):
    """Where a loader keeps what it reads across requests: a store shared by the requests
    of one corpus version (loaders/shared.py) and a table in it. Keys found there cost
    no statement, and values read are added to it."""

    store: SharedRows
    table: str
    # Each key k is kept under (key, k) when given (loaders sharing a table); else as k.
    key: Hashable = None
    # What a value costs against the store's bound (with its filter's size, for lists:
    # clients choose filters); None: one each.
    cost: Callable[[V], int] | None = None

    def known(self, wanted: list[K]) -> tuple[dict[K, V], list[K]]:
        """(the values kept for `wanted`, the keys still to read)."""
        rows = self.store.table(self.table)
        if self.key is None:
            found = {k: rows[k] for k in wanted if k in rows}
        else:
            found = {k: rows[(self.key, k)] for k in wanted if (self.key, k) in rows}
        return found, [k for k in wanted if k not in found]

    def keep(self, fresh: dict[K, V]) -> None:
        weight = None if self.cost is None else sum(map(self.cost, fresh.values()))
        rows = fresh if self.key is None else {(self.key, k): v for k, v in fresh.items()}
        self.store.keep(self.table, rows, weight)


def _loader(
    fetch: Callable[[Sequence[K]], Awaitable[dict[K, V]]],
    default: Any = None,
    kept: Kept[K, V] | None = None,
) -> Loader[K, Any]:
    """A DataLoader over a `*_by_*` read: results in key order, `default` when absent;
    with `kept`, through a store shared across requests."""

    async def batch(keys: list[K]) -> list[Any]:
        wanted = list(dict.fromkeys(keys))
        found: dict[K, V] = {}
        if kept is not None:
            found, wanted = kept.known(wanted)
        # Bounded IN lists: far below SQLite's variable limit, and kind to its planner.
        for part in chunked(wanted, MAX_KEYS_PER_STATEMENT):
            rows = await fetch(part)
            found.update(rows)
            if kept is not None:
                kept.keep(rows)
        return [found.get(k, default() if callable(default) else default) for k in keys]

    return Loader(batch)


class Loaders:
    """This request's DataLoaders, each made on first use (most requests use a few).

    No fetch function holds the Loaders itself (they take `db` and the arguments they
    need): a closure over `self` made every request's loaders, and the rows they hold, a
    reference cycle that only the cyclic collector could free, running every few
    requests and taking ~8% of a cold page at 100,000 articles.
    """

    def __init__(self, db: Reader, shared: SharedRows | None = None) -> None:
        self.db = db
        self.shared = shared  # providers and topics kept across requests (loaders/shared.py)
        self._similar: dict[int, Loader[int, list[Similar]]] = {}
        self._pages: dict[tuple[AnyScope, PageRequest], Loader[int | None, Page]] = {}
        self._counts: dict[tuple[AnyScope, ArticleFilter], Loader[int | None, int]] = {}
        self._facets: dict[
            tuple[AnyScope, ArticleFilter, Facet, int],
            Loader[int | None, tuple[FacetCount, ...]],
        ] = {}
        self._search_counts: dict[tuple[str, ArticleFilter], Loader[None, int]] = {}
        self._search_scores: dict[str, Loader[int, float | None]] = {}
        self._highlights: dict[tuple[str, Markers, bool], Loader[int, Highlights | None]] = {}

    @cached_property
    def article_by_id(self) -> Loader[int, ArticleRow | None]:
        return _loader(partial(reads.articles_by_ids, self.db))

    @cached_property
    def body_by_article_id(self) -> Loader[int, str]:
        return _loader(partial(reads.bodies_by_article_ids, self.db), "")

    @cached_property
    def extra_by_article_id(self) -> Loader[int, dict[str, Any] | None]:
        return _loader(partial(reads.extras_by_article_ids, self.db))

    @cached_property
    def article_by_path(self) -> Loader[str, ArticleRow | None]:
        return _loader(partial(reads.articles_by_paths, self.db))

    def _kept(
        self, table: str, key: Hashable = None, cost: Callable[[Any], int] | None = None
    ) -> Kept[Any, Any] | None:
        return None if self.shared is None else Kept(self.shared, table, key, cost)

    @cached_property
    def topic_by_slug(self) -> Loader[str, TopicRow | None]:
        fetch = partial(reads.topics_by_slugs, self.db)
        return _loader(fetch, kept=self._kept("topics by slug"))

    @cached_property
    def provider_by_id(self) -> Loader[int, ProviderRow | None]:
        fetch = partial(reads.providers_by_ids, self.db)
        return _loader(fetch, kept=self._kept("providers by id"))

    @cached_property
    def provider_by_domain(self) -> Loader[str, ProviderRow | None]:
        fetch = partial(reads.providers_by_domains, self.db)
        return _loader(fetch, kept=self._kept("providers by domain"))

    @cached_property
    def topic_by_id(self) -> Loader[int, TopicRow | None]:
        fetch = partial(reads.topics_by_ids, self.db)
        return _loader(fetch, kept=self._kept("topics by id"))

    @cached_property
    def related_by_article_id(self) -> Loader[int, list[RelatedRow]]:
        return _loader(partial(reads.related_by_article_ids, self.db), list)

    @cached_property
    def unresolved_count(self) -> Loader[int, int]:
        return _loader(partial(unresolved_counts, self.db), 0)

    @cached_property
    def citations_by_url(self) -> Loader[str, list[RelatedRow]]:
        return _loader(partial(citations_by_urls, self.db), list)

    def page(self, scope: AnyScope, request: PageRequest) -> Loader[int | None, Page]:
        """Pages of one shape for many parents (e.g. every topic's first 5 articles)."""
        key = (scope, request)
        if key not in self._pages:
            self._pages[key] = _grouped(partial(article_pages, self.db, scope, request))
        return self._pages[key]

    # Counts and facets describe a whole list, not a page, so every page of a list asks
    # for the same ones; they are kept across requests (the whole list is read for them).

    def count(self, scope: AnyScope, filter: ArticleFilter) -> Loader[int | None, int]:
        """How many articles each parent's filtered list holds."""
        key = (scope, filter)
        if key not in self._counts:
            self._counts[key] = _grouped(
                partial(article_counts, self.db, scope, filter),
                self._kept("list counts", key, lambda _: filter.size()),
            )
        return self._counts[key]

    def facet(
        self, scope: AnyScope, filter: ArticleFilter, facet: Facet, bucket_size: int
    ) -> Loader[int | None, tuple[FacetCount, ...]]:
        """One facet's counts for many parents' filtered lists."""
        key = (scope, filter, facet, bucket_size)
        if key not in self._facets:
            self._facets[key] = _grouped(
                partial(facet_counts, self.db, scope, filter, facet, bucket_size=bucket_size),
                self._kept("facets", key, lambda values: filter.size() + len(values)),
            )
        return self._facets[key]

    def similar(self, first: int) -> Loader[int, list[Similar]]:
        """The `first` most similar articles of many articles, in a few statements."""
        if first not in self._similar:
            self._similar[first] = _loader(partial(similar_articles, self.db, first=first), list)
        return self._similar[first]

    def search_count(self, expression: str, filter: ArticleFilter) -> Loader[None, int]:
        """How many articles a search matches under a filter (load None)."""
        key = (expression, filter)
        if key not in self._search_counts:
            db = self.db

            async def count(_: list[None]) -> dict[None, int]:
                return {None: await search_count(db, expression, filter)}

            self._search_counts[key] = _grouped(count)
        return self._search_counts[key]

    def search_score(self, expression: str) -> Loader[int, float | None]:
        """Relevance of articles for a search, for hits of a page in another order."""
        if expression not in self._search_scores:
            self._search_scores[expression] = _loader(partial(search_scores, self.db, expression))
        return self._search_scores[expression]

    def highlights(
        self, expression: str, markers: Markers, *, body: bool
    ) -> Loader[int, Highlights | None]:
        """Highlighted title and excerpt of a page's hits (`body`: and a body snippet),
        in one statement."""
        key = (expression, markers, body)
        if key not in self._highlights:
            self._highlights[key] = _loader(
                partial(highlights, self.db, expression, markers=markers, body=body)
            )
        return self._highlights[key]


P = TypeVar("P", bound=Hashable)


def _grouped(
    fetch: Callable[[list[P]], Awaitable[dict[P, V]]], kept: Kept[P, V] | None = None
) -> Loader[P, V]:
    """A DataLoader over a read that answers for many parents at once (None included);
    with `kept`, through a store shared across requests."""

    async def batch(parents: list[P]) -> list[V]:
        found: dict[P, V] = {}
        wanted = list(dict.fromkeys(parents))
        if kept is not None:
            found, wanted = kept.known(wanted)
        if wanted:
            fresh = await fetch(wanted)
            found.update(fresh)
            if kept is not None:
                kept.keep(fresh)
        return [found[p] for p in parents]

    return Loader(batch)
