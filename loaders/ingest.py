"""The ingest pipeline: discover → read/hash/parse (in a worker pool) → write.

A run is one write transaction: readers keep serving the previous corpus until
COMMIT, and a crash (even `kill -9`) at any moment leaves either the old state
or the new one. Unchanged files are skipped by content hash; changed files are
updated in place (their database id, and so their cursors, stay the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import operator
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, cast

import aiosqlite

from loaders import building, db
from loaders.files import (
    Candidate,
    FileResult,
    FileTask,
    Processes,
    Stamp,
    Status,
    discover,
    load_files,
)
from loaders.parse import DEFAULT_MAX_BYTES
from loaders.prepared import (
    ARTICLE_FILE_COLUMNS,
    ARTICLE_RUN_COLUMNS,
    CONTENT_FILE_COLUMNS,
    CONTENT_RUN_COLUMNS,
    RELATED_FILE_COLUMNS,
)
from loaders.query.facets import refresh_corpus_facets
from loaders.search import index as search_index
from loaders.search import toplists
from loaders.search.weights import COLUMNS
from loaders.trending import DEFAULT_HALF_LIFE_HOURS, trending_key

CHUNK_FILES = 256
log = logging.getLogger("newsgraph.ingest")
# Below this many files a process pool costs more to start than it saves.
POOL_THRESHOLD = 1000
SQL_CHUNK = 500  # ids per IN (...) list
# A run that may write at least this share of the corpus builds the order and facet
# indexes afresh after its writes (one sort each) instead of updating them per row.
BULK_SHARE = 0.25
BULK_MIN_FILES = 1000
# Indexes only reads and _finish use: the write path (upserts, deletes by id, cascades)
# never looks through them, so they can be missing while a run writes. (Not so
# related_by_target or article_urls_by_article: deleting an article finds the rows
# pointing at it through them.)
DEFERRABLE_INDEXES = (
    "articles_newest", "articles_by_provider", "articles_by_provider_trending",
    "articles_trending", "articles_by_heat", "articles_by_quality", "articles_by_title",
    "articles_by_type", "articles_by_category", "articles_by_month", "articles_by_published",
    "articles_flags",
    "article_topics_by_topic", "article_topics_trending", "related_by_url",
    "related_unresolved", "reference_urls_by_url",
)  # fmt: skip
STATS_DRIFT = 0.25  # re-ANALYZE once the article count moved by this fraction

ProgressCallback = Callable[[int, int], None]


class IngestError(Exception):
    """The run could not start or finish; nothing was changed."""


@dataclass(frozen=True, slots=True)
class RejectedFile:
    path: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    """What one run did. Paths are article identities (relative to their root)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    ignored: int = 0
    rejected: list[RejectedFile] = field(default_factory=list)
    seconds: float = 0.0
    corpus_version: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    @property
    def files(self) -> int:
        """Files looked at: everything found except non-article .txt files."""
        return len(self.added) + len(self.updated) + self.unchanged + len(self.rejected)

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "removed": len(self.removed),
            "rejected": len(self.rejected),
            "seconds": round(self.seconds, 3),
            "files_per_second": round(self.files_per_second, 1),
            "corpus_version": self.corpus_version,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "rejected_files": [{"path": r.path, "reason": r.reason} for r in self.rejected],
            "removed_paths": self.removed,
        }


# A stored article's file as the walk's candidates are compared with it: (path, root id,
# size, mtime in ns), the sqlite3 row itself; size and mtime None when the stamp is not
# known to be safe to trust (see _trusted). One such row per stored article is all a
# re-ingest with nothing changed loads.
StoredFile = tuple[str, int, int | None, int | None]


class _Existing(NamedTuple):
    """What a run needs of a stored article that it reads again or removes."""

    id: int
    content_hash: str
    slug: str
    root_id: int
    size: int | None
    mtime_ns: int | None

    @property
    def stamp(self) -> Stamp | None:
        return (
            None if self.mtime_ns is None or self.size is None else Stamp(self.size, self.mtime_ns)
        )


@dataclass(slots=True)
class _Run:
    """State of one run inside its transaction."""

    conn: aiosqlite.Connection
    report: IngestReport
    stored: dict[str, StoredFile]  # every stored article, by path
    providers: dict[str, int]
    topics: dict[str, int]
    next_id: int
    half_life_hours: float
    started_ns: int  # wall clock when the run began, for _trusted
    changed_ids: set[int] = field(default_factory=set)
    affected_providers: set[int] = field(default_factory=set)
    affected_topics: set[int] = field(default_factory=set)
    affected_urls: set[str] = field(default_factory=set)
    deferred: list[FileResult] = field(default_factory=list)
    lists_later: bool = False  # a first ingest: the search top lists are built meanwhile
    database_file: Path | None = None  # where list processes can read committed data
    lists_after_commit: bool = False  # the lists were dropped, to be rebuilt after COMMIT
    # The stored articles this run reads again or removes, by path (see _load_existing):
    # every path a result or a removal names is here if stored.
    existing: dict[str, _Existing] = field(default_factory=dict)
    slugs: dict[str, str] | None = None  # slug → path holding it, once a file is parsed


