"""kill -9 during an ingest leaves the old corpus or the new one, never a mix."""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loaders.ingest import ingest
from loaders.synthetic import generate_corpus
from tests.conftest import REPO
from tests.snapshot import snapshot

KILLS = 6
PROC = Path("/proc")


def _children(pid: int) -> set[int]:
    """The live child processes of `pid` (Linux's /proc; empty elsewhere)."""
    found: set[int] = set()
    for listing in PROC.glob(f"{pid}/task/*/children"):
        found.update(int(child) for child in listing.read_text().split())
    return found


def _alive(pid: int) -> bool:
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while (left := {pid for pid in pids if _alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _indexes(db_path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
    finally:
        conn.close()


def _mutate(folder: Path, rng: random.Random) -> None:
    """Turn version 1 of the corpus into version 2: edits, removals and additions."""
    files = sorted(p for p in folder.rglob("*.md"))
    for path in rng.sample(files, 100):
        path.write_bytes(path.read_bytes() + b"\nAn edited paragraph.\n")
    for path in rng.sample(files, 100):
        path.unlink()
    generate_corpus(folder / "added", 1500, seed=99)


def _run_ingest(folder: Path, db_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "ingest", str(folder), "--db", str(db_path)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.slow
async def test_kill_9_at_any_moment_leaves_old_or_new(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    generate_corpus(folder, 1500, seed=3)
    base = tmp_path / "base.db"
    await ingest(base, [folder])
    old = snapshot(base)
    indexes = _indexes(base)

    _mutate(folder, random.Random(5))
    expected_new = tmp_path / "new.db"
    shutil.copy(base, expected_new)
    started = time.monotonic()
    process = _run_ingest(folder, expected_new)
    assert process.wait() == 0
    duration = time.monotonic() - started
    new = snapshot(expected_new)
    assert new != old

    outcomes = []
    killed_mid_write = 0
    orphans_seen = False
    for i in range(KILLS):
        db_path = tmp_path / f"crash{i}.db"
        shutil.copy(base, db_path)
        process = _run_ingest(folder, db_path)
        await asyncio.sleep(duration * (i + 0.5) / KILLS)
        wal = db_path.with_name(db_path.name + "-wal")
        if process.poll() is None and wal.exists() and wal.stat().st_size > 0:
            killed_mid_write += 1
        parsers = _children(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        orphans_seen |= bool(parsers)
        # The parse pool does not outlive its ingest.
        assert _wait_gone(parsers, 10) == set(), f"kill {i} left parse processes behind"
        conn = sqlite3.connect(db_path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.close()
        # 1,600 of 3,000 files to write: a bulk run, which drops indexes until it commits.
        assert _indexes(db_path) == indexes, f"kill {i} left the indexes changed"
        state = snapshot(db_path)
        assert state in (old, new), f"kill {i} left a mixed state"
        outcomes.append("new" if state == new else "old")
        # A database left by a crash takes the next ingest normally.
        report = await ingest(db_path, [folder])
        assert snapshot(db_path) == new, report.summary()
    assert killed_mid_write >= 1, f"no kill landed during the write ({outcomes})"
    if sys.platform == "linux":
        assert orphans_seen, "no kill landed while the parse pool was running"
