"""Prometheus metrics (prometheus-client), served at /metrics.

With one process each app has its own registry. With `--workers N`, `serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh folder before the workers start; each worker
writes its samples there and /metrics, whichever worker answers, adds up all of
them (prometheus-client's multiprocess mode), so counters and histograms cover the
whole server. The corpus and last-ingest gauges come from the database, which all
workers share, so any worker reports them correctly.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from loaders.watch import CorpusState

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Operation names are chosen by clients: a bounded set keeps label cardinality (and
# memory) bounded whatever they send; later names are counted as "other".
MAX_OPERATION_NAMES = 200
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
INGEST_FIELDS = ("added", "updated", "unchanged", "removed", "rejected")


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def forget_process(pid: int) -> None:
    """Take a worker that ended (cleanly or not) out of the live gauges' sums."""
    if multiprocess():
        prometheus_multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def prepare_multiprocess() -> None:
    """Give the workers about to start a folder to share samples in (emptied first)."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        for stale in Path(folder).glob("*.db"):  # a previous run's samples
            stale.unlink()
        return
    folder = tempfile.mkdtemp(prefix="newsgraph-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    atexit.register(shutil.rmtree, folder, True)


class CorpusCollector(Collector):
    """The corpus version and what the last ingest did, read when scraped."""

    def __init__(self, state: Callable[[], CorpusState | None]) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        state = self.state()
        if state is None:
            return
        yield GaugeMetricFamily(
            "newsgraph_corpus_version", "Corpus version this process serves.", value=state.version
        )
        files = GaugeMetricFamily(
            "newsgraph_last_ingest_files",
            "Files the most recent ingest handled, by result.",
            labels=["result"],
        )
        for name in INGEST_FIELDS:
            value = state.last_ingest.get(name)
            if isinstance(value, int | float):
                files.add_metric([name], value)
        yield files
        seconds = state.last_ingest.get("seconds")
        if isinstance(seconds, int | float):
            yield GaugeMetricFamily(
                "newsgraph_last_ingest_duration_seconds",
                "How long the most recent ingest took.",
                value=seconds,
            )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "newsgraph_requests",
            "GraphQL HTTP requests, by operation name and outcome.",
            ["operation", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "newsgraph_request_duration_seconds",
            "Time to answer a GraphQL HTTP request.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.cache = Counter(
            "newsgraph_response_cache",
            "Response cache lookups and stores, by result (hit, miss, stored, not_modified).",
            ["result"],
            registry=r,
        )
        self.rejections = Counter(
            "newsgraph_rejections",
            "Requests refused by a limit, by error code.",
            ["code"],
            registry=r,
        )
        self.persisted = Counter(
            "newsgraph_persisted_queries",
            "Persisted-query lookups, by result (hit, miss, registered).",
            ["result"],
            registry=r,
        )
        self.cache_bytes = Gauge(
            "newsgraph_response_cache_bytes",
            "Bytes held by the response caches.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.cache_entries = Gauge(
            "newsgraph_response_cache_entries",
            "Responses held by the response caches.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self._corpus: CorpusCollector | None = None
        self._names: set[str] = set()
        self._children: dict[tuple[str, str], Counter] = {}
        self.observe_latency = self.latency.observe

    def watch_corpus(self, state: Callable[[], CorpusState | None]) -> None:
        self._corpus = CorpusCollector(state)
        self.registry.register(self._corpus)

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self._names:
            return name
        if len(self._names) < MAX_OPERATION_NAMES and OPERATION_NAME.fullmatch(name):
            self._names.add(name)
            return name
        return "other"

    def count_request(self, operation: str | None, outcome: str) -> None:
        key = (self.operation_label(operation), outcome)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.requests.labels(*key)
        child.inc()

    def render(self) -> bytes:
        if not multiprocess():
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        if self._corpus is not None:
            registry.register(self._corpus)
        return generate_latest(registry)

    def close(self) -> None:
        """A worker that stops cleanly takes its live gauges out of the sums (the
        supervisor does it for one that dies: api/workers.py)."""
        forget_process(os.getpid())