async def _slugs(run: _Run) -> dict[str, str]:
    """slug → path holding it, loaded when a run first parses a file (a re-ingest with
    nothing changed never does); what this run removed before is gone from the table."""
    if run.slugs is None:
        rows = await run.conn.execute_fetchall("SELECT slug, path FROM articles")
        run.slugs = dict(rows)  # type: ignore[arg-type]
    return run.slugs


async def ingest(
    db_path: str | Path,
    paths: Sequence[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
    trending_half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    rehash: bool = False,
) -> IngestReport:
    """Open `db_path`, ingest `paths`, close. See `ingest_into`.

    A database that does not exist yet is built in a private file and appears at
    `db_path` only once complete (loaders/building.py); the report's time then runs
    until it is there.
    """
    started = time.perf_counter()
    options: dict[str, Any] = {
        "max_bytes": max_bytes,
        "workers": workers,
        "on_progress": on_progress,
        "trending_half_life_hours": trending_half_life_hours,
        "rehash": rehash,
    }
    target = Path(db_path)
    await asyncio.to_thread(building.remove_abandoned, target)
    with _cyclic_collector_paused():
        if not await asyncio.to_thread(os.path.lexists, target):  # a link is followed as ever
            async with building.new_database(target) as (conn, private):
                report = await ingest_into(conn, paths, private_file=private, **options)
            report.seconds = time.perf_counter() - started
            return report
        conn = await db.connect(target)
        try:
            return await ingest_into(conn, paths, database_file=target, **options)
        finally:
            await conn.close()


@contextlib.contextmanager
def _cyclic_collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the run. An ingest builds hundreds of
    thousands of small objects that live until it ends and hold no cycles (candidates,
    stamps, stored rows), and each collection walks all of them again: a fifth of a
    no-change re-ingest of 100,000 files (1.08-1.14 s, 0.90-0.95 s paused). Reference
    counting still frees everything as usual; only cycles wait for the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def ingest_into(
    conn: aiosqlite.Connection,
    paths: Sequence[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
    trending_half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    rehash: bool = False,
    private_file: Path | None = None,
    database_file: Path | None = None,
) -> IngestReport:
    """Ingest files and folders (recursively) into the database behind `conn`.

    Folders are synchronized: articles previously found under a folder that are
    no longer there are removed. A file that fails validation is reported and
    stored nowhere; when an earlier version of it was stored, that version stays.
    A half-life other than the one the corpus was ranked with re-ranks every article
    for the TRENDING order (see loaders/trending.py). A file whose size and
    modification time are as stored is not read again, unless `rehash`.

    `private_file`: the database's file, which nobody else reads (loaders/building.py).
    The articles are then committed first, and processes reading them compute the
    search top lists while this one builds indexes and resolves links.
    `database_file`: the database's file otherwise; when the top lists need a rebuild,
    processes reading it rebuild them after COMMIT (searches score every match meanwhile).
    """
    if not trending_half_life_hours > 0:
        raise IngestError(
            f"the trending half-life must be positive, got {trending_half_life_hours}"
        )
    started = time.perf_counter()
    # A new database has no stamps to compare the files' with: it is not asked for them.
    found = await asyncio.to_thread(_discover_all, paths, stamped=private_file is None)
    candidates = found.candidates
    report = IngestReport(rejected=list(found.rejected))
    lists: toplists.Computing | None = None  # computed meanwhile
    try:
        await conn.execute("BEGIN IMMEDIATE")
    except aiosqlite.OperationalError as exc:
        raise IngestError(f"database is busy (another ingest running?): {exc}") from exc
    with Processes() as running:  # parsing and the top lists share them
        try:
            run = await _start_run(conn, report, trending_half_life_hours)
            await search_index.configure(conn)
            run.lists_later = private_file is not None
            run.database_file = database_file
            roots = {c.root for c in candidates}  # a few Path objects, shared by candidates
            root_ids = await _root_ids(conn, roots | found.folder_roots)
            id_of_root = {root: root_ids[root] for root in roots}
            read, as_stored, present = _unchanged_skipped(
                run, candidates, id_of_root, trust=not rehash
            )
            # Unless every stored article was found again, some may be gone.
            gone = _gone(run, found, root_ids) if present < len(run.stored) else []
            await _load_existing(run, [c.rel for c in read if c.rel in run.stored] + gone)
            stamped, tasks = _work(run, read, as_stored, max_bytes)
            await _remove(run, gone)
            # Only the files that get a result need these (with nothing changed: none).
            roots_by_rel = {c.rel: id_of_root[c.root] for c in read}
            paths_by_rel = {c.rel: c.path for c in read}
            deferred_indexes = await _defer_indexes(conn, len(tasks), len(run.stored))
            await _apply(run, stamped, roots_by_rel, paths_by_rel)
            done = len(candidates) - len(tasks)
            async for results in _load_all(tasks, workers, running):
                await _apply(run, results, roots_by_rel, paths_by_rel)
                done += len(results)
                if on_progress:
                    on_progress(done, len(candidates))
            # Files whose slug was taken by an article that this run later removed.
            deferred, run.deferred = run.deferred, []
            await _apply(run, deferred, roots_by_rel, paths_by_rel, final=True)
            if private_file is not None and report.changed:
                # Nobody reads this file yet: commit the articles, so that processes can
                # compute the search top lists from them while this one finishes.
                await conn.execute("COMMIT")
                lists = toplists.computing(private_file, _list_processes(workers), running)
                await conn.execute("BEGIN IMMEDIATE")
            await db.create_indexes(conn, deferred_indexes)
            report.seconds = time.perf_counter() - started  # for the summary _finish stores
            await _finish(run)
            if lists is not None:
                # Nothing is written while the lists are read: a transaction whose pages
                # outgrow its cache writes them to the file, which then locks readers out
                # until it ends, and it would be waiting for them.
                await conn.execute("COMMIT")
                made = await toplists.computed(lists)
                await conn.execute("BEGIN IMMEDIATE")
                await toplists.store_computed(conn, made)
            await conn.execute("COMMIT")
        except BaseException:
            if lists is not None:
                await toplists.cancel(lists)
            await db.roll_back(conn)
            raise
        if run.lists_after_commit and database_file is not None:
            await _rebuild_lists(conn, database_file, workers, report.corpus_version, running)
    report.seconds = time.perf_counter() - started
    return report


async def _rebuild_lists(
    conn: aiosqlite.Connection,
    database_file: Path,
    workers: int | None,
    version: int,
    running: Processes,
) -> None:
    """The search top lists this run dropped, rebuilt after its COMMIT by processes
    reading the committed database. A failure here costs speed, not data: the articles
    are in, searches score every match until lists exist, and the next ingest rebuilds
    them; so it is logged, and the run reports what it committed."""
    try:
        made = await toplists.lists_in_processes(database_file, _list_processes(workers), running)
        await toplists.store_lists(conn, made, corpus_version=version)
    except Exception:  # store_lists has rolled its transaction back
        log.warning("search top lists not rebuilt; the next ingest will", exc_info=True)


@dataclass(slots=True)
class _Found:
    candidates: list[Candidate] = field(default_factory=list)
    folder_roots: set[Path] = field(default_factory=set)
    rejected: list[RejectedFile] = field(default_factory=list)
    # Folders that could not be listed: nothing stored under them is removed,
    # since their files may well still exist.
    unlisted: list[Path] = field(default_factory=list)


def _discover_all(paths: Sequence[str | Path], *, stamped: bool = True) -> _Found:
    """Candidates from every path; the first of two files with one identity wins.
    Without `stamped` they carry no stamps (files.discover)."""
    found = _Found()
    by_rel: dict[str, Candidate] = {}
    by_path: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise IngestError(f"{raw}: no such file or folder")
        if path.is_dir():
            found.folder_roots.add(path.resolve())
        discovery = discover(path, stamped=stamped)
        for folder, reason in discovery.unreadable:
            found.rejected.append(RejectedFile(str(folder), f"cannot read folder: {reason}"))
            found.unlisted.append(folder.resolve())
        if len(paths) == 1:  # one walk names each file once, under one relative path
            found.candidates = discovery.candidates
            break
        for cand in discovery.candidates:
            if cand.path in by_path:  # the same file named twice (a file and its folder)
                continue
            by_path.add(cand.path)
            first = by_rel.get(cand.rel)
            if first is None:
                by_rel[cand.rel] = cand
                found.candidates.append(cand)
            else:
                reason = f"another file has the same relative path '{cand.rel}': {first.path}"
                found.rejected.append(RejectedFile(cand.path, reason))
    return found


async def _defer_indexes(
    conn: aiosqlite.Connection, files: int, stored: int
) -> list[db.DroppedIndex]:
    """Drop the deferrable indexes when `files` may rewrite a large share of the corpus
    (to be created again after the writes).

    Per row, keeping these indexes in step costs about as much as all the other
    writes; building one from scratch is a single sort, several times cheaper for a
    full ingest.
    """
    if files < BULK_MIN_FILES or files < BULK_SHARE * (stored + files):
        return []
    return await db.drop_indexes(conn, DEFERRABLE_INDEXES)


async def _start_run(
    conn: aiosqlite.Connection, report: IngestReport, half_life_hours: float
) -> _Run:
    rows = await conn.execute_fetchall(
        "SELECT path, root_id, file_size, file_mtime_ns FROM articles"
    )
    stored = {row[0]: row for row in cast("list[StoredFile]", rows)}  # plain tuples
    last_id = await _first(conn, "SELECT max(id) FROM articles")
    providers = await conn.execute_fetchall("SELECT domain, id FROM providers")
    topics = await conn.execute_fetchall("SELECT slug, id FROM topics")
    next_id = await db.meta_int(conn, "next_article_id", 1)
    return _Run(
        conn=conn,
        report=report,
        stored=stored,
        providers={r[0]: r[1] for r in providers},
        topics={r[0]: r[1] for r in topics},
        next_id=max(next_id, (last_id or 0) + 1),
        half_life_hours=half_life_hours,
        started_ns=time.time_ns(),
    )


def _gone(run: _Run, found: _Found, root_ids: dict[Path, int]) -> list[str]:
    """Stored articles that a synchronized folder no longer holds.

    `root_ids` holds every root ever ingested. A folder also synchronizes what was
    ingested through folders or files inside it, so `ingest folder/sub/x.md` then
    `ingest folder` leaves one article.
    """
    synced = {
        root_id: root
        for root, root_id in root_ids.items()
        if any(root.is_relative_to(folder) for folder in found.folder_roots)
    }
    present = {c.rel for c in found.candidates}

    def protected(root: Path, rel: str) -> bool:
        return any((root / rel).is_relative_to(folder) for folder in found.unlisted)

    return [
        rel
        for rel, (_, root_id, _, _) in run.stored.items()
        if root_id in synced and rel not in present and not protected(synced[root_id], rel)
    ]


async def _root_ids(conn: aiosqlite.Connection, roots: set[Path]) -> dict[Path, int]:
    """Register `roots`; the ids of every root ever ingested, these included."""
    await conn.executemany(
        "INSERT OR IGNORE INTO roots(path) VALUES (?)", [(str(r),) for r in sorted(roots)]
    )
    rows = await conn.execute_fetchall("SELECT path, id FROM roots")
    return {Path(r[0]): r[1] for r in rows}


def _unchanged_skipped(
    run: _Run, candidates: list[Candidate], id_of_root: dict[Path, int], *, trust: bool
) -> tuple[list[Candidate], set[str], int]:
    """The candidates this run must look at, in order; the paths among them whose stamp
    is as stored (unchanged, but to be stamped again or moved to their new root); and
    how many candidates are stored articles.

    An unchanged file (its stamp as stored) under the same root whose stamp stays
    trusted needs nothing read or written: it is only counted (a re-ingest with nothing
    changed is mostly this loop).
    """
    stored = run.stored
    settled_before = run.started_ns - RACY_NS  # see _trusted
    read: list[Candidate] = []
    as_stored: set[str] = set()
    present = 0
    for cand in candidates:
        row = stored.get(cand.rel)
        if row is None:
            read.append(cand)
            continue
        present += 1
        _, root_id, size, mtime_ns = row
        # (size, mtime) == Stamp compares as tuples: no Stamp is made per file.
        if trust and mtime_ns is not None and (size, mtime_ns) == cand.stamp:
            if mtime_ns < settled_before and root_id == id_of_root[cand.root]:
                run.report.unchanged += 1
                continue
            as_stored.add(cand.rel)
        read.append(cand)
    return read, as_stored, present


async def _load_existing(run: _Run, rels: list[str]) -> None:
    """Load what the run needs of the stored articles at `rels` (run.existing).

    A few are looked up by path; past a quarter of the corpus one scan is cheaper."""
    columns = "path, id, content_hash, slug, root_id, file_size, file_mtime_ns"
    if len(rels) > len(run.stored) // 4:
        wanted = set(rels)
        rows = await run.conn.execute_fetchall(f"SELECT {columns} FROM articles")
        rows = [row for row in rows if row[0] in wanted]
    else:
        rows = []
        for part in db.chunked(rels, SQL_CHUNK):
            rows += await run.conn.execute_fetchall(
                f"SELECT {columns} FROM articles WHERE path IN ({db.placeholders(part)})", part
            )
    run.existing.update((row[0], _Existing._make(row[1:])) for row in rows)


def _work(
    run: _Run, read: list[Candidate], as_stored: set[str], max_bytes: int
) -> tuple[list[FileResult], list[FileTask]]:
    """For the candidates to look at: the results of those whose stamp is as stored
    (unchanged, without reading them), and the work for the others (read, hash and,
    when the content changed, parse)."""
    unchanged: list[FileResult] = []
    tasks: list[FileTask] = []
    for cand in read:
        ex = run.existing.get(cand.rel)
        if ex is not None and cand.rel in as_stored:
            unchanged.append(
                FileResult(cand.rel, Status.UNCHANGED, ex.content_hash, stamp=cand.stamp)
            )
        else:
            known = ex.content_hash if ex else None
            tasks.append(FileTask(cand.path, cand.rel, known, max_bytes))
    return unchanged, tasks


# A file changed twice within the file system's timestamp granularity could keep its
# stamp; stamps this close to the run's start are not stored, so the next run reads
# those files again (the "racy clean" problem git solves the same way).
RACY_NS = 2_000_000_000


def _trusted(run: _Run, stamp: Stamp | None) -> Stamp | None:
    if stamp is None or stamp.mtime_ns >= run.started_ns - RACY_NS:
        return None
    return stamp


def _processes(workers: int | None, files: int) -> int:
    """Processes for the CPU work of a run of `files` files (0: none, work in a thread)."""
    if workers is None:
        return (os.cpu_count() or 1) if files >= POOL_THRESHOLD else 0
    return workers


def _list_processes(workers: int | None) -> int:
    """Processes to compute the top lists: each list's word is in MIN_ARTICLES articles
    or more, so any list is work enough for a pool (unless `workers` says otherwise; with
    no frequent word, none is started)."""
    return _processes(workers, POOL_THRESHOLD)


async def _load_all(tasks: list[FileTask], workers: int | None, running: Processes) -> Any:
    """Yield FileResult chunks in task order; a process pool for large runs.

    At most two chunks per worker are in flight, so memory stays bounded however
    slow the writer is.
    """
    chunks = list(db.chunked(tasks, CHUNK_FILES))
    workers = _processes(workers, len(tasks))
    if workers <= 1:
        for chunk in chunks:
            yield await asyncio.to_thread(load_files, chunk)
        return
    loop = asyncio.get_running_loop()
    pool = running.pool(workers)
    pending: deque[asyncio.Future[list[FileResult]]] = deque()
    queue = iter(chunks)
    for chunk in queue:
        pending.append(loop.run_in_executor(pool, load_files, chunk))
        if len(pending) >= 2 * workers:
            break
    while pending:
        results = await pending.popleft()
        nxt = next(queue, None)
        if nxt is not None:
            pending.append(loop.run_in_executor(pool, load_files, nxt))
        yield results


async def _apply(
    run: _Run,
    results: list[FileResult],
    roots_by_rel: dict[str, int],
    paths_by_rel: dict[str, str],
    *,
    final: bool = False,
) -> None:
    report = run.report
    writes: list[tuple[int, int, str, FileResult]] = []  # (article id, root id, slug, result)
    gone: list[str] = []
    moved: list[tuple[int, int]] = []
    restamped: list[tuple[int | None, int | None, int]] = []
    for result in results:
        rel = result.rel
        ex = run.existing.get(rel)
        if ex and ex.root_id != roots_by_rel[rel]:  # found under another folder than before
            moved.append((roots_by_rel[rel], ex.id))
        if result.status is Status.UNCHANGED:
            report.unchanged += 1
            stamp = _trusted(run, result.stamp)
            if ex and stamp != ex.stamp:  # touched, copied, or first seen by this version
                restamped.append((*_stamp_columns(stamp), ex.id))
        elif result.status is Status.IGNORED:
            report.ignored += 1
            if ex:  # a .txt that lost its frontmatter is no longer an article
                gone.append(rel)
        elif result.status is Status.REJECTED:
            report.rejected.append(RejectedFile(paths_by_rel[rel], result.reason))
        else:
            assert result.article is not None
            slug = slug_of(rel)
            slugs = await _slugs(run)
            holder = slugs.get(slug)
            if holder is not None and holder != rel:
                if not final:  # the holder may yet be removed by a later chunk
                    run.deferred.append(result)
                    continue
                reason = f"slug '{slug}' is already used by {holder}"
                report.rejected.append(RejectedFile(paths_by_rel[rel], reason))
                continue
            slugs[slug] = rel
            if ex:
                article_id = ex.id
                report.updated.append(rel)
            else:
                article_id = run.next_id
                run.next_id += 1
                report.added.append(rel)
            writes.append((article_id, roots_by_rel[rel], slug, result))
    if moved:
        await run.conn.executemany("UPDATE articles SET root_id = ? WHERE id = ?", moved)
    if restamped:
        await run.conn.executemany(
            "UPDATE articles SET file_size = ?, file_mtime_ns = ? WHERE id = ?", restamped
        )
    await _remove(run, gone)
    if writes:
        await _write(run, writes)


async def _collect_old(run: _Run, ids: list[int]) -> None:
    """Remember what rows about to change or vanish pointed at, for _finish."""
    conn = run.conn
    for part in db.chunked(ids, SQL_CHUNK):
        marks = db.placeholders(part)
        for (pid,) in await conn.execute_fetchall(
            f"SELECT provider_id FROM articles WHERE id IN ({marks}) AND provider_id IS NOT NULL",
            part,
        ):
            run.affected_providers.add(pid)
        for (tid,) in await conn.execute_fetchall(
            f"SELECT topic_id FROM article_topics WHERE article_id IN ({marks})", part
        ):
            run.affected_topics.add(tid)
        for (url,) in await conn.execute_fetchall(
            f"SELECT url FROM article_urls WHERE article_id IN ({marks})", part
        ):
            run.affected_urls.add(url)


async def _remove(run: _Run, rels: list[str]) -> None:
    if not rels:
        return
    ids = [run.existing[rel].id for rel in rels]
    await _collect_old(run, ids)
    await search_index.unindex(run.conn, ids)
    for part in db.chunked(ids, SQL_CHUNK):
        await run.conn.execute(f"DELETE FROM articles WHERE id IN ({db.placeholders(part)})", part)
    for rel in rels:
        ex = run.existing.pop(rel)
        del run.stored[rel]
        if run.slugs is not None and run.slugs.get(ex.slug) == rel:
            del run.slugs[ex.slug]
    run.report.removed.extend(rels)


def slug_of(rel: str) -> str:
    """`2021/edge-models.md` -> `edge-models`: the file name without its suffix (every
    article file has one), as Path(rel).stem gives it (a name of only leading dots
    before the last has none), without building a Path or calling os.path."""
    name = rel.rpartition("/")[2]
    stem = name.rpartition(".")[0]
    return stem if stem.lstrip(".") else name


ARTICLE_COLUMNS = ARTICLE_RUN_COLUMNS + ARTICLE_FILE_COLUMNS
INSERT_ARTICLE = (
    f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) "
    f"VALUES ({db.placeholders(len(ARTICLE_COLUMNS))})"
)
# A changed article keeps its row (and id): rows pointing at it stay where they are.
UPSERT_ARTICLE = f"{INSERT_ARTICLE} ON CONFLICT(id) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in ARTICLE_COLUMNS[1:]
)
CONTENT_COLUMNS = CONTENT_RUN_COLUMNS + CONTENT_FILE_COLUMNS
# A content row's id and full-text columns, in the index's order (a C-level getter:
# called for every article of a full ingest).
INDEXED_ROW = operator.itemgetter(0, *(CONTENT_COLUMNS.index(name) for name, _ in COLUMNS))
INSERT_CONTENT = (
    f"INSERT INTO article_content ({', '.join(CONTENT_COLUMNS)}) "
    f"VALUES ({db.placeholders(len(CONTENT_COLUMNS))})"
)
# Rows replaced wholesale when an article changes (reference_urls cascades from related).
CHILD_TABLES = (
    ("article_content", "id"), ("article_topics", "article_id"), ("article_urls", "article_id"),
    ("related", "article_id"),
)  # fmt: skip


