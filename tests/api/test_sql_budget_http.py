"""How a client sees the SQL time budget: a GraphQL error with its code, never a 500."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from loaders.ingest import ingest
from loaders.synthetic import generate_corpus

HEAVY = """{ articles(first: 100) { totalCount nodes { slug topics { name }
  related { article { slug relatedBy(first: 20) { totalCount nodes { slug } } } } } } }"""


def test_an_exhausted_budget_is_a_coded_error(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "corpus", 400, seed=3)
    asyncio.run(ingest(tmp_path / "b.db", [tmp_path / "corpus"]))
    tight = Settings(db=tmp_path / "b.db", sql_time_budget_ms=1, log_level="warning")
    with TestClient(create_app(tight)) as client:
        response = client.post("/graphql", json={"query": HEAVY})
        assert response.status_code == 200
        errors = response.json()["errors"]
        assert {e["extensions"]["code"] for e in errors} == {"SQL_TIME_BUDGET_EXCEEDED"}
        assert "budget of 1 ms" in errors[0]["message"] and "path" in errors[0]
        metrics = client.get("/metrics").text
        assert 'newsgraph_rejections_total{code="SQL_TIME_BUDGET_EXCEEDED"} 1.0' in metrics
        # The next request has a budget of its own.
        small = client.post("/graphql", json={"query": "{ articles(first: 1) { totalCount } }"})
        assert small.json()["data"]["articles"]["totalCount"] == 400
    with TestClient(create_app(tight.with_values(sql_time_budget_ms=5000))) as client:
        assert "errors" not in client.post("/graphql", json={"query": HEAVY}).json()
