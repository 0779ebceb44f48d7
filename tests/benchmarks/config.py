"""What a benchmark run measures, from environment variables (pytest options would only be
seen when `tests/benchmarks` is the first path given, environment variables always are).

    BENCH_MODE=quick|full   quick (default): 1,000 articles, 3 s runs, a smoke test that
                            everything works; full: 1,000 and 100,000 articles, 10 s runs,
                            ingest of 100,000 files: the figures for the README.
    BENCH_SIZES=1000,100000,1000000   corpus sizes served (overrides the mode's)
    BENCH_INGEST_SIZE=100000          files for the ingest benchmark (overrides the mode's)
    BENCH_SECONDS=10        length of each measured wrk run
    BENCH_WARMUP=2          length of the warm-up run before each measured one
    BENCH_REPEATS=3         cold runs per shape, each on a fresh server (quick mode: 1); the
                            run with the median ratio is reported, with the others' range
    BENCH_COLD=1000         distinct request bodies per cold shape (fewer when the corpus
                            has fewer distinct pages, topics, words or articles)
    BENCH_CONNECTIONS=16    wrk connections, the same for newsgraph and the baseline
    BENCH_THREADS=1         wrk threads
    BENCH_PIN=1             pin the server and wrk to different CPUs (0: let the OS place)
    BENCH_SEED=1            seed of the synthetic corpora
    BENCH_CACHE=DIR         cache of corpora and databases (default benchmark-results/cache,
                            point several worktrees at one folder to share it)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

RESULTS_DIR = REPO / "benchmark-results"
# 16 connections: a realistic frontend concurrency, and newsgraph's better regime (its rate
# falls with more concurrent requests). The baseline is then not always busy (it waits for
# wrk between bursts), which the reports' "ratio/CPU" corrects for; see the README.
CONNECTIONS = 16
MODES = {
    #        sizes            ingest   seconds warmup cold repeats
    "quick": ((1000,), 1000, 3.0, 1.0, 200, 1),
    "full": ((1000, 100_000), 100_000, 10.0, 2.0, 1000, 3),
}


@dataclass(frozen=True)
class BenchConfig:
    mode: str
    sizes: tuple[int, ...]
    ingest_size: int
    seconds: float
    warmup: float
    cold: int
    repeats: int  # cold runs per shape (see the module docstring)
    connections: int
    threads: int
    pin: bool
    seed: int
    cache: Path

    @property
    def warmup_bodies(self) -> int:
        """Distinct bodies kept apart for warming up, never sent in a measured cold run."""
        return max(10, self.cold // 10)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> BenchConfig:
        env = dict(os.environ) if env is None else env
        mode = env.get("BENCH_MODE", "quick")
        if mode not in MODES:
            raise ValueError(f"BENCH_MODE must be one of {sorted(MODES)}, got {mode!r}")
        sizes, ingest_size, seconds, warmup, cold, repeats = MODES[mode]
        if env.get("BENCH_SIZES"):
            sizes = tuple(int(s) for s in env["BENCH_SIZES"].split(",") if s.strip())
        return cls(
            mode=mode,
            sizes=sizes,
            ingest_size=int(env.get("BENCH_INGEST_SIZE") or ingest_size),
            seconds=float(env.get("BENCH_SECONDS") or seconds),
            warmup=float(env.get("BENCH_WARMUP") or warmup),
            cold=int(env.get("BENCH_COLD") or cold),
            repeats=max(1, int(env.get("BENCH_REPEATS") or repeats)),
            connections=int(env.get("BENCH_CONNECTIONS") or CONNECTIONS),
            threads=int(env.get("BENCH_THREADS") or 1),
            pin=env.get("BENCH_PIN", "1") != "0",
            seed=int(env.get("BENCH_SEED") or 1),
            cache=Path(env.get("BENCH_CACHE") or RESULTS_DIR / "cache"),
        )


CONFIG = BenchConfig.from_env()