async def _ensure_keys(
    conn: aiosqlite.Connection, table: str, key: str, known: dict[str, int],
    rows: dict[str, tuple[Any, ...]], columns: str,
) -> None:  # fmt: skip
    """Insert providers/topics not seen before and learn their ids."""
    new = [values for k, values in rows.items() if k not in known]
    if not new:
        return
    await conn.executemany(
        f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({db.placeholders(len(new[0]))})", new
    )
    wanted = [k for k in rows if k not in known]
    for part in db.chunked(wanted, SQL_CHUNK):
        for k, ident in await conn.execute_fetchall(
            f"SELECT {key}, id FROM {table} WHERE {key} IN ({db.placeholders(part)})", part
        ):
            known[k] = ident


def _stamp_columns(stamp: Stamp | None) -> tuple[int | None, int | None]:
    return (stamp.size, stamp.mtime_ns) if stamp else (None, None)


async def _write(run: _Run, writes: list[tuple[int, int, str, FileResult]]) -> None:
    conn = run.conn
    updated_ids = [article_id for article_id, _, _, r in writes if r.rel in run.existing]
    parsed = [r.article for _, _, _, r in writes if r.article is not None]
    if updated_ids:
        await _collect_old(run, updated_ids)
        await search_index.unindex(conn, updated_ids)
        for part in db.chunked(updated_ids, SQL_CHUNK):
            marks = db.placeholders(part)
            for table, column in CHILD_TABLES:
                await conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", part)

    providers = {a.provider[0]: a.provider for a in parsed if a.provider}
    await _ensure_keys(conn, "providers", "domain", run.providers, providers, "domain, name")
    topics = {
        slug: (slug, name)
        for a in parsed
        for name, slug in zip(a.topics, a.topic_slugs, strict=True)
    }
    await _ensure_keys(conn, "topics", "slug", run.topics, topics, "slug, name")

    article_rows: list[tuple[Any, ...]] = []
    content_rows: list[tuple[Any, ...]] = []
    topic_rows: list[tuple[Any, ...]] = []
    url_rows: list[tuple[str, int]] = []
    related_rows: list[tuple[Any, ...]] = []
    reference_url_rows: list[tuple[Any, ...]] = []
    for article_id, root_id, slug, result in writes:
        rel, a = result.rel, result.article
        assert a is not None
        provider_id = run.providers[a.provider[0]] if a.provider else None
        trending = trending_key(a.heat, a.quality, a.published_ts, run.half_life_hours)
        topic_ids = [run.topics[topic] for topic in a.topic_slugs]
        article_rows.append((
            article_id, root_id, provider_id, trending,
            *_stamp_columns(_trusted(run, result.stamp)), rel, slug, result.content_hash,
            *a.article_values,
        ))  # fmt: skip
        content_rows.append((article_id, ",".join(map(str, topic_ids)), *a.content_values))
        run.changed_ids.add(article_id)
        if provider_id is not None:
            run.affected_providers.add(provider_id)
        for pos, (name, topic_id) in enumerate(zip(a.topics, topic_ids, strict=True)):
            topic_rows.append((article_id, pos, topic_id, name, a.published_ts, trending))
        run.affected_topics.update(topic_ids)
        url_rows.extend((url, article_id) for url in a.urls)
        run.affected_urls.update(a.urls)
        related_rows.extend((article_id, *row) for row in a.related)
        reference_url_rows.extend((article_id, *row) for row in a.reference_urls)
    # New ids cannot conflict; an upsert costs three times a plain insert.
    updated = set(updated_ids)
    await conn.executemany(INSERT_ARTICLE, [row for row in article_rows if row[0] not in updated])
    if updated:
        await conn.executemany(UPSERT_ARTICLE, [row for row in article_rows if row[0] in updated])
    await conn.executemany(INSERT_CONTENT, content_rows)
    await search_index.index(conn, list(map(INDEXED_ROW, content_rows)))
    await conn.executemany(
        "INSERT INTO article_topics (article_id, position, topic_id, name, published_ts, "
        "trending) VALUES (?, ?, ?, ?, ?, ?)",
        topic_rows,
    )
    await conn.executemany("INSERT INTO article_urls (url, article_id) VALUES (?, ?)", url_rows)
    await conn.executemany(
        f"INSERT INTO related (article_id, position, {', '.join(RELATED_FILE_COLUMNS)}) "
        f"VALUES ({db.placeholders(2 + len(RELATED_FILE_COLUMNS))})",
        related_rows,
    )
    await conn.executemany(
        "INSERT INTO reference_urls (article_id, position, priority, url) VALUES (?, ?, ?, ?)",
        reference_url_rows,
    )


