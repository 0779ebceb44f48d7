"""The benchmark harness itself (fast, part of the default run): cached databases follow the
code that fills them, and a written run reads back into the same tables."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from loaders import db
from tests.benchmarks import corpora, report
from tests.benchmarks.config import BenchConfig
from tests.benchmarks.report import IngestResult, IngestRound, Results, ServingRow, WorkersRow
from tests.benchmarks.shapes import spread
from tests.benchmarks.wrk import LoadResult


def test_database_name_follows_schema_version_and_storage_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaders = tmp_path / "loaders"
    shutil.copytree(corpora.LOADERS, loaders, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(corpora, "LOADERS", loaders)
    original = corpora.database_name(1000, 1)

    (loaders / "reads.py").write_text("# a read-side change\n")
    assert corpora.database_name(1000, 1) == original

    (loaders / "ingest.py").write_text((loaders / "ingest.py").read_text() + "\n# changed\n")
    changed_code = corpora.database_name(1000, 1)
    assert changed_code != original

    monkeypatch.setattr(db, "SCHEMA_VERSION", db.SCHEMA_VERSION + 1)
    assert corpora.database_name(1000, 1) not in (original, changed_code)


def test_cached_database_with_another_schema_version_is_rebuilt(tmp_path: Path) -> None:
    path = corpora.database(20, 7, tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 0")
    conn.close()

    rebuilt = corpora.database(20, 7, tmp_path)

    conn = sqlite3.connect(f"file:{rebuilt}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 20
    finally:
        conn.close()


def test_spread_takes_evenly_spaced_items() -> None:
    assert spread(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert spread(list(range(3)), 5) == [0, 1, 2]
    assert spread(list(range(3)), 0) == []


def _load(req_per_s: float, cpu: float = 1.0) -> LoadResult:
    return LoadResult(requests=int(req_per_s * 10), seconds=10.0, req_per_s=req_per_s,
                      p50_ms=20.0, p90_ms=30.0, p99_ms=40.0, max_ms=50.0, bad_status=0,
                      graphql_errors=0, socket_errors=0, timeouts=0, wrk_cpu=0.1,
                      server_cpu=cpu)  # fmt: skip


def test_written_run_reads_back_into_the_same_tables(tmp_path: Path) -> None:
    config = BenchConfig.from_env({"BENCH_MODE": "full", "BENCH_CACHE": str(tmp_path)})
    results = Results(config, placement="server on CPU 1, wrk on CPU 0")
    for size in (1000, 100_000):
        results.serving.append(
            ServingRow(size, "home feed", "cold", 900, 0.04, _load(80.0), _load(8000.0, 0.6))
        )
        results.serving.append(ServingRow(size, "search", "hot", 0, 0.5, note="n/a"))
    results.memory[100_000] = {"process_mb": 70.0, "process_peak_mb": 71.0, "serving_mb": 70.0}
    results.workers.append(WorkersRow(100_000, "home feed", _load(80.0), _load(150.0, 1.9)))
    results.workers_memory[100_000] = {"process_mb": 30.0, "workers_mb": 140.0}
    cores = {"full": 1.5, "reingest": 1.0, "parse": 1.9}
    results.ingest = IngestResult(100_000, 2, [
        IngestRound(60.0, 2.0, 29.0, 31.0, 61.0, 2.5, cores),
        IngestRound(50.0, 3.0, 31.0, 33.0, 51.0, 3.5, cores),
        IngestRound(40.0, 1.0, 33.0, 35.0, 41.0, 1.5, cores),
    ])  # fmt: skip

    written = results.write(tmp_path)
    again = report.from_json(json.loads(written.read_text()))

    assert again.tables() == results.tables()
    table = "\n".join(results.tables())
    assert "0.0100" in table  # 80 / 8000 req/s: the ratio to the baseline
    assert "0.0060" in table  # (80 / 1.0) / (8000 / 0.6): the ratio per CPU-second
    assert "1.88" in table  # 150 / 80: two workers against one


def test_ingest_ratios_are_the_medians_of_the_rounds_ratios(tmp_path: Path) -> None:
    cores = {"full": 1.5, "reingest": 1.0, "parse": 1.9}
    result = IngestResult(100_000, 2, [
        IngestRound(60.0, 2.0, 29.0, 31.0, 61.0, 2.5, cores),  # 0.5 and 0.0333
        IngestRound(50.0, 3.0, 31.0, 33.0, 51.0, 3.5, cores),  # 0.64 and 0.06
        IngestRound(40.0, 1.0, 33.0, 35.0, 41.0, 1.5, cores),  # 0.85 and 0.025
    ])  # fmt: skip
    assert result.full_vs_parse == 32.0 / 50.0
    assert result.reingest_share == 2.0 / 60.0  # not the medians' ratio (2.0 / 50.0)
    assert (result.full_seconds, result.reingest_seconds, result.parse_seconds) == (50, 2, 32)
    table = "\n".join(Results(BenchConfig.from_env({}), ingest=result).tables())
    assert "0.640 (each round: 0.500, 0.640, 0.850) (target >= 0.6): yes" in table
    assert "0.033 (each round: 0.033, 0.060, 0.025) (target < 0.05): yes" in table


def test_an_ingest_written_before_rounds_reads_back_as_one_round() -> None:
    old = {"files": 100_000, "full_seconds": 20.0, "reingest_seconds": 1.0,
           "parse_seconds": 12.0, "parse_processes": 2, "full_wall_seconds": 20.5,
           "reingest_wall_seconds": 1.3, "parse_runs": [11.0, 13.0],
           "cores": {"full": 1.8, "reingest": 1.0, "parse": 1.9}, "full_vs_parse": 0.6}  # fmt: skip
    result = IngestResult.from_json(old)
    assert len(result.rounds) == 1
    assert (result.full_vs_parse, result.reingest_share) == (0.6, 0.05)


def test_a_repeated_shape_reports_its_median_run_and_range(tmp_path: Path) -> None:
    config = BenchConfig.from_env({"BENCH_MODE": "full", "BENCH_CACHE": str(tmp_path)})
    assert config.repeats == 3
    measured = ((400.0, 44.0, 1.0), (320.0, 50.0, 0.5), (360.0, 40.0, 1.0))  # req/s, p50, CPU
    runs = [(dataclasses.replace(_load(rate, cpu), p50_ms=p50), _load(8000.0))
            for rate, p50, cpu in measured]  # fmt: skip
    row = ServingRow.median_of(ServingRow(100_000, "topic page", "cold", 900, 0.04), runs)
    assert row.ratio == 360.0 / 8000.0  # the middle of 0.040, 0.045, 0.050
    assert row.newsgraph is not None and row.newsgraph.p50_ms == 40.0  # that run's own
    assert row.ratio_range == (0.04, 0.05)
    assert row.p50_ms == 44.0  # the median of 44, 50 and 40
    assert row.p50_cpu_ms == 40.0  # the median of 44, 25 and 40
    small = ServingRow.median_of(ServingRow(1000, "topic page", "cold", 900, 0.04),
                                 [(_load(500.0), _load(9000.0))])  # fmt: skip
    assert small.runs == [] and small.p50_ms == 20.0

    results = Results(config, placement="server on CPU 1, wrk on CPU 0")
    results.serving += [small, row]
    scale = results.scale()[0]
    assert scale["ratio"] == 2.2 and scale["ratio_per_cpu"] == 2.0  # 44 / 20, 40 / 20
    table = "\n".join(results.tables())
    assert "0.0450" in table and "0.0400-0.0500" in table
    again = report.from_json(json.loads(results.write(tmp_path).read_text()))
    assert again.tables() == results.tables()
    assert again.serving[1].runs == runs
