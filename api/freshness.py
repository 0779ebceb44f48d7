"""The corpus version that response-cache keys and ETags are made from.

The corpus watcher polls the database every NEWSGRAPH_POLL_SECONDS; keying caches
on its version alone would serve the old corpus for up to that long after an
ingest commits. Every commit appends to the database's write-ahead log, so one
stat() of the WAL file per request (microseconds) says whether anything may have
changed; only then is the version read again, once, shared by the requests
waiting for it. An ingest is therefore visible to the first request after its
commit, in every worker process.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from api.state import AppState
from loaders.watch import read_state

Signature = tuple[int, int, int]


class CorpusVersion:
    def __init__(self, db_path: Path, state: AppState) -> None:
        self.paths = (f"{db_path}-wal", str(db_path))
        self.state = state
        self.version = -1
        self._seen: Signature | None = None
        self._reading: asyncio.Future[int] | None = None

    def _signature(self) -> Signature | None:
        for path in self.paths:
            try:
                found = os.stat(path)
            except OSError:
                continue
            return (found.st_ino, found.st_size, found.st_mtime_ns)
        return None

    async def get(self) -> int:
        signature = self._signature()
        if signature is None:  # no file to watch: the watcher's polled version
            corpus = self.state.corpus()
            return corpus.version if corpus is not None else -1
        if signature != self._seen:
            self._seen = signature  # set first: a change during the read is seen next time
            self._reading = asyncio.ensure_future(self._read())
        reading = self._reading
        if reading is None:
            return self.version
        version = await asyncio.shield(reading)
        if self._reading is reading:
            self._reading = None
            self.version = version
        return version

    async def _read(self) -> int:
        reader = self.state.reader
        corpus = self.state.corpus()
        if reader is None:
            return corpus.version if corpus is not None else -1
        try:
            return (await read_state(reader)).version
        except Exception:  # a locked or busy file: the watcher's version, until it moves
            self._seen = None
            return corpus.version if corpus is not None else self.version