# Re-point the references that may have changed target: those of changed articles,
# those that pointed at a changed article, and those naming a URL that appeared or
# disappeared. The target is the article holding the reference's highest-priority
# URL; among articles sharing that URL the first by path wins, whatever the order
# in which files arrived.
RESOLVE_RELATED = """
UPDATE related SET target_id = (
    SELECT u.article_id
    FROM reference_urls AS r
    JOIN article_urls AS u ON u.url = r.url
    JOIN articles AS a ON a.id = u.article_id
    WHERE r.article_id = related.article_id AND r.position = related.position
    ORDER BY r.priority, a.path
    LIMIT 1
)"""
# The same when every article changed, so every reference was written anew without a
# target: the winners of all references at once (one sort instead of a sort per
# reference), written only to the references that have one. 0.80 -> 0.67 s at 100,000
# articles.
RESOLVE_ALL = """
UPDATE related SET target_id = best.target_id FROM (
    SELECT article_id, position, target_id FROM (
        SELECT r.article_id, r.position, u.article_id AS target_id,
               row_number() OVER (
                   PARTITION BY r.article_id, r.position ORDER BY r.priority, a.path
               ) AS rank
        FROM reference_urls AS r
        JOIN article_urls AS u ON u.url = r.url
        JOIN articles AS a ON a.id = u.article_id)
    WHERE rank = 1) AS best
WHERE related.article_id = best.article_id AND related.position = best.position"""
RESOLVE_AFFECTED = """
WHERE article_id IN (SELECT id FROM temp.changed_ids)
   OR target_id IN (SELECT id FROM temp.changed_ids)
   OR (article_id, position) IN (
        SELECT article_id, position FROM reference_urls
        WHERE url IN (SELECT url FROM temp.affected_urls))
"""

