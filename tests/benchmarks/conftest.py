"""Fixtures for benchmarks: configuration, cached corpora and databases, wrk, results.

Other benchmarks reuse the cached data like this (all session-scoped):

    @pytest.mark.benchmark
    def test_something(bench_database: Callable[[int], Path]) -> None:
        db_path = bench_database(100_000)  # built once, then cached; open it read-only

`bench_corpus(size)` gives the folder of markdown files, `bench_database_copy(size)` a
private writable copy of the database, and `bench_results` the collector whose tables are
printed at the end of the run and written to benchmark-results/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.benchmarks import corpora
from tests.benchmarks.config import CONFIG, BenchConfig
from tests.benchmarks.processes import Placement
from tests.benchmarks.report import Results
from tests.benchmarks.wrk import WrkUnavailable, ensure_wrk

RESULTS_KEY = pytest.StashKey[Results]()


@pytest.fixture(scope="session")
def bench_config() -> BenchConfig:
    return CONFIG


@pytest.fixture(scope="session")
def bench_corpus(bench_config: BenchConfig) -> Callable[[int], Path]:
    def get(size: int) -> Path:
        return corpora.corpus(size, bench_config.seed, bench_config.cache)

    return get


@pytest.fixture(scope="session")
def bench_database(bench_config: BenchConfig) -> Callable[[int], Path]:
    def get(size: int) -> Path:
        return corpora.database(size, bench_config.seed, bench_config.cache)

    return get


@pytest.fixture
def bench_database_copy(bench_config: BenchConfig, tmp_path: Path) -> Callable[[int], Path]:
    def get(size: int) -> Path:
        return corpora.database_copy(size, bench_config.seed, bench_config.cache, tmp_path)

    return get


@pytest.fixture(scope="session")
def wrk_binary() -> str:
    try:
        return ensure_wrk()
    except WrkUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def bench_results(request: pytest.FixtureRequest, bench_config: BenchConfig) -> Results:
    place = Placement.pinned() if bench_config.pin else Placement.anywhere()
    results = Results(bench_config, placement=place.describe())
    request.config.stash[RESULTS_KEY] = results
    return results


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    results = terminalreporter.config.stash.get(RESULTS_KEY, None)
    if results is None or results.empty():
        return
    path = results.write()
    terminalreporter.section("newsgraph benchmarks")
    for line in results.tables():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"\nwritten to {path} (and latest.json, latest.txt)")
