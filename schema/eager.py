"""Load what a list of articles will be asked for before graphql-core asks for it.

graphql-core resolves an async field through a coroutine, and a list of them
through tasks; for a 20-article page that machinery costs more than its SQL. So a
resolver that makes articles (a connection, `article(...)`) reads the query's
selection, loads every nested level it asks for through the same DataLoaders (one
statement per level, as before, the levels of one depth together), and the nested
resolvers then find their rows in the loaders' caches and answer synchronously
(`cached`). Anything not loaded ahead still works: the resolver falls back to an
awaitable load.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from graphql import FieldNode
from graphql.pyutils import Path

from loaders.rows import ArticleRow, RelatedRow
from schema.context import Info
from schema.dataloaders import Loader
from schema.selections import selected_fields

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")
P = TypeVar("P", bound=Hashable | None)
Fields = dict[str, list[FieldNode]]


_MISSING: Any = object()


def cached(loader: Loader[K, V], key: K, convert: Callable[[V], R]) -> R:
    """`convert(value)` now when the loader already holds `key`, else an awaitable of it.

    graphql-core accepts either from any resolver, so resolvers return this as is; it is
    typed as the value because that is what the client gets either way.
    """
    value = loader.values.get(key, _MISSING)
    if value is not _MISSING:
        return convert(value)

    async def later() -> R:
        return convert(await loader.load(key))

    return later()  # type: ignore[return-value]  # an awaitable, see the docstring


def cached_list(loader: Loader[K, V], keys: Sequence[K], convert: Callable[[list[V]], R]) -> R:
    """`cached` for a list of keys: `convert(values)` now when the loader holds them all."""
    values = loader.values
    try:
        found = [values[key] for key in keys]
    except KeyError:

        async def later() -> R:
            return convert(await loader.load_many(keys))

        return later()  # type: ignore[return-value]  # see `cached`
    return convert(found)


async def fill(loader: Loader[K, V], keys: Iterable[K]) -> list[V]:
    """Load `keys` through the loader's batch function in one call (it keeps the values).

    What `load_many` does, without a future and a done-callback per key, which on a
    20-article page cost more than the statement itself. Returns the values in the
    order of the distinct keys.
    """
    wanted = list(dict.fromkeys(keys))
    values = loader.values
    missing = [key for key in wanted if key not in values]
    if missing:
        await loader.load_fn(missing)
    return [values[key] for key in wanted]


async def each(info: Info, work: Sequence[Awaitable[R]]) -> list[R]:
    """The results of independent loads.

    When statements start on the event loop (loaders/reader.py) a load finishes without
    suspending, so awaiting the loads in turn costs nothing, while `gather` would wrap
    each in a task and take two more turns of the loop per request. When statements run
    on threads, the loads run together.
    """
    if not info.context.db.runs_inline:
        return list(await asyncio.gather(*work))
    results: list[R] = []
    for position, awaitable in enumerate(work):
        try:
            results.append(await awaitable)
        except BaseException:
            for never in work[position + 1 :]:  # e.g. the SQL budget ran out
                if inspect.iscoroutine(never):
                    never.close()
            raise
    return results


# children() by the identities of its nodes: prepared documents are kept across requests
# (schema/build.py), so a page's resolver asks about the same nodes every time. Each
# entry holds its nodes, so their ids cannot be reused while it lives; a node belongs
# to one document, whose fragments it is read with.
_CHILDREN: dict[tuple[int, ...], tuple[tuple[FieldNode, ...], Fields]] = {}
CHILDREN_KEPT = 1024  # as many as selection plans (schema/plans.py)


def children(info: Info, nodes: Iterable[FieldNode]) -> Fields:
    """The fields selected under `nodes`, by field name (fragments expanded). Read-only:
    the mapping is shared by every request of the document."""
    nodes = tuple(nodes)
    key = tuple(map(id, nodes))
    known = _CHILDREN.get(key)
    if known is not None and all(a is b for a, b in zip(known[0], nodes, strict=True)):
        return known[1]
    fragments = info._raw_info.fragments
    found: Fields = {}
    for node in nodes:
        for field in selected_fields(node.selection_set, fragments):
            found.setdefault(field.name.value, []).append(field)
    if len(_CHILDREN) >= CHILDREN_KEPT:
        _CHILDREN.clear()
    _CHILDREN[key] = (nodes, found)
    return found


def at(info: Info, nodes: Iterable[FieldNode], *path: str) -> list[FieldNode]:
    """The field nodes reached from `nodes` along `path` (e.g. "edges", "node")."""
    current = list(nodes)
    for name in path:
        current = children(info, current).get(name, [])
    return current


async def preload_articles(info: Info, rows: Sequence[ArticleRow], nodes: list[FieldNode]) -> None:
    """Load, level by level, what `nodes` (selections on these articles) will read."""
    if not rows or not nodes:
        return
    loaders = info.context.loaders
    wanted = children(info, nodes)
    ids = [row.id for row in rows]
    work: list[Awaitable[Any]] = []
    if "provider" in wanted:
        providers = [row.provider_id for row in rows if row.provider_id is not None]
        work.append(fill(loaders.provider_by_id, providers))
    if "topics" in wanted:  # images need nothing: they come with the rows
        work.append(fill(loaders.topic_by_id, [t for row in rows for t in row.topic_ids]))
    if "body" in wanted:
        work.append(fill(loaders.body_by_article_id, ids))
    if "extra" in wanted:
        work.append(fill(loaders.extra_by_article_id, ids))
    if "related" in wanted:
        work.append(fill(loaders.related_by_article_id, ids))
    results = await each(info, work)
    if "related" in wanted:
        related: list[list[RelatedRow]] = results[-1]
        await _preload_related(info, [r for refs in related for r in refs], wanted["related"])


async def _preload_related(info: Info, refs: list[RelatedRow], nodes: list[FieldNode]) -> None:
    loaders = info.context.loaders
    wanted = children(info, nodes)
    work: list[Awaitable[Any]] = []
    targets: list[int] = []
    if "article" in wanted:
        targets = list(dict.fromkeys(r.target_id for r in refs if r.target_id is not None))
        work.append(fill(loaders.article_by_id, targets))
    if "provider" in children(info, wanted.get("provider", [])):  # the corpus provider
        domains = list(dict.fromkeys(r.provider_domain for r in refs if r.provider_domain))
        work.append(fill(loaders.provider_by_domain, domains))
    results = await each(info, work)
    if targets:
        found = [row for row in results[0] if row is not None]
        await preload_articles(info, found, wanted["article"])


async def preload_connection(
    info: Info, rows: Sequence[ArticleRow], count: Loader[P, int], parent: P
) -> None:
    """Preload a connection's articles (under `nodes` and `edges.node`) and its
    `totalCount`, together, when the query asks for them."""
    nodes = info._raw_info.field_nodes
    articles = at(info, nodes, "nodes") + at(info, nodes, "edges", "node")
    work: list[Awaitable[Any]] = [preload_articles(info, rows, articles)]
    if "totalCount" in children(info, nodes):
        work.append(load_one(info, count, parent))
    await each(info, work)


async def load_one(info: Info, loader: Loader[P, V], parent: P) -> V:
    """`loader.load(parent)`, without DataLoader's turn of the loop when there is
    nothing to batch with.

    A list under many parents (every topic's articles in a list of topics) batches
    their keys in one statement; a root list (parent None), or the list of one object
    that is not itself in a list (`topic(slug:) { articles }`), runs its batch function
    at once.
    """
    if parent is None or not _in_a_list(info):
        return (await fill(loader, [parent]))[0]
    return await loader.load(parent)


def _in_a_list(info: Info) -> bool:
    """Whether the field being resolved is on an item of a list (its path has an index)."""
    path: Path | None = info._raw_info.path
    while path is not None:
        if isinstance(path.key, int):
            return True
        path = path.prev
    return False