REFRESH_PROVIDERS = """
DELETE FROM providers WHERE id IN (SELECT id FROM temp.affected_ids)
    AND NOT EXISTS (SELECT 1 FROM articles WHERE provider_id = providers.id);
UPDATE providers SET
    article_count = (SELECT count(*) FROM articles WHERE provider_id = providers.id),
    (name, images) = (
        SELECT coalesce(c.provider_name, providers.domain), c.provider_images
        FROM articles AS a JOIN article_content AS c ON c.id = a.id
        WHERE a.provider_id = providers.id ORDER BY a.published_ts DESC, a.path LIMIT 1)
WHERE id IN (SELECT id FROM temp.affected_ids);
"""

# A topic's display name is the spelling used by its newest article. Ordered by the
# article_topics copy of published_ts, so that the topic's index gives the newest first
# and only a tie is sorted: ordered by the articles' own column, every article of every
# topic was sorted (0.2-0.4 s of a 100,000-article first ingest, 0.01 s now).
REFRESH_TOPICS = """
DELETE FROM topics WHERE id IN (SELECT id FROM temp.affected_ids)
    AND NOT EXISTS (SELECT 1 FROM article_topics WHERE topic_id = topics.id);
UPDATE topics SET
    article_count = (SELECT count(*) FROM article_topics WHERE topic_id = topics.id),
    name = (
        SELECT t.name FROM article_topics AS t JOIN articles AS a ON a.id = t.article_id
        WHERE t.topic_id = topics.id ORDER BY t.published_ts DESC, a.path LIMIT 1)
WHERE id IN (SELECT id FROM temp.affected_ids);
"""


