"""The parse-only baseline of the ingest benchmark: the least work any ingest must do.

Find the files, read each one, cut out its frontmatter and load it with PyYAML's C loader
(`yaml.CSafeLoader`), in a process pool with one process per CPU. No validation, no
hashing, no database: newsgraph's full ingest rate divided by this rate says how much of
the machine's parsing capacity the rest of the pipeline leaves.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import yaml

CHUNK = 256


def _frontmatter(raw: bytes) -> str:
    text = raw.decode("utf-8")
    start = text.index("\n") + 1  # after the opening ---
    end = text.find("\n---", start)
    return text[start:end]


def parse_chunk(paths: list[str]) -> int:
    for path in paths:
        with open(path, "rb") as handle:
            raw = handle.read()
        if not isinstance(yaml.load(_frontmatter(raw), Loader=yaml.CSafeLoader), dict):
            raise ValueError(f"{path}: frontmatter is not a mapping")
    return len(paths)


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for folder, _dirs, files in os.walk(root):
        found += [os.path.join(folder, f) for f in files if f.endswith(".md")]
    return found


def read_all(root: Path) -> int:
    """Read every file once, so that timed passes find them in the page cache; bytes read."""
    total = 0
    for path in _walk(root):
        with open(path, "rb") as handle:
            total += len(handle.read())
    return total


def parse_all(root: Path, processes: int | None = None) -> tuple[int, float]:
    """(files parsed, seconds), from the folder walk to the last file parsed."""
    processes = processes or os.cpu_count() or 1
    started = time.perf_counter()
    paths = _walk(root)
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    # spawn, like the ingest's own pool: a fork of a pytest process would be cheaper to
    # start than any real ingest gets.
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        parsed = sum(pool.map(parse_chunk, chunks))
    return parsed, time.perf_counter() - started
