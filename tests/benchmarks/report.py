"""Benchmark results: collected during the run, printed as tables and written as JSON.

The targets are issue 6's. They are reported, never asserted: a benchmark fails only on
errors (non-200 answers, GraphQL errors), not on a missed target. Targets are defined at
100,000 articles; rows of other sizes show how they would fare, for orientation.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from tests.benchmarks.config import RESULTS_DIR, BenchConfig
from tests.benchmarks.wrk import LoadResult
from tests.conftest import REPO

TARGET_SIZE = 100_000
SCALE_TARGET = 1.25  # p50 at 100,000 / p50 at 1,000
RSS_TARGET_MB = 300.0
INGEST_TARGET = 0.6  # full ingest files/s / parse-only files/s
REINGEST_TARGET = 0.05  # re-ingest time / full ingest time


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "NO")


@dataclass
class ServingRow:
    size: int
    shape: str
    mode: str  # "hot" | "cold"
    distinct: int  # distinct request bodies in the measured run
    target: float
    newsgraph: LoadResult | None = None
    baseline: LoadResult | None = None
    note: str = ""  # e.g. "n/a (no search field)"
    # Every (newsgraph, baseline) pair measured when the shape ran more than once; the
    # row's own pair is the one with the median ratio (`median_of`).
    runs: list[tuple[LoadResult, LoadResult]] = field(default_factory=list)

    @staticmethod
    def median_of(row: ServingRow, runs: list[tuple[LoadResult, LoadResult]]) -> ServingRow:
        """`row` with the pair of median ratio among `runs` (the lower middle of an even
        count), all of them kept: one run of 10 s on this machine can be 10% off."""
        ranked = sorted(runs, key=lambda pair: _rate_ratio(*pair))
        row.newsgraph, row.baseline = ranked[(len(ranked) - 1) // 2]
        row.runs = list(runs) if len(runs) > 1 else []
        return row

    @property
    def ratio(self) -> float | None:
        if self.newsgraph is None or self.baseline is None or not self.baseline.req_per_s:
            return None
        return _rate_ratio(self.newsgraph, self.baseline)

    @property
    def ratio_range(self) -> tuple[float, float] | None:
        """The lowest and highest ratio over the runs, when there were several."""
        if not self.runs:
            return None
        ratios = [_rate_ratio(*pair) for pair in self.runs]
        return min(ratios), max(ratios)

    @property
    def p50_ms(self) -> float | None:
        """newsgraph's p50: the median over the runs when there were several."""
        return self._median_of_runs(lambda ng: ng.p50_ms)

    @property
    def p50_cpu_ms(self) -> float | None:
        """p50 times the CPU share the server got in its run (the median over the runs):
        about the p50 it would have had with a whole core."""
        return self._median_of_runs(lambda ng: ng.p50_ms * ng.server_cpu)

    def _median_of_runs(self, value: Callable[[LoadResult], float]) -> float | None:
        if self.runs:
            return statistics.median(value(ng) for ng, _ in self.runs)
        return value(self.newsgraph) if self.newsgraph else None

    @property
    def cpu_ratio(self) -> float | None:
        """The ratio of requests per CPU-second: steadier than `ratio` when other processes
        take CPU time from one run and not the other (not what the targets are about)."""
        ng, base = self.newsgraph, self.baseline
        if ng is None or base is None or not (ng.server_cpu and base.server_cpu):
            return None
        return (ng.req_per_s / ng.server_cpu) / (base.req_per_s / base.server_cpu)

    def to_json(self) -> dict[str, Any]:
        ratio, cpu_ratio = self.ratio, self.cpu_ratio
        return {
            "size": self.size, "shape": self.shape, "mode": self.mode,
            "distinct_bodies": self.distinct, "note": self.note,
            "newsgraph": self.newsgraph.to_json() if self.newsgraph else None,
            "baseline": self.baseline.to_json() if self.baseline else None,
            "ratio": round(ratio, 4) if ratio is not None else None,
            "ratio_per_cpu": round(cpu_ratio, 4) if cpu_ratio is not None else None,
            "target": self.target,
            "met": ratio >= self.target if ratio is not None else None,
            "target_applies": self.size == TARGET_SIZE,
            "runs": [{"newsgraph": ng.to_json(), "baseline": base.to_json(),
                      "ratio": round(_rate_ratio(ng, base), 4)} for ng, base in self.runs],
        }  # fmt: skip