async def _fill_temp(conn: aiosqlite.Connection, table: str, column: str, values: Any) -> None:
    await conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({column} PRIMARY KEY)")
    await conn.execute(f"DELETE FROM temp.{table}")
    await conn.executemany(f"INSERT INTO temp.{table} VALUES (?)", [(v,) for v in values])


async def _finish(run: _Run) -> None:
    """Resolve links, refresh providers and topics, and bump the corpus version."""
    conn = run.conn
    report = run.report
    if report.changed:
        if len(run.changed_ids) == await _first(conn, "SELECT count(*) FROM articles"):
            await conn.execute(RESOLVE_ALL)  # every article changed: every reference
        else:
            # Removed rows are gone already; ON DELETE SET NULL cleared references to
            # them, and their URLs are in affected_urls so those references look again.
            await _fill_temp(conn, "changed_ids", "id", run.changed_ids)
            await _fill_temp(conn, "affected_urls", "url", run.affected_urls)
            await conn.execute(RESOLVE_RELATED + RESOLVE_AFFECTED)
        await _fill_temp(conn, "affected_ids", "id", run.affected_providers)
        for statement in _statements(REFRESH_PROVIDERS):
            await conn.execute(statement)
        await _fill_temp(conn, "affected_ids", "id", run.affected_topics)
        for statement in _statements(REFRESH_TOPICS):
            await conn.execute(statement)
        # Search (#4): _remove and _write keep the FTS index in step batch by batch; the
        # top lists of frequent words follow the index here (loaders/search/toplists.py).
        if not run.lists_later:
            run.lists_after_commit = await toplists.refresh(
                conn, run.changed_ids, len(report.removed), defer_rebuild=bool(run.database_file)
            )
        await refresh_corpus_facets(conn)
    elif run.database_file and not run.lists_later and await toplists.missing(conn):
        run.lists_after_commit = True  # dropped by an ingest that stopped before rebuilding
    if await _rerank(run) or report.changed:
        await conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'corpus_version'"
        )
        await _refresh_statistics(conn)
    await conn.execute("DELETE FROM meta WHERE key = 'emptied_by_upgrade'")
    await conn.execute(
        "INSERT INTO meta(key, value) VALUES ('next_article_id', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(run.next_id),),
    )
    report.corpus_version = await db.meta_int(conn, "corpus_version", 0)
    await conn.execute(
        "INSERT INTO meta(key, value) VALUES ('last_ingest', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (json.dumps(report.summary()),),
    )


