"""Pages, counts and positions of article lists: each one SQL statement.

A page request names a filter, an ordering and a window (`first` after a position,
`last` before one, or `first` from an offset). Pages of many parents that share a
request (every topic's first five articles) run as one UNION ALL of per-parent
branches, each an index walk with its own LIMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loaders.db import chunked, placeholders
from loaders.query.filters import (
    EMPTY_FILTER,
    ArticleFilter,
    Condition,
    compile_filter,
    estimate,
    id_union,
    named,
)
from loaders.query.ordering import NEWEST_FIRST, Ordering
from loaders.query.sources import AnyScope, Scope, Source, many_parents, one_parent, single_list
from loaders.reader import Reader
from loaders.rows import ARTICLE_COLUMNS, ArticleRow, article_row

MAX_UNION_BRANCHES = 200  # SQLite allows at most 500 terms in a compound SELECT
MAX_COUNT_KEYS = 1000

Position = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A window of a filtered, ordered list. Exactly one of `first` and `last` is set.

    `first` takes rows from the start (after `offset` rows), or strictly after
    `after`; `last` takes the rows just before `before` (or the end). Both
    positions may be given: the window then lies between them.
    """

    first: int | None = 20
    last: int | None = None
    after: Position | None = None
    before: Position | None = None
    offset: int = 0
    filter: ArticleFilter = EMPTY_FILTER
    ordering: Ordering = NEWEST_FIRST

    @property
    def backwards(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        size = self.last if self.backwards else self.first
        assert size is not None
        return size


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[ArticleRow]
    has_more: bool  # rows exist beyond the window in the direction of paging


def _where(*parts: Condition) -> Condition:
    used = [p for p in parts if p.sql != "1"]
    if not used:
        return Condition.true()
    return Condition(" AND ".join(f"({p.sql})" for p in used), [v for p in used for v in p.params])


def _window(request: PageRequest, source: Source) -> list[Condition]:
    """Conditions for the `after` and `before` positions."""
    parts = []
    if request.after is not None:
        parts.append(request.ordering.beyond(request.after, overrides=source.overrides))
    if request.before is not None:
        reverse = request.ordering.reversed()
        parts.append(reverse.beyond(request.before, overrides=source.overrides))
    return parts


def _branch(
    request: PageRequest, scope: AnyScope, parent: int | None, walk: bool = False
) -> tuple[str, list[Any]]:
    source, rest = one_parent(scope, parent, request.filter, request.ordering)
    where = _where(source.where, compile_filter(rest, walk=walk), *_window(request, source))
    ordering = request.ordering.reversed() if request.backwards else request.ordering
    sql = (
        f"SELECT * FROM (SELECT ? AS parent, {ARTICLE_COLUMNS} FROM {source.tables.sql} "
        f"JOIN article_content AS c ON c.id = a.id WHERE {where.sql} "
        f"ORDER BY {ordering.order_by(source.overrides)} LIMIT ? OFFSET ?)"
    )
    params = [parent, *source.tables.params, *where.params, request.size + 1, request.offset]
    return sql, params


async def article_pages(
    db: Reader, scope: AnyScope, request: PageRequest, parents: Sequence[int | None]
) -> dict[int | None, Page]:
    """One page per parent, in a single statement per MAX_UNION_BRANCHES parents."""
    grouped: dict[int | None, list[ArticleRow]] = {p: [] for p in parents}
    walk = scope is Scope.ALL and await _walks(db, request)
    for part in chunked(list(grouped), MAX_UNION_BRANCHES):
        branches = [_branch(request, scope, parent, walk) for parent in part]
        sql = " UNION ALL ".join(b[0] for b in branches)
        params = [v for b in branches for v in b[1]]
        for r in await db.fetch(sql, params):
            grouped[r[0]].append(article_row(r[1:]))
    pages = {}
    for parent, found in grouped.items():
        rows = found[: request.size]
        if request.backwards:
            rows.reverse()
        pages[parent] = Page(rows, len(found) > request.size)
    return pages


async def article_counts(
    db: Reader, scope: AnyScope, filter: ArticleFilter, parents: Sequence[int | None]
) -> dict[int | None, int]:
    """How many articles each parent's list holds under `filter`."""
    counts: dict[int | None, int] = dict.fromkeys(parents, 0)
    if filter.is_empty() and isinstance(scope, Scope) and scope is not Scope.RELATED_BY:
        return await _stored_counts(db, scope, parents)
    if scope is Scope.ALL and (stored := _stored_lookup(filter)):
        return dict.fromkeys(parents, await _scalar(db, *stored))
    if scope is Scope.ALL and (ids := id_union(filter)) is not None:
        # Counted from the indexes alone: a MULTI-INDEX OR would read every match's row.
        count = await _scalar(db, f"SELECT count(DISTINCT x) FROM ({ids.sql})", ids.params)
        return dict.fromkeys(parents, count)
    condition = compile_filter(filter)
    if single_list(scope):
        source = many_parents(scope, [None])
        where = _where(source.where, condition)
        row = await db.fetch_one(
            f"SELECT count(*) FROM {source.tables.sql} WHERE {where.sql}",
            [*source.tables.params, *where.params],
        )
        return dict.fromkeys(parents, row[0] if row else 0)
    keys = [p for p in parents if p is not None]
    for part in chunked(keys, MAX_COUNT_KEYS):
        source = many_parents(scope, part)
        where = _where(source.where, condition)
        rows = await db.fetch(
            f"SELECT {source.parent}, count(*) FROM {source.tables.sql} WHERE {where.sql} "
            f"GROUP BY {source.parent}",
            [*source.tables.params, *where.params],
        )
        counts.update({r[0]: r[1] for r in rows})
    return counts


def _stored_lookup(filter: ArticleFilter) -> tuple[str, list[Any]] | None:
    """The stored count of a filter that is exactly one topic or one provider."""
    if filter == ArticleFilter(topics=filter.topics) and len(filter.topics) == 1:
        return "SELECT ifnull(max(article_count), 0) FROM topics WHERE slug = ?", [*filter.topics]
    if filter == ArticleFilter(providers=filter.providers) and len(filter.providers) == 1:
        sql = "SELECT ifnull(max(article_count), 0) FROM providers WHERE domain = ?"
        return sql, [*filter.providers]
    return None


async def _walks(db: Reader, request: PageRequest) -> bool:
    """Whether a page of the whole corpus should walk its order's index and test each
    row, rather than let SQLite collect the filter's matches through indexes and sort.

    Given topics, providers or slugs, SQLite collects and sorts every match: right for
    a few dozen, while for `or: [{topics: [a big one, ...]}, {providers: [...]}]`
    (19,500 of 100,000 articles) it read and sorted all of them (60 ms) where the
    newest index reaches the first 21 within ~110 rows. Walking reads about
    rows * N / M rows for M matches of N, collecting reads M: walk when M * M > rows * N,
    M bounded from the stored counts of the topics and providers named (one statement,
    for these filters only).
    """
    _, rest = one_parent(Scope.ALL, None, request.filter, request.ordering)
    if estimate(rest, {}, {}) is None:  # nothing SQLite could collect through an index
        return False
    topics, providers = named(rest)
    parts = ["SELECT 0, NULL, max(id) FROM articles"]
    params: list[Any] = []
    for kind, table, key, values in (
        (1, "topics", "slug", sorted(topics)),
        (2, "providers", "domain", sorted(providers)),
    ):
        if values:
            parts.append(
                f"SELECT {kind}, {key}, article_count FROM {table} "
                f"WHERE {key} IN ({placeholders(values)})"
            )
            params.extend(values)
    rows = await db.fetch(" UNION ALL ".join(parts), params)
    total = next((r[2] for r in rows if r[0] == 0), None) or 0
    counts = {kind: {r[1]: r[2] for r in rows if r[0] == kind} for kind in (1, 2)}
    matches = estimate(rest, counts[1], counts[2])
    if matches is None:
        return False
    reach = request.offset + request.size + 1
    return matches * matches > reach * total


async def _stored_counts(
    db: Reader, scope: Scope, parents: Sequence[int | None]
) -> dict[int | None, int]:
    """Unfiltered counts: kept up to date by every ingest, so no scan is needed."""
    if scope is Scope.ALL:
        row = await db.fetch_one("SELECT count(*) FROM articles")
        return dict.fromkeys(parents, row[0] if row else 0)
    table = "topics" if scope is Scope.TOPIC else "providers"
    counts: dict[int | None, int] = dict.fromkeys(parents, 0)
    keys = [p for p in parents if p is not None]
    for part in chunked(keys, MAX_COUNT_KEYS):
        rows = await db.fetch(
            f"SELECT id, article_count FROM {table} WHERE id IN ({placeholders(part)})",
            part,
        )
        counts.update({r[0]: r[1] for r in rows})
    return counts


async def _scalar(db: Reader, sql: str, params: list[Any]) -> int:
    row = await db.fetch_one(sql, params)
    return int(row[0]) if row else 0


def _positioned(
    scope: AnyScope, parent: int | None, filter: ArticleFilter, ordering: Ordering,
    position: Position, *, before: bool, inclusive: bool,
) -> tuple[str, list[Any]]:  # fmt: skip
    """FROM/WHERE of the rows on one side of `position`."""
    source, rest = one_parent(scope, parent, filter, ordering)
    side = ordering.reversed() if before else ordering
    beyond = side.beyond(position, inclusive=inclusive, overrides=source.overrides)
    where = _where(source.where, compile_filter(rest), beyond)
    return f"FROM {source.tables.sql} WHERE {where.sql}", [*source.tables.params, *where.params]


async def count_before(
    db: Reader, scope: AnyScope, parent: int | None, filter: ArticleFilter,
    ordering: Ordering, position: Position, *, inclusive: bool = False,
) -> int:  # fmt: skip
    """How many articles of the list come before `position` (at it too when inclusive)."""
    sql, params = _positioned(
        scope, parent, filter, ordering, position, before=True, inclusive=inclusive
    )
    return await _scalar(db, f"SELECT count(*) {sql}", params)


async def exists_beyond(
    db: Reader, scope: AnyScope, parent: int | None, filter: ArticleFilter,
    ordering: Ordering, position: Position, *, before: bool,
) -> bool:  # fmt: skip
    """Whether any article sorts at or before (`before`) / at or after `position`.

    Inclusive, because a cursor's own row belongs outside the window it bounds.
    """
    sql, params = _positioned(scope, parent, filter, ordering, position, before=before,
                              inclusive=True)  # fmt: skip
    return bool(await _scalar(db, f"SELECT EXISTS (SELECT 1 {sql})", params))
