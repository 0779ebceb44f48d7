"""A small pool of read-only connections for serving, with a per-request SQL time budget.

Each aiosqlite connection owns one thread; spreading statements over a few of
them lets independent DataLoader batches of one request (and concurrent
requests) run in parallel, while WAL lets them read during an ingest.

The time budget lives here, in one place: a server sets it per request with
`sql_time_budget(seconds)` (a contextvar, so the DataLoader tasks the request
starts inherit it) and every statement of that request draws on it. SQLite itself
enforces it: a progress handler, called every few hundred virtual-machine steps,
interrupts the statement once its share of the budget is spent, so a slow
statement is stopped inside SQLite and its thread is free again at once. The
mechanism (`run_statement`) works on a plain `sqlite3.Connection` in whatever
thread runs it; only `_on_thread` knows how aiosqlite hands work to its thread.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from loaders import db

Row = tuple[Any, ...]
T = TypeVar("T")
DEFAULT_POOL_SIZE = 4
# SQLite virtual-machine instructions between two deadline checks: a few
# microseconds of work, so a statement overruns its budget by about that much.
PROGRESS_STEPS = 1000


class SqlTimeBudgetExceeded(Exception):
    """A statement was stopped because its request spent its SQL time budget."""

    def __init__(self, budget_seconds: float) -> None:
        super().__init__(f"SQL time budget of {budget_seconds * 1000:.0f} ms exceeded")
        self.budget_seconds = budget_seconds


class SqlBudget:
    """SQLite time one request may still spend, shared by all its statements.

    Only time spent inside SQLite counts (not time queued behind other requests),
    so a busy server does not fail requests that are themselves cheap.
    """

    __slots__ = ("_lock", "remaining", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.remaining = seconds
        self._lock = threading.Lock()  # statements of one request run on several threads

    def spend(self, elapsed: float) -> None:
        with self._lock:
            self.remaining -= elapsed


_BUDGET: ContextVar[SqlBudget | None] = ContextVar("newsgraph_sql_budget", default=None)


@contextmanager
def sql_time_budget(seconds: float | None) -> Iterator[SqlBudget | None]:
    """Run the enclosed request under a budget of `seconds` of SQL time (None: none)."""
    budget = SqlBudget(seconds) if seconds else None
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


class _Deadline:
    """When the statement a connection is running must stop; read by the progress handler."""

    __slots__ = ("at", "tripped")

    def __init__(self) -> None:
        self.at = math.inf
        self.tripped = False

    def check(self) -> int:
        if time.monotonic() > self.at:
            self.tripped = True
            return 1  # non-zero: SQLite interrupts the statement
        return 0


def run_statement(
    conn: sqlite3.Connection,
    deadline: _Deadline,
    budget: SqlBudget | None,
    sql: str,
    params: Sequence[Any],
) -> list[Row]:
    """All rows of one statement, stopped inside SQLite when `budget` runs out.

    Runs in the thread that owns `conn`. The progress handler is installed only
    for budgeted statements, so unbudgeted reads (the corpus watcher) pay nothing.
    """
    if budget is None:
        return conn.execute(sql, params).fetchall()
    if budget.remaining <= 0:
        raise SqlTimeBudgetExceeded(budget.seconds)
    started = time.monotonic()
    deadline.at = started + budget.remaining
    deadline.tripped = False
    conn.set_progress_handler(deadline.check, PROGRESS_STEPS)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        if deadline.tripped:
            raise SqlTimeBudgetExceeded(budget.seconds) from None
        raise
    finally:
        conn.set_progress_handler(None, PROGRESS_STEPS)
        deadline.at = math.inf
        budget.spend(time.monotonic() - started)


class _Connection:
    """One pooled connection: aiosqlite's handle, the sqlite3 one it drives, its deadline."""

    __slots__ = ("deadline", "handle", "raw")

    def __init__(self, handle: aiosqlite.Connection, raw: sqlite3.Connection) -> None:
        self.handle = handle
        self.raw = raw
        self.deadline = _Deadline()


async def _on_thread(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)` on the connection's own thread, in order with its other calls.

    aiosqlite has no public call for this; `_execute` is how its own methods queue
    work (stable since 0.17). It is confined here so a plain thread pool could
    replace aiosqlite without touching the budget mechanism.
    """
    result: T = await conn._execute(fn, *args)  # type: ignore[no-untyped-call]
    return result


async def _open(path: str | Path) -> _Connection:
    # The same connection as db.connect gives, but keeping the sqlite3 object
    # that the statements run on (as db.connect does, it is opened and checked
    # before aiosqlite's thread takes it over).
    raw = await asyncio.to_thread(db.connect_sync, path, read_only=True)
    handle = await aiosqlite.Connection(lambda: raw, iter_chunk_size=256)
    return _Connection(handle, raw)


class Reader:
    """Read access to a newsgraph database; `fetch` is the only way statements run."""

    def __init__(self, conns: Sequence[_Connection]) -> None:
        if not conns:
            raise ValueError("a Reader needs at least one connection")
        self._conns = list(conns)
        self._next = itertools.cycle(self._conns)

    @classmethod
    async def open(cls, path: str | Path, size: int = DEFAULT_POOL_SIZE) -> Reader:
        conns: list[_Connection] = []
        try:
            for _ in range(size):
                conns.append(await _open(path))
        except BaseException:
            for conn in conns:
                await conn.handle.close()
            raise
        return cls(conns)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows of one statement, in one thread hop, within the request's SQL budget.

        Raises SqlTimeBudgetExceeded when the budget set by `sql_time_budget` runs out.
        """
        budget = _BUDGET.get()
        if budget is not None and budget.remaining <= 0:
            raise SqlTimeBudgetExceeded(budget.seconds)  # no thread hop for a spent budget
        conn = next(self._next)
        rows = await _on_thread(
            conn.handle, run_statement, conn.raw, conn.deadline, budget, sql, params
        )
        return [tuple(r) for r in rows]

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def set_trace(self, callback: Callable[[str], None] | None) -> None:
        """Call `callback` with every SQL statement run (tests count them); None stops."""
        for conn in self._conns:
            await conn.handle.set_trace_callback(callback)  # type: ignore[arg-type] # None is allowed

    async def close(self) -> None:
        for conn in self._conns:
            await conn.handle.close()