async def _refresh_statistics(conn: aiosqlite.Connection) -> None:
    """ANALYZE when the corpus has no statistics yet or its size moved by a quarter.

    The planner's choices between walking an order's index and jumping through a
    filter's index depend on these row counts; re-measuring on every small ingest
    would cost seconds at 100,000 articles for no better plans.
    """
    analyzed = None
    if await db.has_statistics(conn):
        stat = await _first(conn, "SELECT stat FROM sqlite_stat1 WHERE tbl = 'articles'")
        analyzed = int(stat.split()[0]) if stat else None
    count = await _first(conn, "SELECT count(*) FROM articles")
    if analyzed is None or abs(count - analyzed) > STATS_DRIFT * max(analyzed, 1):
        for (table,) in await conn.execute_fetchall(ANALYZED_TABLES):
            await conn.execute(f'ANALYZE "{table}"')
        # article_content has a row per article: its size is written rather than counted.
        # Without it the planner assumes ~1M rows, and a size left by an older ANALYZE
        # would shrink against the others' as the corpus grows until the planner scanned
        # article_content to drive a page (seen at a third of the articles' count).
        await conn.execute(f"DELETE FROM sqlite_stat1 WHERE {_not_analyzed('tbl')}")
        await conn.execute(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('article_content', NULL, ?)",
            (str(count),),
        )


