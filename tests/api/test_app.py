"""The ASGI app (routes, lifespan, GraphQL over HTTP) through Starlette's test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings

QUERY = "{ articles(first: 2) { totalCount nodes { slug } } }"


@pytest.fixture
def client(fixture_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=fixture_db))) as client:
        yield client


def test_post_and_get_answer_the_same(client: TestClient) -> None:
    posted = client.post("/graphql", json={"query": QUERY})
    got = client.get("/graphql", params={"query": QUERY})
    assert posted.status_code == got.status_code == 200
    assert posted.json() == got.json()
    assert posted.json()["data"]["articles"]["totalCount"] > 2


def test_browsers_get_graphiql(client: TestClient) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


def test_health_and_home(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    home = client.get("/", follow_redirects=False)
    assert home.status_code in (302, 307) and home.headers["location"] == "/graphql"


def test_malformed_requests_get_4xx_not_5xx(client: TestClient) -> None:
    bad_json = client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert client.put("/graphql", json={"query": QUERY}).status_code == 405
    syntax = client.post("/graphql", json={"query": "{ articles(first: ) }"})
    assert syntax.status_code in (200, 400)
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]


def test_errors_carry_codes_and_no_internals(client: TestClient) -> None:
    body = client.post("/graphql", json={"query": "{ articles(first: 1000) { totalCount } }"})
    error = body.json()["errors"][0]
    assert error["extensions"] == {"code": "PAGE_SIZE_OUT_OF_RANGE"}
    assert "SELECT" not in body.text and "Traceback" not in body.text


def test_depth_and_alias_limits(client: TestClient) -> None:
    deep = "{ articles { nodes { " + "related { article { " * 8 + "slug" + " } }" * 8 + " } } }"
    error = client.post("/graphql", json={"query": deep}).json()["errors"][0]
    assert error["extensions"] == {"code": "QUERY_TOO_DEEP", "depth": 19, "maxDepth": 12}
    assert "19 levels deep; the limit is 12" in error["message"]
    aliases = (
        "{ " + " ".join(f"a{i}: articles(first: 1) {{ totalCount }}" for i in range(60)) + " }"
    )
    error = client.post("/graphql", json={"query": aliases}).json()["errors"][0]
    assert error["extensions"] == {"code": "TOO_MANY_ALIASES", "aliases": 60, "maxAliases": 50}


def test_the_startup_heap_is_frozen_while_serving(fixture_db: Path) -> None:
    """Full collections skip what lives as long as the server (see api/app.py)."""
    import gc

    before = gc.get_freeze_count()
    with TestClient(create_app(Settings(db=fixture_db))) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > before + 10_000
    assert gc.get_freeze_count() == 0  # released at shutdown, so it can be collected
