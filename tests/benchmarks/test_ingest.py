"""Ingest benchmark of issue 6: full ingest, re-ingest with nothing changed, and the
parse-only baseline, on the same files in the same run.

Both ingests run `newsgraph ingest --json` as a user would; their time is the one the
report gives (discovery to COMMIT, without interpreter start-up). The files are in the page
cache for all three (the corpus was just generated or read), so this measures CPU work, not
the disk.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.benchmarks import corpora, parse_baseline
from tests.benchmarks.config import BenchConfig
from tests.benchmarks.report import IngestResult, Results


def _timed_ingest(db_path: Path, corpus: Path) -> tuple[dict[str, object], float]:
    started = time.perf_counter()
    report = corpora.ingest_cli(db_path, corpus)
    return report, time.perf_counter() - started


def _seconds(report: dict[str, object]) -> float:
    seconds = report["seconds"]
    assert isinstance(seconds, float | int)
    return float(seconds)


@pytest.mark.benchmark
def test_ingest_against_parse_only(
    bench_config: BenchConfig,
    bench_corpus: Callable[[int], Path],
    bench_results: Results,
    tmp_path: Path,
) -> None:
    size = bench_config.ingest_size
    corpus = bench_corpus(size)
    parsed, parse_seconds = parse_baseline.parse_all(corpus)
    assert parsed == size

    db_path = tmp_path / "ingest.db"
    full, full_wall = _timed_ingest(db_path, corpus)
    assert full["added"] == size and full["rejected"] == 0, full
    again, again_wall = _timed_ingest(db_path, corpus)
    assert again["unchanged"] == size and again["added"] == again["updated"] == 0, again

    result = IngestResult(
        files=size,
        full_seconds=_seconds(full),
        reingest_seconds=_seconds(again),
        parse_seconds=parse_seconds,
        parse_processes=os.cpu_count() or 1,
        full_wall_seconds=round(full_wall, 3),
        reingest_wall_seconds=round(again_wall, 3),
    )
    bench_results.ingest = result
    print(f"\n[bench] ingest {result}", flush=True)
    # The run made the database the serving benchmarks need: keep it if none is cached.
    corpora.adopt_database(size, bench_config.seed, bench_config.cache, db_path)
