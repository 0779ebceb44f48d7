"""What operators see: health and readiness, Prometheus metrics (also summed over
several workers), and JSON access logs carrying the request id."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import running_server

QUERY = "query Feed { articles(first: 2) { totalCount } }"


def _log_lines(port: str) -> list[dict[str, object]]:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"newsgraph-e2e-{port}.log"
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_health_readiness_and_metrics(tmp_path: Path) -> None:
    with running_server("--db", str(tmp_path / "o.db")) as base:
        assert httpx.get(base + "/healthz").json() == {"status": "ok"}
        ready = httpx.get(base + "/readyz")
        for _ in range(3):
            httpx.post(base + "/graphql", json={"query": QUERY, "operationName": "Feed"})
        httpx.post(base + "/graphql", json={"query": "{ nope }"})
        metrics = httpx.get(base + "/metrics")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "corpusVersion": 1, "databaseVersion": 1}
    text = metrics.text
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'newsgraph_requests_total{operation="Feed",outcome="ok"} 1.0' in text
    assert 'newsgraph_requests_total{operation="Feed",outcome="cache_hit"} 2.0' in text
    assert 'newsgraph_requests_total{operation="anonymous",outcome="request_error"} 1.0' in text
    assert 'newsgraph_response_cache_total{result="hit"} 2.0' in text
    assert "newsgraph_request_duration_seconds_count 4.0" in text
    assert "newsgraph_corpus_version 1.0" in text
    assert 'newsgraph_last_ingest_files{result="added"} 7.0' in text


def test_metrics_add_up_over_workers(tmp_path: Path) -> None:
    with running_server("--db", str(tmp_path / "w.db"), "--workers", "2") as base:
        with httpx.Client() as client:  # new connections spread over both workers
            for _ in range(20):
                client.post(base + "/graphql", json={"query": QUERY},
                            headers={"connection": "close"})  # fmt: skip
        totals = set()
        for _ in range(6):  # whichever worker answers, it reports all of them
            text = httpx.get(base + "/metrics", headers={"connection": "close"}).text
            line = next(x for x in text.splitlines()
                        if x.startswith("newsgraph_request_duration_seconds_count"))  # fmt: skip
            totals.add(line)
    assert totals == {"newsgraph_request_duration_seconds_count 20.0"}


def test_access_log_is_json_with_the_request_id(tmp_path: Path) -> None:
    with running_server("--db", str(tmp_path / "l.db"), "--log-level", "info") as base:
        port = base.rsplit(":", 1)[1]
        response = httpx.post(base + "/graphql", json={"query": QUERY},
                              headers={"x-request-id": "trace-42"})  # fmt: skip
        generated = httpx.post(base + "/graphql", json={"query": "{"}).headers["x-request-id"]
        time.sleep(0.2)
        lines = _log_lines(port)
    assert response.headers["x-request-id"] == "trace-42"
    access = [line for line in lines if line.get("logger") == "newsgraph.access"]
    first = next(line for line in access if line["request_id"] == "trace-42")
    assert first["status"] == 200 and first["operation"] == "Feed" and first["outcome"] == "ok"
    assert first["method"] == "POST" and isinstance(first["duration_ms"], float)
    second = next(line for line in access if line["request_id"] == generated)
    assert second["outcome"] == "request_error"
