"""Where statements run: on the event loop while they are quick, on a pool thread when
they outlast their slice or meet a lock, so the loop is never held up for long."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from loaders.reader import (
    DEFAULT_INLINE_SECONDS,
    Reader,
    SqlTimeBudgetExceeded,
    sql_time_budget,
)

# About 3 million steps of SQLite's virtual machine: far longer than a 1 ms slice.
MEDIUM = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)
SELECT count(*) FROM n"""


@asynccontextmanager
async def _opened(
    path: Path, inline_seconds: float = DEFAULT_INLINE_SECONDS
) -> AsyncIterator[Reader]:
    """A one-thread Reader on `path`, closed after."""
    reader = await Reader.open(path, size=1, inline_seconds=inline_seconds)
    try:
        yield reader
    finally:
        await reader.close()


def _without_suspending(fetch: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """(True, result) when the coroutine finished without waiting for anything."""
    try:
        fetch.send(None)
    except StopIteration as done:
        return True, done.value
    fetch.close()
    return False, None


class LoopWatch:
    """The longest the event loop went without running a 5 ms ticker."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            self.longest = max(self.longest, now - last)
            last = now

    async def __aenter__(self) -> LoopWatch:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def test_a_quick_statement_runs_on_the_loop(fixture_db: Path) -> None:
    async with _opened(fixture_db) as reader:
        finished, rows = _without_suspending(reader.fetch("SELECT count(*) FROM articles"))
        assert finished and rows == [(26,)]
        assert reader.statements_moved == 0


async def test_without_a_slice_every_statement_goes_to_a_thread(fixture_db: Path) -> None:
    async with _opened(fixture_db, 0) as reader:
        finished, _ = _without_suspending(reader.fetch("SELECT count(*) FROM articles"))
        assert not finished
        assert await reader.fetch("SELECT count(*) FROM articles") == [(26,)]


async def test_a_slow_statement_moves_to_a_thread_and_the_loop_keeps_running(
    fixture_db: Path,
) -> None:
    async with _opened(fixture_db, 0.001) as reader:
        started = time.monotonic()
        async with LoopWatch() as watch:
            assert await reader.fetch(MEDIUM) == [(3000000,)]
        took = time.monotonic() - started
        assert reader.statements_moved == 1
        # The statement ran for a long time, but never on the loop for more than a moment.
        assert took > 0.1, took
        assert watch.longest < min(0.08, took / 2), (watch.longest, took)


async def test_a_locked_database_is_waited_for_on_a_thread(fixture_db: Path) -> None:
    """A lock makes readers wait (busy_timeout); that wait must not happen on the loop.

    Under WAL a writer never blocks readers, so the database is switched to a rollback
    journal, where an exclusive write lock does.
    """
    writer = sqlite3.connect(fixture_db, isolation_level=None)
    writer.execute("PRAGMA journal_mode = DELETE")
    try:
        async with _opened(fixture_db) as reader:
            writer.execute("BEGIN EXCLUSIVE")
            async with LoopWatch() as watch:
                fetch = asyncio.ensure_future(reader.fetch("SELECT count(*) FROM articles"))
                await asyncio.sleep(0.3)
                assert not fetch.done()  # waiting for the lock
                writer.execute("COMMIT")
                assert await asyncio.wait_for(fetch, 10) == [(26,)]
            assert reader.statements_moved == 1
            assert watch.longest < 0.1, watch.longest
    finally:
        writer.close()


async def test_a_budget_shorter_than_the_slice_stops_the_statement_on_the_loop(
    fixture_db: Path,
) -> None:
    async with _opened(fixture_db, 0.5) as reader:
        started = time.monotonic()
        with sql_time_budget(0.01), pytest.raises(SqlTimeBudgetExceeded):
            await reader.fetch(MEDIUM)
        assert time.monotonic() - started < 0.25  # stopped at the budget, not the slice
        assert reader.statements_moved == 0  # nothing was left to run on a thread


async def test_the_loop_connection_has_its_own_page_cache(fixture_db: Path) -> None:
    reader = await Reader.open(fixture_db, size=1, loop_cache_mb=3)
    try:
        assert reader.runs_inline
        # PRAGMA cache_size answers on the connection it runs on: the loop's.
        assert await reader.fetch("PRAGMA cache_size") == [(-3 * 1024,)]
        pool = reader._conns[0].raw
        assert pool.execute("PRAGMA cache_size").fetchone()[0] != -3 * 1024
    finally:
        await reader.close()
    reader = await Reader.open(fixture_db, size=1, loop_cache_mb=0)
    try:  # 0: SQLite's own default, as every other connection has it
        default = reader._conns[0].raw.execute("PRAGMA cache_size").fetchone()[0]
        assert await reader.fetch("PRAGMA cache_size") == [(default,)]
    finally:
        await reader.close()