def _rate_ratio(newsgraph: LoadResult, baseline: LoadResult) -> float:
    return newsgraph.req_per_s / baseline.req_per_s if baseline.req_per_s else 0.0


@dataclass
class ServerSideRow:
    """One query executed in process (parse, validate, resolve, SQL; no HTTP)."""

    size: int
    group: str  # "query" (issue 3) or "search" (issue 4)
    name: str
    min_ms: float
    median_ms: float
    target_ms: float | None = None

    @property
    def met(self) -> bool | None:
        return None if self.target_ms is None else self.min_ms < self.target_ms


@dataclass
class WorkersRow:
    size: int
    shape: str
    one: LoadResult
    two: LoadResult

    @property
    def ratio(self) -> float:
        return self.two.req_per_s / self.one.req_per_s if self.one.req_per_s else 0.0


@dataclass
class IngestRound:
    """One full ingest into a new database, the no-change re-ingest after it, and the
    parse-only baseline run just before and just after them."""

    full_seconds: float
    reingest_seconds: float
    parse_before: float
    parse_after: float
    full_wall_seconds: float
    reingest_wall_seconds: float
    cores: dict[str, float]  # CPU time / wall time of each step

    @property
    def parse_seconds(self) -> float:
        return (self.parse_before + self.parse_after) / 2

    @property
    def full_vs_parse(self) -> float:
        return self.parse_seconds / self.full_seconds  # = files/s ratio

    @property
    def reingest_share(self) -> float:
        return self.reingest_seconds / self.full_seconds


@dataclass
class IngestResult:
    """Ingest rounds in a row (each baseline run ends one round and starts the next):
    each ratio is one round's, and the reported figure is their median, as a slow minute
    of the machine moves one round's by 0.03-0.1."""

    files: int
    parse_processes: int
    rounds: list[IngestRound]

    def median(self, value: Callable[[IngestRound], float]) -> float:
        return statistics.median(value(r) for r in self.rounds)

    @property
    def full_seconds(self) -> float:
        return self.median(lambda r: r.full_seconds)

    @property
    def reingest_seconds(self) -> float:
        return self.median(lambda r: r.reingest_seconds)

    @property
    def parse_seconds(self) -> float:
        return self.median(lambda r: r.parse_seconds)

    @property
    def full_vs_parse(self) -> float:
        return self.median(lambda r: r.full_vs_parse)

    @property
    def reingest_share(self) -> float:
        return self.median(lambda r: r.reingest_share)

    def cores(self, step: str) -> float:
        return self.median(lambda r: r.cores[step])

    @staticmethod
    def from_json(data: dict[str, Any]) -> IngestResult:
        if "rounds" not in data:  # written before rounds: one round, its baseline's mean
            before, after = data["parse_runs"]
            names = ("full_seconds", "reingest_seconds", "full_wall_seconds",
                     "reingest_wall_seconds", "cores")  # fmt: skip
            data = {**data, "rounds": [{**{k: data[k] for k in names},
                                        "parse_before": before, "parse_after": after}]}  # fmt: skip
        return IngestResult(data["files"], data["parse_processes"],
                            [IngestRound(**r) for r in data["rounds"]])  # fmt: skip


