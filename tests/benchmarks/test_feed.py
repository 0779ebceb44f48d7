"""Serving rate of the home feed: 20 newest articles with provider, topics and images.

Run on demand: `.venv/bin/python -m pytest tests/benchmarks -m benchmark -s`.
Prints req/s, p50 and p99 for newsgraph and, in the same run, for a baseline Starlette
route under uvicorn that returns the same response bytes prepared in advance; the ratio is
the figure to compare between machines. Issue #6 extends this to more shapes and sizes.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from loaders.ingest import ingest
from loaders.synthetic import generate_corpus
from tests.conftest import REPO
from tests.e2e.conftest import free_port, running_server

FEED = """{ articles(first: 20) { edges { cursor node {
  slug title excerpt publishedAt
  provider { name domain } topics { name } images { url width height } } } } }"""
SECONDS = 10
ARTICLES = 1000


def _load(url: str, body: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.load", url, body, "--seconds", str(SECONDS)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout)
    return result


BASELINE_APP = """
import sys
import time
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
BODY = open(sys.argv[1], "rb").read()
async def answer(request):
    await request.body()
    return Response(BODY, media_type="application/json")
app = Starlette(routes=[Route("/graphql", answer, methods=["POST"])])
import uvicorn
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


@pytest.mark.benchmark
def test_feed_rate_against_prepared_bytes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, ARTICLES, seed=1)
    db_path = tmp_path / "bench.db"
    asyncio.run(ingest(db_path, [corpus]))
    body = json.dumps({"query": FEED})
    with running_server("--db", str(db_path)) as base:
        prepared = httpx.post(base + "/graphql", content=body,
                              headers={"content-type": "application/json"}).content  # fmt: skip
        served = _load(base + "/graphql", body)
    (tmp_path / "feed.json").write_bytes(prepared)
    port = free_port()
    baseline_proc = subprocess.Popen(
        [sys.executable, "-c", BASELINE_APP, str(tmp_path / "feed.json"), str(port)]
    )
    try:
        for _ in range(100):
            try:
                httpx.post(f"http://127.0.0.1:{port}/graphql", content=body)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        baseline = _load(f"http://127.0.0.1:{port}/graphql", body)
    finally:
        baseline_proc.terminate()
        baseline_proc.wait()
    ratio = served["req_per_s"] / baseline["req_per_s"]
    print(f"\nhome feed, {ARTICLES} articles, 1 process, 16 connections, {SECONDS} s each")
    print(f"  newsgraph: {served}")
    print(f"  baseline:  {baseline}")
    print(f"  ratio:     {ratio:.3f}")
    assert served["errors"] == 0 and baseline["errors"] == 0
