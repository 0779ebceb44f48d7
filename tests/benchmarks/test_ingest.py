"""Ingest benchmark of issue 6: full ingest, re-ingest with nothing changed, and the
parse-only baseline, on the same files in the same run.

Both ingests run `newsgraph ingest --json` as a user would; their time is the one the
report gives (discovery to COMMIT, without interpreter start-up). A round is a full
ingest into a new database and a re-ingest with nothing changed, with the parse-only
baseline run before and after it (its mean is the round's), so that a slow drift of the
machine's load affects both sides alike; the config's `repeats` rounds run in a row
(the baseline run between two rounds serves both), and each ratio reported is the median
of the rounds' (this machine's speed drifts by several percent from minute to minute).
Every file is read once before anything is timed, so all steps find them in the page
cache: this measures CPU work, not the disk (a corpus cached by an earlier run has often
been evicted since; its first pass used to read from disk and made the baseline look five
times slower than it is). Each step also reports the cores it used (CPU time / wall
time), which shows when other processes took a share.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.benchmarks import corpora, parse_baseline
from tests.benchmarks.config import BenchConfig
from tests.benchmarks.report import IngestResult, IngestRound, Results

T = TypeVar("T")


def _cpu_seconds() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _timed(step: Callable[[], T]) -> tuple[T, float, float]:
    """step(), its wall time, and the cores it used (children included once waited for)."""
    cpu, started = _cpu_seconds(), time.perf_counter()
    value = step()
    wall = time.perf_counter() - started
    return value, wall, round((_cpu_seconds() - cpu) / wall, 2)


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
    db_path = tmp_path / "ingest.db"

    def parse() -> tuple[float, float]:
        (parsed, seconds), _, cores = _timed(lambda: parse_baseline.parse_all(corpus))
        assert parsed == size
        return seconds, cores

    assert parse_baseline.read_all(corpus) > 0
    rounds: list[IngestRound] = []
    parse_before = parse()
    for _ in range(bench_config.repeats):
        for stale in tmp_path.glob("ingest.db*"):
            stale.unlink()
        full, full_wall, full_cores = _timed(lambda: corpora.ingest_cli(db_path, corpus))
        assert full["added"] == size and full["rejected"] == 0, full
        again, again_wall, again_cores = _timed(lambda: corpora.ingest_cli(db_path, corpus))
        assert again["unchanged"] == size and again["added"] == again["updated"] == 0, again
        parse_after = parse()
        rounds.append(IngestRound(
            full_seconds=_seconds(full),
            reingest_seconds=_seconds(again),
            parse_before=round(parse_before[0], 3),
            parse_after=round(parse_after[0], 3),
            full_wall_seconds=round(full_wall, 3),
            reingest_wall_seconds=round(again_wall, 3),
            cores={"full": full_cores, "reingest": again_cores,
                   "parse": round((parse_before[1] + parse_after[1]) / 2, 2)},
        ))  # fmt: skip
        print(f"\n[bench] ingest round {len(rounds)}: {rounds[-1]}", flush=True)
        parse_before = parse_after

    result = IngestResult(files=size, parse_processes=os.cpu_count() or 1, rounds=rounds)
    bench_results.ingest = result
    print(f"\n[bench] ingest: full / parse-only {result.full_vs_parse:.3f}, "
          f"re-ingest / full {result.reingest_share:.3f} (medians)", flush=True)  # fmt: skip
    # The run made the database the serving benchmarks need: keep it if none is cached.
    corpora.adopt_database(size, bench_config.seed, bench_config.cache, db_path)
