"""Read access for serving: statements run on the event loop while they are quick,
on a small pool of connection threads when they are not, within a per-request SQL
time budget.

Most statements a request runs take tens to hundreds of microseconds. Handing each
to a thread costs more than that on one core (a queue, a thread switch, a GIL
handover, a future and a wake-up of the loop), so `fetch` first runs a statement
on the loop's own connection with a slice of time (`inline_seconds`, 2 ms by
default). A statement still running when its slice ends is interrupted inside
SQLite and run again on a pool thread, where it may take as long as its budget
allows without holding up the loop. The loop is therefore never blocked for much
more than one slice per statement, and the work a slow statement loses is bounded
by its slice. A statement that meets a lock (SQLITE_BUSY) moves to a thread too,
since waiting for it would block the loop.

Each pool connection is an aiosqlite connection owning one thread; spreading slow
statements over a few of them lets independent DataLoader batches of one request
(and concurrent requests) run in parallel, while WAL lets them read during an ingest.

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
# The event loop's connection runs nearly every statement, so its page cache holds what
# pages read: at 100,000 articles a cold topic page touches ~40 scattered pages, and
# reading them from the OS rather than this cache made its statement 35% slower. Pages
# are allocated as read, so a small corpus costs only its size. SQLite's default is 2 MB.
DEFAULT_LOOP_CACHE_MB = 128
# How long a statement may run on the event loop before it moves to a pool thread.
DEFAULT_INLINE_SECONDS = 0.002
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


class SliceSpent(Exception):
    """A statement run on the event loop outlasted its slice and was interrupted."""


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
    slice_seconds: float | None = None,
) -> list[Row]:
    """All rows of one statement, stopped inside SQLite when `budget` runs out.

    With `slice_seconds`, the statement is also stopped when it runs longer than
    that, raising SliceSpent (unless the budget ran out first), and a lock it meets
    raises SliceSpent at once rather than waiting. The progress handler is installed
    only when there is a limit, so unbudgeted reads on a thread (the corpus watcher)
    pay nothing.
    """
    if budget is None and slice_seconds is None:
        return conn.execute(sql, params).fetchall()
    if budget is not None and budget.remaining <= 0:
        raise SqlTimeBudgetExceeded(budget.seconds)
    started = time.monotonic()
    budget_end = started + budget.remaining if budget is not None else math.inf
    deadline.at = min(budget_end, started + slice_seconds) if slice_seconds else budget_end
    deadline.tripped = False
    conn.set_progress_handler(deadline.check, PROGRESS_STEPS)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if deadline.tripped:
            if budget is not None and time.monotonic() >= budget_end:
                raise SqlTimeBudgetExceeded(budget.seconds) from None
            raise SliceSpent from None
        if slice_seconds is not None and exc.sqlite_errorcode in _LOCKED:
            raise SliceSpent from None
        raise
    finally:
        conn.set_progress_handler(None, PROGRESS_STEPS)
        deadline.at = math.inf
        if budget is not None:
            budget.spend(time.monotonic() - started)


_LOCKED = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


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


class _LoopConnection:
    """The connection statements first run on, in the event loop's thread."""

    __slots__ = ("deadline", "raw")

    def __init__(self, raw: sqlite3.Connection, cache_mb: int) -> None:
        # Waiting for a lock would block the loop: a busy statement moves to a thread.
        raw.execute("PRAGMA busy_timeout = 0")
        if cache_mb > 0:
            raw.execute(f"PRAGMA cache_size = -{int(cache_mb) * 1024}")  # in KiB
        self.raw = raw
        self.deadline = _Deadline()


class Reader:
    """Read access to a newsgraph database; `fetch` is the only way statements run."""

    def __init__(
        self,
        conns: Sequence[_Connection],
        loop_conn: sqlite3.Connection | None = None,
        inline_seconds: float = DEFAULT_INLINE_SECONDS,
        loop_cache_mb: int = DEFAULT_LOOP_CACHE_MB,
    ) -> None:
        if not conns:
            raise ValueError("a Reader needs at least one connection")
        self._conns = list(conns)
        self._next = itertools.cycle(self._conns)
        self._loop_conn = (
            _LoopConnection(loop_conn, loop_cache_mb) if loop_conn and inline_seconds > 0 else None
        )
        self._inline_seconds = inline_seconds
        self._trace: Callable[[str, Sequence[Any]], None] | None = None
        self.statements_moved = 0  # statements that outlasted their slice on the loop

    @classmethod
    async def open(
        cls,
        path: str | Path,
        size: int = DEFAULT_POOL_SIZE,
        inline_seconds: float = DEFAULT_INLINE_SECONDS,
        loop_cache_mb: int = DEFAULT_LOOP_CACHE_MB,
    ) -> Reader:
        """`size` pool threads; `inline_seconds` 0 runs every statement on a thread;
        `loop_cache_mb`: the page cache of the event loop's connection (0: SQLite's)."""
        conns: list[_Connection] = []
        loop_conn = None
        try:
            for _ in range(size):
                conns.append(await _open(path))
            if inline_seconds > 0:
                loop_conn = await asyncio.to_thread(db.connect_sync, path, read_only=True)
        except BaseException:
            for conn in conns:
                await conn.handle.close()
            raise
        return cls(conns, loop_conn, inline_seconds, loop_cache_mb)

    @property
    def runs_inline(self) -> bool:
        """Whether statements start on the event loop (then most finish without
        suspending their coroutine)."""
        return self._loop_conn is not None

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows of one statement, within the request's SQL budget.

        Raises SqlTimeBudgetExceeded when the budget set by `sql_time_budget` runs out.
        """
        budget = _BUDGET.get()
        if budget is not None and budget.remaining <= 0:
            raise SqlTimeBudgetExceeded(budget.seconds)  # no work for a spent budget
        if self._trace is not None:
            self._trace(sql, params)
        loop_conn = self._loop_conn
        if loop_conn is not None:
            try:
                return run_statement(
                    loop_conn.raw, loop_conn.deadline, budget, sql, params, self._inline_seconds
                )
            except SliceSpent:
                self.statements_moved += 1
        conn = next(self._next)
        return await _on_thread(
            conn.handle, run_statement, conn.raw, conn.deadline, budget, sql, params
        )

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def set_trace(self, callback: Callable[[str, Sequence[Any]], None] | None) -> None:
        """Call `callback(sql, params)` for every statement fetched (tests count them); None stops.

        Traced here rather than by SQLite so that a statement moved from the loop to a
        thread counts once.
        """
        self._trace = callback

    async def close(self) -> None:
        for conn in self._conns:
            await conn.handle.close()
        if self._loop_conn is not None:
            self._loop_conn.raw.close()
            self._loop_conn = None
