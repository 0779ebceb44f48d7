"""A first ingest builds its database in a private file: the same database as an ingest
into an existing one, appearing complete or not at all."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from loaders import building, db, files
from loaders import ingest as ingest_module
from loaders.files import Processes
from loaders.ingest import IngestError, ingest
from loaders.search import toplists
from loaders.synthetic import generate_corpus
from tests.conftest import REPO
from tests.snapshot import snapshot

ARTICLES = 300


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("building") / "corpus"
    generate_corpus(folder, ARTICLES, seed=21)
    return folder


def _rows(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db_path)
    try:
        return sorted(conn.execute(sql).fetchall())
    finally:
        conn.close()


def _search_state(db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    return {
        "top": _rows(db_path, "SELECT term, article_id, weight, length FROM search_top"),
        "terms": _rows(db_path, "SELECT term, threshold, avgdl, containing FROM search_terms"),
        "state": _rows(db_path, "SELECT value FROM meta WHERE key = 'search_top_lists'"),
        "fts": _rows(db_path, "SELECT id, sz FROM article_fts_docsize"),
        "schema": _rows(db_path, "SELECT type, name, sql FROM sqlite_master"),
    }


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if building.BUILDING in p.name)


def _pid_of_ended_process() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def _start_ingest(folder: Path, target: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "ingest", str(folder), "--db", str(target)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize("workers", [0, 2], ids=["lists-in-thread", "lists-in-processes"])
async def test_new_database_equals_ingest_into_existing_one(
    tmp_path: Path, corpus: Path, small_lists: None, workers: int
) -> None:
    existing = tmp_path / "existing.db"
    db.connect_sync(existing).close()  # an empty database: the ordinary path
    await ingest(existing, [corpus], workers=workers)
    fresh = tmp_path / "fresh.db"

    report = await ingest(fresh, [corpus], workers=workers)

    assert len(report.added) == ARTICLES and report.seconds > 0
    assert snapshot(fresh) == snapshot(existing)
    fresh_search = _search_state(fresh)
    assert fresh_search == _search_state(existing)
    assert len(fresh_search["terms"]) >= 5  # lists were built
    assert _rows(fresh, "PRAGMA journal_mode") == [("wal",)]
    conn = sqlite3.connect(fresh)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Built without checking each row's parents (building.py): every reference holds.
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    assert _leftovers(tmp_path) == []
    # The next ingest finds it unchanged, through the ordinary path.
    again = await ingest(fresh, [corpus], workers=workers)
    assert again.unchanged == ARTICLES and not again.changed


async def test_parsing_and_the_top_lists_share_the_worker_processes(
    tmp_path: Path, corpus: Path, small_lists: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    start = files.worker_pool

    def counted(processes: int) -> ProcessPoolExecutor:
        started.append(processes)
        return start(processes)

    monkeypatch.setattr(files, "worker_pool", counted)
    fresh = tmp_path / "fresh.db"
    await ingest(fresh, [corpus], workers=2)
    assert started == [2]  # one pool, not one for the files and one for the lists
    assert len(_search_state(fresh)["terms"]) >= 5


async def test_list_processes_wait_out_the_finishing_transaction(
    tmp_path: Path, corpus: Path, small_lists: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lists are computed while the ingest's last transaction holds the private file
    (its rollback journal locks readers out once the transaction writes to the file):
    their readers wait for it, however long it takes at the corpus's size."""
    built = tmp_path / "built.db"
    await ingest(built, [corpus], workers=0)
    with sqlite3.connect(built) as plain:  # a rollback journal, as while building
        assert plain.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)  # ordinary readers give up at once
    writer = sqlite3.connect(built, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(db.DatabaseError, match="locked"):
            db.connect_sync(built, read_only=True)
        lists = asyncio.ensure_future(toplists.lists_in_processes(built, 1, Processes()))
        await asyncio.sleep(0.5)
        assert not lists.done()  # waiting, not failed
    finally:
        writer.execute("COMMIT")
        writer.close()
    made = await lists
    stored = _rows(built, "SELECT term, article_id, weight, length FROM search_top")
    assert sorted(entry for found in made for entry in found.entries) == stored
    assert len({found.term[0] for found in made}) >= 5


async def test_a_build_that_outgrows_its_cache_ends_before_waiting_for_its_lists(
    tmp_path: Path, corpus: Path, small_lists: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction whose pages no longer fit in its cache writes them to the file and
    so holds it until it ends, while the list processes wait to read: the build commits
    before it waits for them (it waited for the lists, and they for it, until their
    readers gave up: after an hour, at a million articles)."""
    monkeypatch.setattr(building, "BUILD_CACHE_KB", 16)  # every transaction spills
    monkeypatch.setattr(toplists, "LIST_READER_WAIT_MS", 2000)
    finished = threading.Event()
    finish, words_at = ingest_module._finish, toplists.frequent_words_at

    async def finish_then_say_so(run: Any) -> None:
        await finish(run)
        finished.set()

    def once_finished(db_path: str) -> list[toplists.FrequentWord]:
        assert finished.wait(30)  # the lists start reading after the build has written
        return words_at(db_path)

    monkeypatch.setattr(ingest_module, "_finish", finish_then_say_so)
    monkeypatch.setattr(toplists, "frequent_words_at", once_finished)
    target = tmp_path / "new.db"
    await ingest(target, [corpus], workers=0)
    assert len(_search_state(target)["terms"]) >= 5


async def test_failed_first_ingest_leaves_no_database(tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    with pytest.raises(IngestError, match="no such file or folder"):
        await ingest(target, [tmp_path / "missing"])
    assert not target.exists()
    assert _leftovers(tmp_path) == []


async def test_a_first_ingest_failing_while_its_lists_are_computed_leaves_nothing(
    tmp_path: Path, corpus: Path, small_lists: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lists are computed by other processes while the build finishes: a failure
    then stops them and removes the private file like any other."""
    shares: list[asyncio.Future[list[toplists.WordList]]] = []
    computing = toplists.computing

    def watched(*args: Any) -> toplists.Computing:
        lists = computing(*args)
        lists.add_done_callback(lambda done: shares.extend(done.result()))
        return lists

    async def finish_fails(run: Any) -> None:
        for _ in range(1000):  # until the shares are handed out
            if shares:
                break
            await asyncio.sleep(0.01)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(toplists, "computing", watched)
    monkeypatch.setattr(ingest_module, "_finish", finish_fails)
    target = tmp_path / "new.db"
    with pytest.raises(RuntimeError, match="the disk is full"):
        await ingest(target, [corpus], workers=2)
    assert shares and all(share.done() for share in shares)  # none left running unawaited
    assert not target.exists()
    assert _leftovers(tmp_path) == []


async def test_database_created_meanwhile_is_left_alone(tmp_path: Path, corpus: Path) -> None:
    target = tmp_path / "new.db"

    def someone_else_creates_it(done: int, total: int) -> None:
        target.write_bytes(b"")  # e.g. `newsgraph serve` started on the same path

    with pytest.raises(building.DatabaseAppeared, match="created by another process"):
        await ingest(target, [corpus], on_progress=someone_else_creates_it)
    assert target.read_bytes() == b""
    assert _leftovers(tmp_path) == []


async def test_a_log_left_by_a_deleted_database_is_not_replayed(
    tmp_path: Path, corpus: Path
) -> None:
    target = tmp_path / "new.db"
    await ingest(target, [corpus], workers=0)
    expected = snapshot(target)
    # A commit still in the log when the database was deleted (a crash, then `rm new.db`).
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE article_content SET title = 'stale'")
    conn.commit()
    stale = (tmp_path / "new.db-wal").read_bytes()
    conn.close()
    for leftover in tmp_path.glob("new.db*"):
        leftover.unlink()
    (tmp_path / "new.db-wal").write_bytes(stale)
    assert len(stale) > 4096

    await ingest(target, [corpus], workers=0)

    assert snapshot(target) == expected  # no title is 'stale'
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


async def test_a_dangling_link_is_followed_as_before(tmp_path: Path, corpus: Path) -> None:
    real = tmp_path / "data" / "real.db"
    real.parent.mkdir()
    link = tmp_path / "link.db"
    link.symlink_to(real)  # nothing there yet

    await ingest(link, [corpus], workers=0)

    assert link.is_symlink() and len(snapshot(real)["articles"]) == ARTICLES


async def test_files_of_dead_builds_are_removed(tmp_path: Path, corpus: Path) -> None:
    target = tmp_path / "new.db"
    abandoned = tmp_path / f"new.db{building.BUILDING}{_pid_of_ended_process()}"
    abandoned.write_bytes(b"half a database")
    abandoned.with_name(abandoned.name + "-journal").write_bytes(b"x")
    running = tmp_path / f"new.db{building.BUILDING}{os.getppid()}"  # a live process
    running.write_bytes(b"another build")

    await ingest(target, [corpus], workers=0)

    assert _leftovers(tmp_path) == [running.name]
    assert len(snapshot(target)["articles"]) == ARTICLES


@pytest.mark.slow
async def test_kill_9_during_first_ingest_leaves_nothing_or_everything(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "content"
    generate_corpus(folder, 1500, seed=4)
    reference = tmp_path / "reference.db"
    started = time.monotonic()
    await ingest(reference, [folder])
    duration = time.monotonic() - started
    expected = snapshot(reference)
    outcomes = []
    for i in range(5):
        target = tmp_path / f"crash{i}.db"
        process = _start_ingest(folder, target)
        await asyncio.sleep(duration * (i + 0.5) / 4)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if target.exists():
            assert snapshot(target) == expected, f"kill {i} published a partial database"
            outcomes.append("complete")
        else:
            outcomes.append("absent")
        # The next ingest builds it (or finds it complete) and removes what the kill left.
        await ingest(target, [folder], workers=0)
        assert snapshot(target) == expected
        assert not any(building.BUILDING in p.name for p in tmp_path.iterdir()), outcomes
    assert "absent" in outcomes, outcomes
