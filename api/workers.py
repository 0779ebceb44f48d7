"""`serve --workers N`: N server processes, each accepting on a listening socket of its own.

uvicorn's own supervisor binds one socket and lets every worker accept from it. An
event loop that wakes to a readable listening socket accepts every connection waiting
there, so a burst of new connections - a load generator starting, a proxy filling its
pool of keep-alive connections - can all land on whichever worker woke first and stay
there: measured here, 1 of 20 bursts of 16 connections went to a single worker of two,
which then served alone while the other idled. With a socket per worker, all bound to
the same address with SO_REUSEPORT, the kernel deals each new connection to one of the
sockets by a hash of its addresses, whatever the workers are doing.

The supervisor restarts a worker that dies, stops everything when one cannot start
(the app failing at startup would fail the same way in every replacement: uvicorn's
exit code 3, or five quick exits in a row), and on SIGINT or SIGTERM stops the workers
gracefully (uvicorn finishes requests in flight).
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from loaders.files import exit_with_parent

# uvicorn's exit code for a worker that could not start (config.STARTUP_FAILURE).
STARTUP_FAILURE = 3
BACKLOG = 2048  # uvicorn's default
POLL_SECONDS = 0.5
# A worker that ends this soon after it started, this many times in a row, cannot start
# (an app that fails to import exits 1, not uvicorn's 3): stop rather than loop forever.
QUICK_SECONDS = 5.0
QUICK_EXITS = 5
STOP_SECONDS = 30.0  # for requests in flight to finish before workers are killed


def _say(message: str) -> None:
    print(f"newsgraph: {message}", file=sys.stderr, flush=True)


def supported() -> bool:
    """Whether sockets can share a port here (Linux, the BSDs, macOS)."""
    return hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn decides


def claim_port(host: str, port: int) -> int:
    """The port to serve on, checked free: OSError if anything listens on `host:port`,
    including another `--workers` server (its sockets' SO_REUSEPORT would otherwise let
    this one join it and take half its connections). Port 0 picks a free port."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        bound: int = probe.getsockname()[1]
        return bound


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on `host:port` that other sockets of this user may share."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _serve_one(host: str, port: int, uvicorn_options: dict[str, Any]) -> None:
    """A worker process: its own socket, one uvicorn server on it."""
    import uvicorn

    exit_with_parent()  # a supervisor killed with -9 leaves no server behind
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        _say(f"cannot listen on {host}:{port}: {exc.strerror}")
        raise SystemExit(STARTUP_FAILURE) from None
    server = uvicorn.Server(uvicorn.Config(host=host, port=port, **uvicorn_options))
    server.run(sockets=[sock])
    if not server.started:  # the app failed at startup: a replacement would fail alike
        raise SystemExit(STARTUP_FAILURE)


@dataclass
class _Slot:
    """A worker and when it started."""

    process: BaseProcess
    started: float
    quick_exits: int = 0  # in a row, each within QUICK_SECONDS of its start


@dataclass
class Supervisor:
    """Keeps `count` workers serving `host:port` until told to stop."""

    host: str
    port: int
    count: int
    uvicorn_options: dict[str, Any]
    # Called with the pid of every worker that ended, before any replacement starts.
    on_exit: Callable[[int], None] = lambda pid: None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded process

    def _start(self) -> _Slot:
        process = self._context.Process(
            target=_serve_one, args=(self.host, self.port, self.uvicorn_options),
            name="newsgraph-worker",
        )  # fmt: skip
        process.start()
        return _Slot(process, time.monotonic())

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM (0) or until a worker cannot start (3)."""
        stopping = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in stopping}
        slots = [self._start() for _ in range(self.count)]
        status = 0
        try:
            while not self._stop.wait(POLL_SECONDS):
                for index, slot in enumerate(slots):
                    code = slot.process.exitcode
                    if code is None:
                        continue
                    self.on_exit(slot.process.pid or 0)
                    quick = time.monotonic() - slot.started < QUICK_SECONDS
                    quick_exits = slot.quick_exits + 1 if quick else 0
                    if code == STARTUP_FAILURE or quick_exits >= QUICK_EXITS:
                        _say(f"a worker could not start (exit code {code}); stopping")
                        status = STARTUP_FAILURE
                        self._stop.set()
                        break
                    _say(f"worker {slot.process.pid} exited (code {code}); starting another")
                    slots[index] = self._start()
                    slots[index].quick_exits = quick_exits
        finally:
            _stop_all([slot.process for slot in slots])
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return status

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop.set()


def _stop_all(workers: list[BaseProcess]) -> None:
    for worker in workers:
        if worker.exitcode is None:
            worker.terminate()  # SIGTERM: uvicorn's graceful shutdown
    for worker in workers:
        worker.join(STOP_SECONDS)
        if worker.exitcode is None:
            worker.kill()
            worker.join()
