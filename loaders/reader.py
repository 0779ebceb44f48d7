"""A small pool of read-only connections for serving.

Each aiosqlite connection owns one thread; spreading statements over a few of
them lets independent DataLoader batches of one request (and concurrent
requests) run in parallel, while WAL lets them read during an ingest.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from loaders import db

Row = tuple[Any, ...]
DEFAULT_POOL_SIZE = 4


class Reader:
    """Read access to a newsgraph database; `fetch` is the only way statements run."""

    def __init__(self, conns: Sequence[aiosqlite.Connection]) -> None:
        if not conns:
            raise ValueError("a Reader needs at least one connection")
        self._conns = list(conns)
        self._next = itertools.cycle(self._conns)

    @classmethod
    async def open(cls, path: str | Path, size: int = DEFAULT_POOL_SIZE) -> Reader:
        conns: list[aiosqlite.Connection] = []
        try:
            for _ in range(size):
                conns.append(await db.connect(path, read_only=True))
        except BaseException:
            for conn in conns:
                await conn.close()
            raise
        return cls(conns)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows of one statement, in one thread hop."""
        rows = await next(self._next).execute_fetchall(sql, params)
        return [tuple(r) for r in rows]

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def set_trace(self, callback: Callable[[str], None] | None) -> None:
        """Call `callback` with every SQL statement run (tests count them); None stops."""
        for conn in self._conns:
            await conn.set_trace_callback(callback)  # type: ignore[arg-type] # None is allowed

    async def close(self) -> None:
        for conn in self._conns:
            await conn.close()