@dataclass
class Results:
    config: BenchConfig
    started: float = field(default_factory=time.time)
    load_at_start: tuple[float, float, float] = field(default_factory=os.getloadavg)
    load_at_end: tuple[float, float, float] | None = None  # set when written
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    placement: str = ""
    serving: list[ServingRow] = field(default_factory=list)
    memory: dict[int, dict[str, float]] = field(default_factory=dict)
    workers: list[WorkersRow] = field(default_factory=list)
    workers_memory: dict[int, dict[str, float]] = field(default_factory=dict)
    ingest: IngestResult | None = None
    server_side: list[ServerSideRow] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.serving or self.workers or self.ingest or self.server_side)

    # --- tables ---------------------------------------------------------------------------

    def tables(self) -> list[str]:
        c = self.config
        end = self.load_at_end or os.getloadavg()
        lines = [
            f"newsgraph benchmarks, {c.mode} mode: wrk with {c.threads} thread(s) and "
            f"{c.connections} connections, {c.seconds:g} s runs after {c.warmup:g} s warm-up",
            f"{self.cpus} CPUs, {self.placement}; load average {self.load_at_start[0]:.2f} "
            f"at the start, {end[0]:.2f} at the end",
            f"targets: issue 6's, defined at {TARGET_SIZE:,} articles",
        ]
        if self.serving:
            lines += ["", *self._serving_table()]
        scale = self._scale_rows()
        if scale:
            lines += ["", *scale]
        if self.memory:
            lines += ["", "memory: server RSS after the runs (VmRSS, peak VmHWM)"]
            for size, rss in sorted(self.memory.items()):
                mb = rss["serving_mb"]
                lines.append(
                    f"  {size:>9,} articles, 1 process: {mb:.0f} MB (peak "
                    f"{rss['process_peak_mb']:.0f} MB), target < {RSS_TARGET_MB:.0f} MB: "
                    f"{_met(mb < RSS_TARGET_MB if size == TARGET_SIZE else None)}"
                )
        if self.workers:
            lines += ["", *self._workers_table()]
        if self.ingest:
            lines += ["", *self._ingest_table(self.ingest)]
        if self.server_side:
            lines += ["", *self._server_side_table()]
        return lines

    def _server_side_table(self) -> list[str]:
        lines = [
            "server-side: one GraphQL execution in process (no HTTP), min and median ms",
            f" {'articles':>9} {'query':58} {'min':>7} {'median':>7} {'target':>7} met",
        ]
        for r in self.server_side:
            target = f"{r.target_ms:7.0f}" if r.target_ms is not None else f"{'':>7}"
            lines.append(
                f" {r.size:>9,} {r.name[:58]:58} {r.min_ms:7.2f} {r.median_ms:7.2f} {target} "
                f"{_met(r.met)}"
            )
        return lines

    def _serving_table(self) -> list[str]:
        head = (
            f"{'articles':>9} {'shape':<15} {'mode':<4} {'bodies':>6} {'req/s':>8} {'p50 ms':>8} "
            f"{'p99 ms':>8} {'CPU':>4} {'base r/s':>9} {'CPU':>4} {'ratio':>7} {'target':>6} met"
            f" {'ratio/CPU':>9} {'runs':>13}"
        )
        out = [
            "serving: newsgraph vs. prepared bytes (same uvicorn, same placement)",
            "page cache: newsgraph's database file is read just before each run (its own "
            "caches start cold)",
            "CPU: cores the server got during its run (below 1.00: other processes took some)",
            "ratio/CPU: ratio of requests per server CPU-second, steadier on a busy machine",
        ]
        if self.config.repeats > 1:
            out.append(
                f"runs: cold shapes ran {self.config.repeats} times, each on a fresh "
                "server; a row is the run of median ratio, then the range of all"
            )
        out.append(head)
        for row in self.serving:
            start = f"{row.size:>9,} {row.shape:<15} {row.mode:<4}"
            if row.newsgraph is None or row.baseline is None:
                out.append(f"{start} {row.note}")
                continue
            ng, ratio = row.newsgraph, row.ratio or 0.0
            out.append(
                f"{start} {row.distinct:>6} {ng.req_per_s:>8.1f} {ng.p50_ms:>8.2f} "
                f"{ng.p99_ms:>8.2f} {ng.server_cpu:>4.2f} {row.baseline.req_per_s:>9.1f} "
                f"{row.baseline.server_cpu:>4.2f} {ratio:>7.4f} "
                f"{row.target:>6.2f} {_met(ratio >= row.target):<3} {row.cpu_ratio or 0:>9.4f}"
                + (f" {spread[0]:.4f}-{spread[1]:.4f}" if (spread := row.ratio_range) else "")
            )
        return out

    def scale(self) -> list[dict[str, Any]]:
        """p50 at each larger size over p50 at the smallest, per shape and mode."""
        sizes = sorted({r.size for r in self.serving if r.newsgraph})
        if len(sizes) < 2:
            return []
        by_key = {(r.size, r.shape, r.mode): r for r in self.serving if r.newsgraph}
        out = []
        for row in self.serving:
            if row.size == sizes[0] or row.newsgraph is None:
                continue
            small = by_key.get((sizes[0], row.shape, row.mode))
            if small is None or small.newsgraph is None:
                continue
            large_ms, small_ms = row.p50_ms, small.p50_ms
            assert large_ms is not None and small_ms is not None
            ratio = large_ms / small_ms
            # Closed loop: p50 is about connections / (req/s), and req/s grows with the CPU
            # share the server got, so p50 * CPU share is the p50 it would have had with a
            # whole core.
            large_cpu, small_cpu = row.p50_cpu_ms, small.p50_cpu_ms
            per_cpu = large_cpu / small_cpu if large_cpu and small_cpu else None
            applies = sizes[0] == 1000 and row.size == TARGET_SIZE
            out.append({
                "shape": row.shape, "mode": row.mode, "small": sizes[0], "large": row.size,
                "p50_small_ms": small_ms, "p50_large_ms": large_ms,
                "ratio": round(ratio, 3), "target": SCALE_TARGET,
                "met": ratio <= SCALE_TARGET if applies else None,
                "ratio_per_cpu": round(per_cpu, 3) if per_cpu else None,
            })  # fmt: skip
        return out

    def _scale_rows(self) -> list[str]:
        rows = self.scale()
        if not rows:
            return []
        out = [
            f"scale: p50 at the larger size / p50 at the smaller (target <= {SCALE_TARGET}); "
            "the median p50 of a shape's runs",
            "per CPU: the same with each p50 multiplied by its run's CPU share",
        ]
        for r in rows:
            out.append(
                f"  {r['shape']:<15} {r['mode']:<4} {r['small']:>7,}: {r['p50_small_ms']:>8.2f} ms"
                f"  {r['large']:>9,}: {r['p50_large_ms']:>8.2f} ms  ratio {r['ratio']:>6.2f}"
                f"  {_met(r['met']):<3}  per CPU {r['ratio_per_cpu'] or 0:>5.2f}"
            )
        return out

    def _workers_table(self) -> list[str]:
        out = [
            "workers: cold req/s with --workers 2 vs. 1, server and wrk unpinned (target > 1)",
            "CPU: cores used by the server(s) and by wrk",
            f"{'articles':>9} {'shape':<15} {'1 worker':>9} {'2 workers':>10} {'ratio':>6} "
            f"{'CPU 1w':>6} {'CPU 2w':>6} {'wrk CPU':>7} met",
        ]
        for w in self.workers:
            out.append(
                f"{w.size:>9,} {w.shape:<15} {w.one.req_per_s:>9.1f} {w.two.req_per_s:>10.1f} "
                f"{w.ratio:>6.2f} {w.one.server_cpu:>6.2f} {w.two.server_cpu:>6.2f} "
                f"{max(w.one.wrk_cpu, w.two.wrk_cpu):>7.2f} "
                f"{_met(w.ratio > 1)}"
            )
        for size, rss in sorted(self.workers_memory.items()):
            out.append(f"  RSS with 2 workers at {size:,} articles: {rss['workers_mb']:.0f} MB "
                       f"(sum of workers) + {rss['process_mb']:.0f} MB supervisor")  # fmt: skip
        return out

    def _ingest_table(self, r: IngestResult) -> list[str]:
        def each(value: Callable[[IngestRound], float], digits: int) -> str:
            return ", ".join(f"{value(one):.{digits}f}" for one in r.rounds)

        def line(name: str, step: str, value: Callable[[IngestRound], float]) -> str:
            seconds = r.median(value)
            return (f"  {name:<22} {seconds:8.2f} s {r.files / seconds:8.0f} files/s "
                    f"{r.cores(step):5.2f} cores  (each round: {each(value, 2)})")  # fmt: skip

        full_vs_parse, reingest_share = r.full_vs_parse, r.reingest_share
        rounds = len(r.rounds)
        return [
            f"ingest of {r.files:,} files, {rounds} round{'s' * (rounds != 1)}, medians "
            "(warm page cache; cores: CPU time / wall time)",
            line("full ingest", "full", lambda one: one.full_seconds),
            line("re-ingest, no change", "reingest", lambda one: one.reingest_seconds),
            line("parse-only baseline", "parse", lambda one: one.parse_seconds),
            f"    ({r.parse_processes} processes, read + CSafeLoader; a round's is the mean of "
            "the runs before and after it)",
            f"  full / parse-only rate: {full_vs_parse:.3f} (each round: "
            f"{each(lambda one: one.full_vs_parse, 3)}) (target >= {INGEST_TARGET}): "
            f"{_met(full_vs_parse >= INGEST_TARGET)}",
            f"  re-ingest / full time:  {reingest_share:.3f} (each round: "
            f"{each(lambda one: one.reingest_share, 3)}) (target < {REINGEST_TARGET}): "
            f"{_met(reingest_share < REINGEST_TARGET)}",
        ]

    # --- JSON -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        ingest = None
        if self.ingest:
            ingest = {**asdict(self.ingest), "full_seconds": self.ingest.full_seconds,
                      "reingest_seconds": self.ingest.reingest_seconds,
                      "parse_seconds": self.ingest.parse_seconds,
                      "full_vs_parse": round(self.ingest.full_vs_parse, 4),
                      "reingest_share": round(self.ingest.reingest_share, 4),
                      "targets": {"full_vs_parse": INGEST_TARGET,
                                  "reingest_share": REINGEST_TARGET}}  # fmt: skip
        return {
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "machine": {
                **_machine(),
                "cpus": self.cpus,
                "load_average_at_start": self.load_at_start,
                "load_average_at_end": self.load_at_end,
            },
            "config": {**asdict(self.config), "cache": str(self.config.cache)},
            "placement": self.placement,
            "serving": [r.to_json() for r in self.serving],
            "server_side": [{**asdict(r), "met": r.met} for r in self.server_side],
            "scale": self.scale(),
            "memory": {str(k): v for k, v in self.memory.items()},
            "memory_target_mb": RSS_TARGET_MB,
            "workers": [
                {
                    "size": w.size,
                    "shape": w.shape,
                    "one": w.one.to_json(),
                    "two": w.two.to_json(),
                    "ratio": round(w.ratio, 3),
                }
                for w in self.workers
            ],
            "workers_memory": {str(k): v for k, v in self.workers_memory.items()},
            "ingest": ingest,
        }

    def write(self, directory: Path = RESULTS_DIR) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        self.load_at_end = os.getloadavg()
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.started))
        path = directory / f"{stamp}-{self.config.mode}.json"
        text = json.dumps(self.to_json(), indent=2) + "\n"
        path.write_text(text)
        (directory / "latest.json").write_text(text)
        (directory / "latest.txt").write_text("\n".join(self.tables()) + "\n")
        return path


