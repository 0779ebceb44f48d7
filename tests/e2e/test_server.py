"""End to end: HTTP against `newsgraph serve` under uvicorn."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import REPO, SEEDS, VALID
from tests.e2e.conftest import graphql, running_server

FEED = """query ($first: Int) { articles(first: $first) {
  totalCount
  nodes { slug title publishedAt provider { name domain } topics { name } images { url } }
} }"""

SEED_GRAPH = """{ article(slug: "000_621a63ab42db0fb5") {
  title related { title article { slug related { article { slug } } } }
} }"""


def test_bare_serve_fills_an_empty_database_with_the_seeds(seeded_server: str) -> None:
    run = graphql(seeded_server)
    feed = run(FEED, first=100)["data"]["articles"]
    seed_files = [p for p in SEEDS.iterdir() if p.suffix in {".md", ".txt", ".markdown"}]
    assert feed["totalCount"] == len(seed_files) == len(feed["nodes"])
    graph = run(SEED_GRAPH)["data"]["article"]
    assert graph["title"] == "Minneapolis poised to ban facial recognition for police use"
    linked = [r["article"] for r in graph["related"] if r["article"]]
    # seeds/ holds corpus copies of some of the seed's references, each linking back.
    assert linked, "seeds/ should resolve at least one of the seed's related references"
    for article in linked:
        assert {"article": {"slug": "000_621a63ab42db0fb5"}} in article["related"]


def test_get_post_graphiql_and_health(seeded_server: str) -> None:
    query = "{ articles(first: 1) { nodes { slug } } }"
    post = httpx.post(seeded_server + "/graphql", json={"query": query})
    get = httpx.get(seeded_server + "/graphql", params={"query": query})
    assert post.status_code == get.status_code == 200
    assert post.json() == get.json()
    page = httpx.get(seeded_server + "/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert httpx.get(seeded_server + "/healthz").json() == {"status": "ok"}


def test_hostile_requests_leave_the_server_healthy(seeded_server: str) -> None:
    bad = [
        {"content": b"\x00\xff" * 100, "headers": {"content-type": "application/json"}},
        {"json": {"query": "{" * 5000}},
        {"json": {"query": "{ articles(first: 100000) { totalCount } }"}},
        {"json": {"query": '{ article(slug: "x", url: "y") { id } }'}},
        {"json": {"query": '{ articles(after: "\' OR 1=1 --") { totalCount } }'}},
    ]
    for kwargs in bad:
        response = httpx.post(seeded_server + "/graphql", timeout=10, **kwargs)  # type: ignore[arg-type]
        assert 200 <= response.status_code < 500, response.text
        assert "Traceback" not in response.text and "sqlite" not in response.text.lower()
    assert httpx.get(seeded_server + "/healthz").status_code == 200


def test_content_option_ingests_before_serving(tmp_path: Path) -> None:
    with running_server("--db", str(tmp_path / "c.db"), "--content", str(VALID)) as base:
        total = graphql(base)("{ articles { totalCount } }")["data"]["articles"]["totalCount"]
    assert total == len([p for p in VALID.rglob("*") if p.is_file()]) - 1  # minus the plain .txt


def test_environment_variables_configure_serve(tmp_path: Path) -> None:
    env = {"NEWSGRAPH_DB": str(tmp_path / "env.db"), "NEWSGRAPH_CONTENT": str(VALID)}
    with running_server(env=env) as base:
        assert graphql(base)('{ article(slug: "late") { slug } }')["data"]["article"]
    assert (tmp_path / "env.db").exists()


def test_two_workers_serve_the_same_corpus(tmp_path: Path) -> None:
    with running_server("--db", str(tmp_path / "w.db"), "--workers", "2") as base:
        answers = {httpx.post(base + "/graphql", json={"query": FEED}).text for _ in range(20)}
    assert len(answers) == 1


def test_reads_stay_consistent_while_an_ingest_writes(tmp_path: Path) -> None:
    """WAL: every answer during a long ingest shows the old corpus or the new one."""
    from loaders.synthetic import generate_corpus

    corpus = tmp_path / "big"
    generate_corpus(corpus, 3000, seed=7)
    db_path = tmp_path / "live.db"
    with running_server("--db", str(db_path)) as base:
        run = graphql(base)
        before = run("{ articles { totalCount } }")["data"]["articles"]["totalCount"]
        ingest = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "ingest", str(corpus), "--db", str(db_path)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        seen = set()
        while ingest.poll() is None:
            body = run("{ articles(first: 5) { totalCount nodes { slug } } }")
            assert "errors" not in body, body
            seen.add(body["data"]["articles"]["totalCount"])
            time.sleep(0.02)
        assert ingest.returncode == 0
        after = run("{ articles { totalCount } }")["data"]["articles"]["totalCount"]
    assert after == before + 3000
    assert seen <= {before, after}, seen
