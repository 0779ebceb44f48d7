"""`serve --workers N`: a listening socket per worker, connections dealt by the kernel,
dead workers replaced, a taken port refused. Sockets are read from /proc (Linux)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from api.workers import QUICK_EXITS, STARTUP_FAILURE, Supervisor
from tests.benchmarks.processes import spawned_children
from tests.conftest import REPO
from tests.e2e.conftest import free_port, serving

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc")

LISTEN, ESTABLISHED = "0A", "01"  # socket states as /proc/net/tcp writes them
WAIT_SECONDS = 30


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def _socket_inodes(port: int, state: str) -> set[str]:
    """Inodes of this machine's TCP sockets whose local port is `port`, in `state`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def _sockets_per_process(pids: list[int], port: int, state: str) -> dict[int, int]:
    """How many of those sockets each process holds."""
    inodes = _socket_inodes(port, state)
    held = {}
    for pid in pids:
        count = 0
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                count += 1
        held[pid] = count
    return held


def _listeners(supervisor: int, port: int) -> dict[int, int]:
    """{worker pid: its listening sockets on `port`} for the supervisor's workers that
    listen; the supervisor itself is included (it must hold none)."""
    held = _sockets_per_process([supervisor, *spawned_children(supervisor)], port, LISTEN)
    return {pid: n for pid, n in held.items() if n or pid == supervisor}


def _workers(supervisor: int, port: int) -> list[int]:
    """The supervisor's workers that listen on `port`."""
    return [pid for pid in _listeners(supervisor, port) if pid != supervisor]


def _wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@contextmanager
def _two_workers(tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    args = ("--db", str(tmp_path / "w.db"), "--workers", "2")
    with serving(*args, env=env) as (base, process):
        port = _port(base)
        _wait_for(lambda: len(_listeners(process.pid, port)) == 3, "both workers to listen")
        yield base, process.pid


def test_each_worker_listens_on_a_socket_of_its_own(tmp_path: Path) -> None:
    with _two_workers(tmp_path) as (base, supervisor):
        listeners = _listeners(supervisor, _port(base))
    assert listeners.pop(supervisor) == 0  # the supervisor accepts nothing itself
    assert sorted(listeners.values()) == [1, 1]


def test_bursts_of_connections_reach_both_workers(tmp_path: Path) -> None:
    """Sixteen connections opened at once, five times: each worker gets some of every
    burst. (With one shared socket, one worker took all sixteen in 1 burst of 20.) The
    kernel hashes each connection to a socket; all sixteen on one of two: p = 2^-15."""
    with _two_workers(tmp_path) as (base, supervisor):
        port = _port(base)
        workers = _workers(supervisor, port)
        for _ in range(5):
            with ExitStack() as stack:
                clients = [stack.enter_context(httpx.Client()) for _ in range(16)]
                for client in clients:  # a request on each: accepted, kept alive
                    assert client.get(base + "/healthz").status_code == 200
                held = _sockets_per_process(workers, port, ESTABLISHED)
            assert sum(held.values()) == 16, held
            assert min(held.values()) > 0, held


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    with _two_workers(tmp_path) as (base, supervisor):
        port = _port(base)
        victim = _workers(supervisor, port)[0]
        os.kill(victim, signal.SIGKILL)
        _wait_for(
            lambda: (
                len(_listeners(supervisor, port)) == 3
                and victim not in _listeners(supervisor, port)
            ),
            "a replacement worker",
        )
        answers = [httpx.get(base + "/healthz", headers={"connection": "close"})
                   for _ in range(10)]  # fmt: skip
    assert {a.status_code for a in answers} == {200}


def test_a_taken_port_is_refused_and_the_running_server_keeps_it(tmp_path: Path) -> None:
    """A second `--workers` server on the same port would otherwise join the first
    one's sockets (same user, SO_REUSEPORT) and take half its connections."""
    with _two_workers(tmp_path) as (base, supervisor):
        port = _port(base)
        second = subprocess.run(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--host",
             "127.0.0.1", "--db", str(tmp_path / "w.db"), "--workers", "2"],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        listeners = _listeners(supervisor, port)
    assert second.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in second.stderr
    assert len(listeners) == 3 and listeners[supervisor] == 0


def test_workers_end_with_a_supervisor_killed_outright(tmp_path: Path) -> None:
    with _two_workers(tmp_path) as (base, supervisor):
        port = _port(base)
        workers = _workers(supervisor, port)
        os.kill(supervisor, signal.SIGKILL)

        def gone() -> bool:
            return not any(Path(f"/proc/{pid}").exists() for pid in workers)

        _wait_for(gone, "the workers to exit")
        with socket.socket() as probe:  # nothing listens there any more
            assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_dead_workers_live_gauges_leave_the_sums(tmp_path: Path) -> None:
    """Live gauges (the response cache's size) are summed over the workers' sample files;
    those of a worker killed outright would count on forever unless the supervisor drops
    them, as a worker that stops cleanly does itself."""
    samples = tmp_path / "metrics"
    samples.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(samples)}
    with _two_workers(tmp_path, env) as (base, supervisor):
        port = _port(base)
        for _ in range(10):  # over new connections: both workers fill their caches
            httpx.post(base + "/graphql", json={"query": "{ articles(first: 1) { totalCount } }"},
                       headers={"connection": "close"})  # fmt: skip
        victim = _workers(supervisor, port)[0]
        _wait_for(lambda: any(samples.glob(f"gauge_live*_{victim}.db")), "the victim's gauges")
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: not any(samples.glob(f"gauge_live*_{victim}.db")), "them to go")
        survivors = _workers(supervisor, port)
    assert victim not in survivors


@pytest.mark.parametrize(
    ("app", "factory", "quick_exits"),
    [
        ("tests.e2e.no_such_module:app", False, 1),  # uvicorn's exit code 3 at once
        ("tests.e2e.failing_apps:failing_startup", False, 1),  # startup fails: 3 too
        ("tests.e2e.failing_apps:crashing_factory", True, QUICK_EXITS),  # exit code 1, again
    ],
)
def test_workers_that_cannot_start_stop_the_supervisor(
    app: str, factory: bool, quick_exits: int
) -> None:
    """No restarting forever: a worker that exits with uvicorn's "could not start" code,
    or exits within seconds of starting five times in a row, stops the supervisor."""
    ended: list[int] = []
    options = {"app": app, "factory": factory, "log_level": "critical", "lifespan": "on"}
    supervisor = Supervisor("127.0.0.1", free_port(), 2, options, on_exit=ended.append)
    started = time.monotonic()
    assert supervisor.run() == STARTUP_FAILURE
    assert time.monotonic() - started < 60
    assert len(ended) >= quick_exits and len(set(ended)) == len(ended)
    assert not any(Path(f"/proc/{pid}").exists() for pid in ended)  # ended and reaped
