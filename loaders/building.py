"""A database that does not exist yet is built in a private file, then moved into place.

Nobody reads a database before it exists, so its first ingest needs none of what
protects readers during an ingest into a live one: no write-ahead log (every page
would be written twice, once to the log and again by the checkpoint when the run
commits: 3 of the 37 s of a 100,000-file ingest here), no syncs until the end, and
other processes may read what it committed before anyone else can (the search top
lists are built that way, in parallel: loaders/search/toplists.py).

Crash safety comes from publishing the file by a link instead of from the transaction:
the database appears at its path complete (synced, and in WAL mode like every newsgraph
database) or not at all. A crash leaves a `NAME.building-PID` file beside it, which the
next ingest into that database removes.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite

from loaders import db

BUILDING = ".building-"
# The build's page cache: a full ingest inserts into a dozen B-trees at once, some in
# random key order (URLs), and SQLite's default 2 MB made those inserts read their
# pages back from the OS again and again.
BUILD_CACHE_KB = 128 * 1024


class DatabaseAppeared(db.DatabaseError):
    """Another process created the database while this one was building it."""


@contextlib.asynccontextmanager
async def new_database(target: Path) -> AsyncIterator[tuple[aiosqlite.Connection, Path]]:
    """A connection to a private file that becomes the database at `target` (which must
    not exist) when the block ends without an error, and the private file's path.
    On an error the file is removed and `target` stays absent."""
    private = target.with_name(f"{target.name}{BUILDING}{os.getpid()}")
    await asyncio.to_thread(_prepare, target, private)
    conn = await db.connect(private)
    try:
        # MEMORY, not OFF: a failed run still rolls back like any other (the journal of
        # a new file's pages is small), so the code after it sees a consistent file.
        await _set_journal_mode(conn, "memory")
        await conn.execute("PRAGMA synchronous = OFF")
        await conn.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KB}")
        # Every row comes from this one run, which deletes nothing (nothing is stored
        # yet), so no cascade can be due; checking each inserted row's parents costs
        # ~0.8 CPU-s at 100,000 articles. The tests check the result with
        # foreign_key_check; every later ingest and every reader has the checks on.
        await conn.execute("PRAGMA foreign_keys = OFF")
        yield conn, private
        await _set_journal_mode(conn, "wal")
    except BaseException:
        await conn.close()
        _remove_files(private)
        raise
    await conn.close()
    try:
        await asyncio.to_thread(_publish, private, target)
    finally:
        _remove_files(private)  # published or not, the private name goes (it is a link)


def _prepare(target: Path, private: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_files(private)  # left by an earlier process with this pid


async def _set_journal_mode(conn: aiosqlite.Connection, mode: str) -> None:
    rows = list(await conn.execute_fetchall(f"PRAGMA journal_mode = {mode}"))
    if not rows or str(rows[0][0]).lower() != mode:
        raise db.DatabaseError(f"could not switch the new database to journal mode {mode}")


def _publish(private: Path, target: Path) -> None:
    """Sync `private` and give it the name `target`, unless `target` exists by now."""
    _fsync(private)
    if not target.exists():
        # A write-ahead log left by a database once at this path (deleted, say, after a
        # crash) would be read as this database's: SQLite replays any log whose frames
        # are valid, whatever file they came from.
        _remove_files(target, ("-wal", "-shm", "-journal"))
    try:
        os.link(private, target)  # unlike a rename, fails if the target exists
    except FileExistsError:
        raise DatabaseAppeared(
            f"{target} was created by another process during this ingest; it was left as "
            "it is and this ingest changed nothing"
        ) from None
    _fsync(target.parent)  # new_database then removes the private name


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_files(path: Path, suffixes: tuple[str, ...] = ("", "-journal", "-wal", "-shm")) -> None:
    for suffix in suffixes:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def remove_abandoned(target: Path) -> None:
    """Remove the private files of builds of `target` whose process is gone."""
    for found in target.parent.glob(f"{glob.escape(target.name)}{BUILDING}*"):
        pid = found.name.removeprefix(f"{target.name}{BUILDING}")
        if pid.isdigit() and not _alive(int(pid)):
            _remove_files(found)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
