"""Closed-loop load with wrk: a fixed number of connections, each sending its next request
as soon as the previous answer arrived, for a fixed time. wrk is C, so on the same machine
it takes little CPU from the servers it measures (its share is reported as `wrk_cpu`).

The request bodies come from a file, one JSON body per line (`bodies.lua` cycles through
them); wrk's summary, latency percentiles and our error counts come back as one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tests.benchmarks.processes import pinned_command

SCRIPT = Path(__file__).with_name("bodies.lua")
MARKER = "WRK-JSON "


class WrkUnavailable(Exception):
    pass


def ensure_wrk() -> str:
    """Path of wrk, installing the Debian package when it is missing and we may."""
    found = shutil.which("wrk")
    if found:
        return found
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if shutil.which("apt-get") is None:
        raise WrkUnavailable("wrk is not installed and there is no apt-get to install it")
    if shutil.which("sudo") and not _is_root():
        install = ["sudo", "-n", *install]
    out = subprocess.run(install, capture_output=True, text=True)
    found = shutil.which("wrk")
    if found is None:
        raise WrkUnavailable(
            "wrk is not installed and `apt-get install -y wrk` failed "
            f"(install it by hand): {out.stderr.strip()[-500:]}"
        )
    return found


def _is_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    req_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    bad_status: int
    graphql_errors: int
    socket_errors: int
    timeouts: int
    wrk_cpu: float  # CPU seconds wrk used per second of wall time (1.0: one whole core)
    # The same for the server (all its threads and workers): below 1.0 for a one-process
    # server means other processes on the machine took some of its CPU during the run.
    server_cpu: float

    @property
    def errors(self) -> int:
        return self.bad_status + self.graphql_errors + self.socket_errors + self.timeouts

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def write_bodies(path: Path, bodies: list[str]) -> Path:
    if any("\n" in body for body in bodies):
        raise ValueError("request bodies must be single-line JSON")
    path.write_text("\n".join(bodies) + "\n", encoding="utf-8")
    return path


def run(url: str, bodies: Path, *, seconds: float, connections: int, threads: int,
        cpus: str | None, server_cpu: Callable[[], float]) -> LoadResult:  # fmt: skip
    """One wrk run; `server_cpu` gives the server's CPU seconds so far."""
    argv = [
        "wrk", f"--threads={threads}", f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s", "--timeout=30s",
        f"--script={SCRIPT}", url, "--", str(bodies),
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server_cpu()
    started = time.perf_counter()
    out = subprocess.run(pinned_command(cpus, argv), capture_output=True, text=True)
    wall = time.perf_counter() - started
    server_used = server_cpu() - server_before
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in out.stdout.splitlines() if line.startswith(MARKER)]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    data = json.loads(lines[-1][len(MARKER) :])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    duration = data["duration_us"] / 1e6
    return LoadResult(
        requests=data["requests"],
        seconds=round(duration, 2),
        req_per_s=round(data["requests"] / duration, 1),
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        bad_status=data["bad_status"],
        graphql_errors=data["graphql_errors"],
        socket_errors=data["socket_errors"],
        timeouts=data["timeouts"],
        wrk_cpu=round(cpu / wall, 2),
        server_cpu=round(server_used / wall, 2),
    )