def from_json(data: dict[str, Any]) -> Results:
    """A written run, read back (to print its tables again)."""
    # Runs written before repeats existed measured every shape once.
    config = BenchConfig(**{"repeats": 1, **data["config"], "sizes": tuple(data["config"]["sizes"]),
                            "cache": Path(data["config"]["cache"])})  # fmt: skip
    machine = data["machine"]
    results = Results(config, load_at_start=tuple(machine["load_average_at_start"]),
                      load_at_end=tuple(machine["load_average_at_end"]), cpus=machine["cpus"],
                      placement=data["placement"])  # fmt: skip

    def load(value: dict[str, Any] | None) -> LoadResult | None:
        return LoadResult(**value) if value else None

    for r in data["serving"]:
        runs = [(LoadResult(**run["newsgraph"]), LoadResult(**run["baseline"]))
                for run in r.get("runs", [])]  # fmt: skip
        results.serving.append(ServingRow(r["size"], r["shape"], r["mode"], r["distinct_bodies"],
                                          r["target"], load(r["newsgraph"]), load(r["baseline"]),
                                          r["note"], runs))  # fmt: skip
    results.memory = {int(k): v for k, v in data["memory"].items()}
    names = {f.name for f in fields(ServerSideRow)}
    for row in data.get("server_side", []):
        results.server_side.append(ServerSideRow(**{k: v for k, v in row.items() if k in names}))
    for w in data["workers"]:
        results.workers.append(WorkersRow(w["size"], w["shape"], LoadResult(**w["one"]),
                                          LoadResult(**w["two"])))  # fmt: skip
    results.workers_memory = {int(k): v for k, v in data["workers_memory"].items()}
    if data["ingest"]:
        results.ingest = IngestResult.from_json(data["ingest"])
    return results


def main() -> None:
    """python -m tests.benchmarks.report [RUN.json]: print the tables of a written run."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_DIR / "latest.json"
    print("\n".join(from_json(json.loads(path.read_text())).tables()))


def _machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit,
    }


if __name__ == "__main__":
    main()