def _not_analyzed(column: str) -> str:
    """SQL that is true when `column` names one of the tables ANALYZE skips."""
    return f"({column} = 'article_content' OR {column} LIKE 'article\\_fts%' ESCAPE '\\')"


# The tables whose statistics the planner uses. Not article_content: it is only ever
# read by rowid, and counting its rows read every page of it (400 MB, a third of a
# whole ANALYZE at 100,000 articles); nor the full-text index's own tables, which FTS5
# reads with statements of its own.
ANALYZED_TABLES = (
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
    f"ESCAPE '\\' AND NOT {_not_analyzed('name')}"
)


async def _first(conn: aiosqlite.Connection, sql: str) -> Any:
    """The first value of the first row, or None."""
    rows = list(await conn.execute_fetchall(sql))
    return rows[0][0] if rows else None


async def _rerank(run: _Run) -> bool:
    """Recompute every TRENDING key when the half-life changed; whether it did."""
    stored = await _meta_float(run.conn, "trending_half_life_hours")
    if stored == run.half_life_hours:
        return False
    await run.conn.execute(
        "INSERT INTO meta(key, value) VALUES ('trending_half_life_hours', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (repr(run.half_life_hours),),
    )
    if stored is None:
        return False  # a new corpus: every article was ranked with this half-life as written
    rows = await run.conn.execute_fetchall("SELECT id, heat, quality, published_ts FROM articles")
    keys = [(trending_key(r[1], r[2], r[3], run.half_life_hours), r[0]) for r in rows]
    await run.conn.executemany("UPDATE articles SET trending = ? WHERE id = ?", keys)
    await run.conn.executemany("UPDATE article_topics SET trending = ? WHERE article_id = ?", keys)
    return bool(rows)


async def _meta_float(conn: aiosqlite.Connection, key: str) -> float | None:
    rows = list(await conn.execute_fetchall("SELECT value FROM meta WHERE key = ?", (key,)))
    return float(rows[0][0]) if rows else None


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
