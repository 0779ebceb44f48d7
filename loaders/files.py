"""Finding article files and turning one file into a `FileResult`.

`load_file` is the unit of work of the parse pool: it reads, hashes and (only
when the content changed) parses a file, so unchanged files cost one read.
"""

from __future__ import annotations

import codecs
import hashlib
import multiprocessing
import multiprocessing.connection
import operator
import os
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from loaders.parse import Rejection, parse_article
from loaders.prepared import PreparedArticle, prepare

ARTICLE_SUFFIXES = frozenset({".md", ".markdown"})
# .txt files are articles only when they open with a frontmatter block.
MAYBE_ARTICLE_SUFFIXES = frozenset({".txt"})


class Stamp(NamedTuple):
    """A file's size and modification time: when both are as stored, it is unchanged."""

    size: int
    mtime_ns: int


class Candidate(NamedTuple):
    """A file that may be an article, found under `root` (an absolute folder)."""

    root: Path
    path: str  # absolute
    rel: str  # relative to root, POSIX separators: the article's identity
    stamp: Stamp | None = None  # as discovery saw it


class Status(Enum):
    UNCHANGED = "unchanged"
    PARSED = "parsed"
    REJECTED = "rejected"
    IGNORED = "ignored"  # a .txt without frontmatter: not an article


class FileTask(NamedTuple):  # pickled to the parse pool: a tuple pickles in C
    path: str
    rel: str
    known_hash: str | None
    max_bytes: int


class FileResult(NamedTuple):
    rel: str
    status: Status
    content_hash: str = ""
    article: PreparedArticle | None = None
    reason: str = ""
    stamp: Stamp | None = None  # of the file as it was read


_CANDIDATE_SUFFIXES = tuple(sorted(ARTICLE_SUFFIXES | MAYBE_ARTICLE_SUFFIXES))


def _is_candidate(name: str) -> bool:
    """Whether a file of this name (not starting with a dot) may be an article.

    `endswith` rather than os.path.splitext: the same answer for such names, in C; the
    walk asks it for every file."""
    return name.lower().endswith(_CANDIDATE_SUFFIXES)


@dataclass(frozen=True, slots=True)
class Discovery:
    candidates: list[Candidate]
    unreadable: list[tuple[Path, str]]  # folders that could not be listed, with the reason


def discover(path: Path, *, stamped: bool = True) -> Discovery:
    """Candidate files under `path` (a folder, walked recursively, or one file).

    Hidden files and folders (dot-names) are skipped; symlinked folders are not
    followed, so a link loop cannot make the walk endless. Folders that cannot be
    listed are returned, so that their articles are not mistaken for deleted ones.

    Without `stamped` the candidates carry no stamp, and the walk asks the file system
    for nothing but the folders' listings: the type each listing gives is enough to know
    a plain file, and only links are followed (stat). For a database holding no articles
    yet, which has no stamps to compare: 0.23 s instead of 0.58-0.70 s for 100,000 files
    at the start of a first ingest, when nothing else runs yet.
    """
    path = path.resolve()
    if path.is_file():
        found = (
            [Candidate(path.parent, str(path), path.name, _stamp(path.stat()))]
            if _is_candidate(path.name)
            else []
        )
        return Discovery(found, [])
    candidates: list[Candidate] = []
    unreadable: list[tuple[Path, str]] = []

    def on_error(error: OSError) -> None:
        unreadable.append((Path(error.filename or path), error.strerror or str(error)))

    # Plain strings for the per-file work: a re-ingest with nothing changed is mostly this
    # walk, and pathlib's parsing and formatting cost more than the stat itself.
    for folder, prefix, fd, files in _folders(str(path), on_error):
        for entry in files:
            name = entry.name
            if not stamped:
                if entry.is_file():  # follows links, as reading will
                    candidates.append(Candidate(path, f"{folder}/{name}", prefix + name))
                continue
            try:
                # Relative to the open folder: the kernel looks up one name, not the
                # whole path (0.29 instead of 0.35 s for 100,000 files).
                status = os.stat(name, dir_fd=fd)  # follows links, as reading will
            except OSError:  # a broken link: nothing to read
                continue
            if not stat.S_ISREG(status.st_mode):  # sockets, devices, links to folders
                continue
            stamp = Stamp(status.st_size, status.st_mtime_ns)
            candidates.append(Candidate(path, f"{folder}/{name}", prefix + name, stamp))
    return Discovery(candidates, unreadable)


