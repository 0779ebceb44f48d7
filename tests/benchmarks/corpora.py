"""Cached synthetic corpora and ingested databases, shared by every benchmark.

Generating 100,000 files takes about 40 s and ingesting them over a minute, so both are
kept under the cache folder (`benchmark-results/cache/`, or `BENCH_CACHE`), named by
what they depend on:

    corpus-<size>-seed<seed>-gen<hash of loaders/synthetic.py>/
    db-<size>-seed<seed>-gen<…>-schema<loaders.db.SCHEMA_VERSION>-store<hash>.db

`store<hash>` covers every `loaders/` module that can change what an ingest writes
(everything but the read-side modules below), so a database is rebuilt whenever the code
that filled it changed, not only when SCHEMA_VERSION is bumped; a cached database whose
`user_version` is not SCHEMA_VERSION is rebuilt too. Entries are built under a temporary
name and renamed when complete, so an interrupted build is never reused, and under a lock,
so concurrent runs build each entry once. Older entries of the same size and seed are
deleted when a new one is built (a 100,000-article corpus is ~450 MB).

Cached databases are shared: open them read-only, or copy them (`database_copy`) first.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loaders import db, synthetic
from tests.conftest import REPO

LOADERS = REPO / "loaders"
# Modules that only read the database: editing them does not change what an ingest stores.
READ_SIDE_MODULES = frozenset({"reader.py", "reads.py", "rows.py", "watch.py", "synthetic.py"})


def _digest(paths: list[Path]) -> str:
    h = hashlib.blake2b(digest_size=6)
    for path in sorted(paths):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def generator_version() -> str:
    return _digest([Path(synthetic.__file__)])


def storage_version() -> str:
    sources = [p for p in LOADERS.glob("*.py") if p.name not in READ_SIDE_MODULES]
    return f"schema{db.SCHEMA_VERSION}-store{_digest(sources)}"


def corpus_name(size: int, seed: int) -> str:
    return f"corpus-{size}-seed{seed}-gen{generator_version()}"


def database_name(size: int, seed: int) -> str:
    return f"db-{size}-seed{seed}-gen{generator_version()}-{storage_version()}.db"


@contextmanager
def _locked(cache: Path) -> Iterator[None]:
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _prune(cache: Path, prefix: str, keep: str) -> None:
    """Delete older entries (same size and seed, other versions) and leftover temp builds."""
    for old in cache.glob(prefix + "*"):
        if old.name in (keep, keep + "-wal", keep + "-shm"):
            continue
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()


def corpus(size: int, seed: int, cache: Path) -> Path:
    """The folder of the synthetic corpus (size, seed), generated once."""
    name = corpus_name(size, seed)
    target = cache / name
    if target.is_dir():
        return target
    with _locked(cache):
        if target.is_dir():
            return target
        _prune(cache, f"corpus-{size}-seed{seed}-", name)
        building = cache / f"{name}.tmp"
        shutil.rmtree(building, ignore_errors=True)
        print(f"\n[bench] generating {size} articles (seed {seed}) into {target}", flush=True)
        written = synthetic.generate_corpus(building, size, seed=seed)
        if len(written) != size:
            raise RuntimeError(f"generator wrote {len(written)} files, expected {size}")
        building.rename(target)
    return target


def _schema_version(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return version
    finally:
        conn.close()


def _seal(path: Path) -> None:
    """Fold the WAL into the main file so that the database is one self-contained file."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _install(built: Path, target: Path) -> None:
    """Move a sealed database into place, dropping any WAL files left next to the old one
    (SQLite would replay a stale WAL into the new file)."""
    for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    shutil.move(built, target)


def read_through(path: Path) -> int:
    """Read a file once (so that it is in the OS page cache); its size."""
    total = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            total += len(chunk)
    return total


def ingest_cli(db_path: Path, content: Path) -> dict[str, object]:
    """`newsgraph ingest --json`, as a user runs it; returns its report."""
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", "ingest", "--json", "--db", str(db_path), str(content)],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"ingest failed ({out.returncode}): {out.stderr[-2000:]}")
    report: dict[str, object] = json.loads(out.stdout)
    return report


def database(size: int, seed: int, cache: Path) -> Path:
    """An ingested database of corpus (size, seed), built once per storage version."""
    name = database_name(size, seed)
    target = cache / name
    if target.is_file() and _schema_version(target) == db.SCHEMA_VERSION:
        return target
    content = corpus(size, seed, cache)
    with _locked(cache):
        if target.is_file() and _schema_version(target) == db.SCHEMA_VERSION:
            return target
        _prune(cache, f"db-{size}-seed{seed}-", name)
        building = cache / f"{name}.tmp"
        print(f"\n[bench] ingesting {size} articles into {target}", flush=True)
        report = ingest_cli(building, content)
        if report["added"] != size:
            raise RuntimeError(f"ingest added {report['added']} articles, expected {size}")
        _seal(building)
        _install(building, target)
    return target


def adopt_database(size: int, seed: int, cache: Path, built: Path) -> None:
    """Keep `built` (a full ingest of corpus (size, seed) by this code) as the cached
    database when there is none yet: the ingest benchmark makes one anyway."""
    target = cache / database_name(size, seed)
    with _locked(cache):
        if target.is_file():
            return
        _prune(cache, f"db-{size}-seed{seed}-", target.name)
        _seal(built)
        _install(built, target)


def database_copy(size: int, seed: int, cache: Path, into: Path) -> Path:
    """A private, writable copy of the cached database, for benchmarks that write."""
    into.mkdir(parents=True, exist_ok=True)
    copy = into / database_name(size, seed)
    shutil.copyfile(database(size, seed, cache), copy)
    return copy
