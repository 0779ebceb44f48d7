"""Serving benchmarks of issue 6: the four shapes, hot and cold, against the baseline.

    .venv/bin/python -m pytest tests/benchmarks -m benchmark -s                  # quick
    BENCH_MODE=full .venv/bin/python -m pytest tests/benchmarks -m benchmark -s  # README

For each corpus size a throw-away newsgraph process finds the variables and answers every
request body once (those answers become the baseline's prepared bytes). Then a fresh
newsgraph process and the baseline per size run side by side, pinned to the same CPU, and
wrk (on the other CPU) measures each shape on one and then the other, at one size and then
the next: all cold runs first, so that nothing the hot runs cache can answer them. In full
mode the cold runs are repeated three times, each time on fresh newsgraph processes, and
the run of median ratio is reported with the range of all: the cold targets sit within the
5-10% by which one 10 s run differs from the next on this machine. See `config.py` for the
knobs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.benchmarks import corpora, processes, shapes, wrk
from tests.benchmarks.config import BenchConfig
from tests.benchmarks.processes import Placement, Server
from tests.benchmarks.report import Results, ServingRow, WorkersRow
from tests.benchmarks.shapes import Workload


@dataclass
class Prepared:
    size: int
    db_path: Path
    folder: Path
    workloads: list[Workload]
    responses: Path  # every body → newsgraph's answer, for the baseline

    def bodies(self, workload: Workload, kind: str) -> Path:
        """The bodies file of one kind: "hot", "warmup" or "cold"."""
        return self.folder / f"{workload.shape.key}-{kind}.txt"

    def warmup_for(self, workload: Workload, mode: str) -> Path:
        return self.bodies(workload, "warmup" if mode == "cold" else "hot")


def _prepare(size: int, db_path: Path, folder: Path, config: BenchConfig) -> Prepared:
    # "Cold" means that newsgraph has not seen the request, not that its database is on
    # disk: a cached database written by an earlier run may have left the OS page cache
    # since, and the first pass over a shape's requests would then wait for the disk.
    assert corpora.read_through(db_path) > 0
    with processes.newsgraph(db_path, cpus=None, log=folder / "prepare.log") as server:
        index = shapes.index_corpus(server.graphql)
        workloads = shapes.workloads(
            index, cold=config.cold, warmup=config.warmup_bodies, seed=config.seed
        )
        for workload in workloads:
            if not workload.unavailable:
                shapes.fetch_responses(server.graphql, workload)
    prepared = Prepared(size, db_path, folder, workloads, folder / "responses.json")
    answers: dict[str, str] = {}
    for workload in workloads:
        if workload.unavailable:
            continue
        wrk.write_bodies(prepared.bodies(workload, "hot"), [workload.hot])
        wrk.write_bodies(prepared.bodies(workload, "warmup"), workload.warmup)
        wrk.write_bodies(prepared.bodies(workload, "cold"), workload.cold)
        answers.update(workload.responses)
    prepared.responses.write_text(json.dumps(answers), encoding="utf-8")
    return prepared


@pytest.fixture(scope="session")
def prepared(
    bench_config: BenchConfig,
    bench_database: Callable[[int], Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[int], Prepared]:
    """Workloads per corpus size, prepared once per session (serving and workers share)."""
    done: dict[int, Prepared] = {}

    def get(size: int) -> Prepared:
        if size not in done:
            folder = tmp_path_factory.mktemp(f"serving-{size}")
            done[size] = _prepare(size, bench_database(size), folder, bench_config)
        return done[size]

    return get


def _measure(server: Server, prep: Prepared, workload: Workload, mode: str,
             config: BenchConfig, cpus: str | None) -> wrk.LoadResult:  # fmt: skip
    """A warm-up run, then the measured one.

    Callers read newsgraph's database file just before (`corpora.read_through`): this
    VM pages out file pages left idle for a minute (a DAMON `pageout` scheme, kdamond),
    and a size's database is idle while the other sizes and shapes run, so a cold run
    would start with part of the file on disk, how much depending on timing (topic page
    in process: 2.13 ms per request in the first pass after eviction, 1.05 ms after it).
    Every run starts with the file in the page cache; newsgraph's own caches stay cold.
    """

    def load(bodies: Path, seconds: float) -> wrk.LoadResult:
        return wrk.run(
            server.graphql,
            bodies,
            seconds=seconds,
            connections=config.connections,
            threads=config.threads,
            cpus=cpus,
            server_cpu=server.cpu_seconds,
        )

    load(prep.warmup_for(workload, mode), config.warmup)
    return load(prep.bodies(workload, mode), config.seconds)


def _errors(label: str, result: wrk.LoadResult) -> list[str]:
    if not result.errors:
        return []
    return [f"{label}: {result.bad_status} non-200, {result.graphql_errors} GraphQL errors, "
            f"{result.socket_errors} socket errors, {result.timeouts} timeouts"]  # fmt: skip


Runs = dict[str, list[tuple[wrk.LoadResult, wrk.LoadResult]]]  # shape key → (newsgraph, baseline)


@pytest.mark.benchmark
def test_serving_against_prepared_bytes(
    prepared: Callable[[int], Prepared],
    bench_config: BenchConfig,
    bench_results: Results,
    wrk_binary: str,
) -> None:
    """Every size's servers are alive at once and each shape is measured at one size, then
    the next, so the figures that scale compares were taken within a minute of each other:
    measured a size after another, ten minutes apart, they differed by the machine's drift
    as well (the home feed's scale came out 1.19 and 1.42 in two runs of the same code)."""
    preps = {size: prepared(size) for size in bench_config.sizes}
    place = Placement.pinned() if bench_config.pin else Placement.anywhere()
    errors: list[str] = []
    runs: dict[tuple[int, str], Runs] = {
        (size, mode): {w.shape.key: [] for w in prep.workloads if not w.unavailable}
        for size, prep in preps.items()
        for mode in ("cold", "hot")
    }
    memory: dict[int, list[dict[str, float]]] = {size: [] for size in preps}

    def measure_in_turn(
        servers: dict[int, Server], baselines: dict[int, Server], mode: str
    ) -> None:
        shape_count = len(next(iter(preps.values())).workloads)
        for index in range(shape_count):
            for size, prep in preps.items():
                workload = prep.workloads[index]
                if workload.unavailable:
                    continue
                corpora.read_through(prep.db_path)  # see _measure
                pair = (_measure(servers[size], prep, workload, mode, bench_config, place.load),
                        _measure(baselines[size], prep, workload, mode, bench_config,
                                 place.load))  # fmt: skip
                name = f"{size:,} {workload.shape.name} {mode}"
                errors.extend(_errors(f"newsgraph {name}", pair[0]))
                errors.extend(_errors(f"baseline {name}", pair[1]))
                runs[size, mode][workload.shape.key].append(pair)
        for size, server in servers.items():
            memory[size].append(server.rss_mb())

    def newsgraph_per_size(
        stack: ExitStack, log: str, options: tuple[str, ...]
    ) -> dict[int, Server]:
        return {
            size: stack.enter_context(processes.newsgraph(
                prep.db_path, cpus=place.server, log=prep.folder / log, options=options))
            for size, prep in preps.items()
        }  # fmt: skip

    with ExitStack() as baselines_stack:
        baselines = {
            size: baselines_stack.enter_context(processes.baseline(
                prep.responses, cpus=place.server, log=prep.folder / "baseline.log"))
            for size, prep in preps.items()
        }  # fmt: skip
        # Cold runs first (nothing the hot runs cache can answer them), each repeat on
        # fresh servers that have seen none of the bodies.
        for repeat in range(bench_config.repeats):
            with ExitStack() as fresh:
                uncached = newsgraph_per_size(fresh, f"cold-{repeat}.log",
                                              processes.NO_RESPONSE_CACHE)  # fmt: skip
                measure_in_turn(uncached, baselines, "cold")
        with ExitStack() as cached_stack:
            measure_in_turn(newsgraph_per_size(cached_stack, "newsgraph.log", ()), baselines, "hot")
    for size, prep in preps.items():
        for mode in ("cold", "hot"):
            _record(bench_results, prep, mode, runs[size, mode])
        # The cold servers' memory is the query engine's; the hot one adds its cache.
        bench_results.memory[size] = max(memory[size], key=lambda rss: rss["serving_mb"])
    assert not errors, errors


def _record(results: Results, prep: Prepared, mode: str, runs: Runs) -> None:
    for workload in prep.workloads:
        shape = workload.shape
        target = shape.cold_target if mode == "cold" else shapes.HOT_TARGET
        row = ServingRow(prep.size, shape.name, mode, 0, target, note=workload.unavailable)
        if not workload.unavailable:
            row.distinct = len(workload.cold) if mode == "cold" else 1
            ServingRow.median_of(row, runs[shape.key])
        results.serving.append(row)
        print(f"\n[bench] {json.dumps(row.to_json())}", flush=True)


@pytest.mark.benchmark
def test_workers_two_against_one(
    prepared: Callable[[int], Prepared],
    bench_config: BenchConfig,
    bench_results: Results,
    wrk_binary: str,
) -> None:
    """Cold req/s with `--workers 2` and with 1, at the largest size. Both servers and wrk
    are left to the OS scheduler (two workers need both CPUs), so wrk's own CPU use, which
    this reports, is taken from the same two cores the workers run on."""
    size = max(bench_config.sizes)
    prep = prepared(size)
    measured: dict[int, dict[str, wrk.LoadResult]] = {1: {}, 2: {}}
    errors: list[str] = []
    # Both alive at once, measured in turn per shape, so that load from other processes
    # on the machine drifts less between the two figures of one shape.
    with (
        processes.newsgraph(prep.db_path, cpus=None, log=prep.folder / "workers-1.log",
                            options=processes.NO_RESPONSE_CACHE) as one,
        processes.newsgraph(prep.db_path, cpus=None, log=prep.folder / "workers-2.log",
                            workers=2, options=processes.NO_RESPONSE_CACHE) as two,
    ):  # fmt: skip
        for workload in prep.workloads:
            if workload.unavailable:
                continue
            for workers, server in ((1, one), (2, two)):
                corpora.read_through(prep.db_path)  # see _measure
                result = _measure(server, prep, workload, "cold", bench_config, None)
                errors += _errors(f"{workers} workers {workload.shape.name}", result)
                measured[workers][workload.shape.name] = result
        bench_results.workers_memory[size] = two.rss_mb()
    for name, single in measured[1].items():
        row = WorkersRow(size, name, single, measured[2][name])
        bench_results.workers.append(row)
        print(f"\n[bench] workers {name}: {single.req_per_s} → {row.two.req_per_s} req/s "
              f"({row.ratio:.2f}x)", flush=True)  # fmt: skip
    assert not errors, errors
