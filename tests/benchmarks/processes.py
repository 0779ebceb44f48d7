"""Server processes for benchmarks: newsgraph and the baseline, optionally pinned to CPUs.

CPU placement: on a machine with at least two CPUs the server process (all its threads,
and with `--workers` all its children) runs on the last CPU (`taskset -c N`) and wrk on the
others, so the load generator never takes CPU time from the server it measures and the
newsgraph/baseline ratio compares two servers that had exactly one core each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.e2e.conftest import free_port

STARTUP_SECONDS = 120
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Placement:
    """CPU lists (taskset syntax) for the server and the load generator; None: anywhere."""

    server: str | None
    load: str | None

    @classmethod
    def pinned(cls) -> Placement:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return cls(None, None)
        return cls(str(cpus[-1]), ",".join(str(c) for c in cpus[:-1]))

    @classmethod
    def anywhere(cls) -> Placement:
        return cls(None, None)

    def describe(self) -> str:
        if self.server is None:
            return "unpinned (the OS places server and wrk)"
        return f"server on CPU {self.server}, wrk on CPU {self.load}"


def pinned_command(cpus: str | None, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpus, *argv] if cpus is not None else argv


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]

    @property
    def graphql(self) -> str:
        return self.base + "/graphql"

    def workers(self) -> list[int]:
        """Worker processes of `--workers N`."""
        return spawned_children(self.process.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all threads) and its workers."""
        return sum(_cpu_seconds(pid) for pid in [self.process.pid, *self.workers()])

    def rss_mb(self) -> dict[str, float]:
        """VmRSS (and peak VmHWM) of the server process and of its workers (with
        `--workers N`; the supervisor (api/workers.py) is then the parent and serves nothing)."""
        main = _status(self.process.pid)
        kids = [_status(pid) for pid in self.workers()]
        kids = [k for k in kids if k]
        out = {"process_mb": main.get("VmRSS", 0.0), "process_peak_mb": main.get("VmHWM", 0.0)}
        if kids:
            out["workers_mb"] = sum(k.get("VmRSS", 0.0) for k in kids)
            out["workers_peak_mb"] = sum(k.get("VmHWM", 0.0) for k in kids)
        out["serving_mb"] = out.get("workers_mb", out["process_mb"])
        return out


def spawned_children(parent: int) -> list[int]:
    """Children of `parent` started by multiprocessing's spawn: the workers of
    `--workers N` (their supervisor also starts multiprocessing's resource tracker)."""
    pids: list[int] = []
    for task in Path(f"/proc/{parent}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                pids.append(int(pid))
    return pids


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)"; comm may hold spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS


def _status(pid: int) -> dict[str, float]:
    """Memory lines of /proc/<pid>/status, in MB; empty when the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    out: dict[str, float] = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)  # kB
    return out


@contextmanager
def running(argv: list[str], *, cpus: str | None, log: Path, ready_workers: int = 0,
            ) -> Iterator[Server]:  # fmt: skip
    """Start a server listening on --port (appended here), wait for /healthz, and stop its
    whole process group on exit. `ready_workers`: also wait for that many worker processes."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    log_file = open(log, "wb")  # noqa: SIM115 - closed in finally, after the process
    process = subprocess.Popen(
        pinned_command(cpus, [*argv, "--port", str(port)]),
        cwd=REPO,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        _wait_ready(server, log, ready_workers)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log_file.close()


def _wait_ready(server: Server, log: Path, workers: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text(errors='replace')}")
        try:
            healthy = httpx.get(server.base + "/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            healthy = False
        if healthy and len(server.workers()) >= workers:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"server not ready after {STARTUP_SECONDS} s: {log}")
        time.sleep(0.1)


# Cold requests must be answered by running the query: with a response cache, a cycle
# of distinct bodies repeats within a run and later rounds would be cache hits.
NO_RESPONSE_CACHE = ("--response-cache-mb", "0")


def newsgraph(db_path: Path, *, cpus: str | None, log: Path, workers: int = 1,
              options: tuple[str, ...] = ()) -> AbstractContextManager[Server]:  # fmt: skip
    """`newsgraph serve` as a user starts it (uvicorn with its default httptools/uvloop)."""
    argv = [sys.executable, "-m", "api.cli", "serve", "--db", str(db_path),
            "--host", "127.0.0.1", "--log-level", "warning", "--workers", str(workers),
            *options]  # fmt: skip
    return running(argv, cpus=cpus, log=log, ready_workers=workers if workers > 1 else 0)


def baseline(responses: Path, *, cpus: str | None, log: Path) -> AbstractContextManager[Server]:
    """The prepared-bytes Starlette app of `tests.benchmarks.baseline`."""
    argv = [sys.executable, "-m", "tests.benchmarks.baseline", str(responses)]
    return running(argv, cpus=cpus, log=log)