def _folders(
    root: str, on_error: Callable[[OSError], None]
) -> Iterator[tuple[str, str, int, list[os.DirEntry[str]]]]:
    """(path, relative prefix, open descriptor, entries named like candidates that are
    not folders) of each folder under `root`, depth first, names in order; hidden names
    and links to folders are not walked into. The descriptor is open until the next
    folder is asked for."""
    stack = [(root.rstrip("/"), "")]  # paths join as f"{folder}/{name}", "/" as ""
    while stack:
        folder, prefix = stack.pop()
        try:
            fd = os.open(folder or "/", os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            on_error(error)
            continue
        try:
            try:
                with os.scandir(fd) as listing:
                    entries = sorted(listing, key=_NAME)
            except OSError as error:  # raised for a descriptor: it names no file
                on_error(OSError(error.errno, error.strerror, folder or "/"))
                continue
            files = []
            below = []
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                if entry.is_dir():  # the listing's type, or a stat for a link
                    if not entry.is_symlink():
                        below.append((f"{folder}/{name}", f"{prefix}{name}/"))
                elif _is_candidate(name):
                    files.append(entry)
            yield folder, prefix, fd, files
        finally:
            os.close(fd)
        stack.extend(reversed(below))


_NAME = operator.attrgetter("name")


def _stamp(found: os.stat_result) -> Stamp:
    return Stamp(found.st_size, found.st_mtime_ns)


def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def load_file(task: FileTask) -> FileResult:
    """Read, hash and, when changed, parse one file. Never raises for bad content."""
    rel = task.rel
    try:
        stamp, raw = _read(task.path, task.max_bytes)
    except _Unreadable as exc:
        return FileResult(rel, Status.REJECTED, reason=str(exc))
    except OSError as exc:
        return FileResult(rel, Status.REJECTED, reason=f"cannot read file: {exc.strerror}")
    digest = content_hash(raw)
    if digest == task.known_hash:
        return FileResult(rel, Status.UNCHANGED, digest, stamp=stamp)
    if os.path.splitext(rel)[1].lower() in MAYBE_ARTICLE_SUFFIXES and not _opens_frontmatter(raw):
        return FileResult(rel, Status.IGNORED, digest, stamp=stamp)
    try:
        article = prepare(parse_article(raw, max_bytes=task.max_bytes))
    except Rejection as exc:
        return FileResult(rel, Status.REJECTED, digest, reason=str(exc))
    except Exception as exc:
        reason = f"unexpected parser failure ({type(exc).__name__})"
        return FileResult(rel, Status.REJECTED, digest, reason=reason)
    return FileResult(rel, Status.PARSED, digest, article, stamp=stamp)


class _Unreadable(Exception):
    """A file not to read: its message is the reason."""


def _read(path: str, max_bytes: int) -> tuple[Stamp, bytes]:
    """The file's stamp and bytes, with four system calls (open, fstat, read, close)
    where open() and a stat by path took eight (6 instead of 11.5-14 us a file).

    O_NONBLOCK: a file replaced by a named pipe since the walk opens at once (and is
    refused) instead of waiting for a writer for ever; regular files ignore the flag.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise _Unreadable("cannot read file: not a regular file")
        size = found.st_size
        if size > max_bytes:
            # Decided before reading, so a huge file costs no memory.
            raise _Unreadable(f"file is {size} bytes, over the {max_bytes}-byte limit")
        # Sized by the stat: reading max_bytes + 1 would allocate the whole limit (2 MB)
        # for every file. A file that grew since the stat is read on, still only up to
        # one byte over the limit.
        raw = os.read(fd, size + 1)
        while len(raw) > size and len(raw) <= max_bytes:
            more = os.read(fd, max_bytes + 1 - len(raw))
            if not more:
                break
            raw += more
    finally:
        os.close(fd)
    return _stamp(found), raw


def load_files(tasks: Sequence[FileTask]) -> list[FileResult]:
    """A chunk of work for one pool round-trip."""
    return [load_file(task) for task in tasks]


def worker_pool(processes: int) -> ProcessPoolExecutor:
    """A pool of `processes` processes for an ingest's CPU work (parsing files, building
    search top lists). Spawned, not forked: forking a process that runs aiosqlite's
    threads is unsafe. Its processes end with the ingest, however it ends."""
    return ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("spawn"), initializer=exit_with_parent
    )


class Processes:
    """An ingest's worker processes: started by the first work that wants them and kept
    until the block ends, so that parsing and the search top lists share them. Starting one
    (spawning, importing) costs about 0.4 s of a core that the ingest is busy with."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def pool(self, processes: int) -> ProcessPoolExecutor:
        """The pool, started with `processes` processes if it is not running yet."""
        if self._pool is None:
            self._pool = worker_pool(processes)
        return self._pool

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        """End the processes; work not started yet is cancelled."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def exit_with_parent() -> None:
    """Pool initializer: a worker process ends as soon as the ingest that started it dies.

    An ingest killed with `kill -9` cannot shut its pool down, and its workers wait on
    a task queue whose write end they hold themselves, so they would never see EOF
    and would live on, idle, forever. A daemon thread waits on the parent's sentinel.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="newsgraph-parent-watch", daemon=True).start()


def _opens_frontmatter(raw: bytes) -> bool:
    return raw.removeprefix(codecs.BOM_UTF8).startswith(b"---")
