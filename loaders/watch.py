"""Notice corpus changes made by any process and tell every subscriber.

Ingests may run in another process (the CLI, another worker, another replica
sharing the file), so the only reliable signal is the database itself: one
poller per process reads the corpus version and wakes all waiting subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from loaders.reader import Reader

DEFAULT_POLL_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class CorpusState:
    version: int
    last_ingest: dict[str, Any]


async def read_state(db: Reader) -> CorpusState:
    rows = await db.fetch(
        "SELECT key, value FROM meta WHERE key IN ('corpus_version', 'last_ingest')"
    )
    values: dict[str, str] = {r[0]: r[1] for r in rows}
    return CorpusState(
        version=int(values.get("corpus_version", 0)),
        last_ingest=json.loads(values.get("last_ingest", "{}")),
    )


class CorpusWatcher:
    """One polling task per process; `updates()` yields each new state once."""

    def __init__(self, db: Reader, interval: float = DEFAULT_POLL_SECONDS) -> None:
        self.db = db
        self.interval = interval
        self.current: CorpusState | None = None
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.current = await read_state(self.db)
        self._task = asyncio.create_task(self._poll(), name="newsgraph-corpus-watcher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                state = await read_state(self.db)
            except Exception:  # a busy or briefly locked file: try again on the next tick
                continue
            if self.current is None or state.version != self.current.version:
                self.current = state
                async with self._changed:
                    self._changed.notify_all()

    def _newer_than(self, version: int) -> bool:
        return self.current is not None and self.current.version != version

    async def updates(self) -> AsyncIterator[CorpusState]:
        """Every state after the one current when iteration starts."""
        seen = self.current.version if self.current else -1
        while True:
            async with self._changed:
                await self._changed.wait_for(functools.partial(self._newer_than, seen))
                state = self.current
            assert state is not None
            seen = state.version
            yield state
