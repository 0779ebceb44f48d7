"""The GraphQL endpoint's HTTP behaviour through Starlette's test client: negotiation,
exposure switches, CORS, security headers, batches, masking and each limit's code."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.middleware import Front
from api.persisted import AllowList, AllowListError
from api.protocol import GRAPHQL_RESPONSE, JSON, negotiate
from api.settings import Settings

GR = {"accept": GRAPHQL_RESPONSE}


@pytest.fixture
def make(fixture_db: Path) -> Iterator[Any]:
    clients: list[TestClient] = []

    def build(**values: Any) -> TestClient:
        client = TestClient(create_app(Settings(db=fixture_db, log_level="warning", **values)))
        clients.append(client.__enter__())
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        (b"*/*", JSON),
        (b"application/json", JSON),
        (b"application/graphql-response+json", GRAPHQL_RESPONSE),
        (b"application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),
        (b"application/json, application/graphql-response+json;q=0.5", JSON),
        (b"text/html,application/xhtml+xml,*/*;q=0.8", JSON),
    ],
)
def test_content_negotiation(accept: bytes | None, media: str) -> None:
    assert negotiate(accept) == media


def _code(response: Any, index: int = 0) -> str:
    code: str = response.json()["errors"][index]["extensions"]["code"]
    return code


def test_each_limit_has_its_code(make: Any) -> None:
    tokens = make(max_tokens=20).post("/graphql", json={"query": "{ " + "__typename " * 30 + "}"})
    assert _code(tokens) == "TOO_MANY_TOKENS"
    client = make(max_directives=2, max_depth=3, max_aliases=1, max_cost=50,
                  max_page_size=10, max_operations=2, max_body_bytes=600)  # fmt: skip
    post = client.post
    directives = "{ __typename @skip(if: false) @include(if: true) @skip(if: false) }"
    assert _code(post("/graphql", json={"query": directives})) == "TOO_MANY_DIRECTIVES"
    deep = "{ articles { nodes { related { title } } } }"
    assert _code(post("/graphql", json={"query": deep})) == "QUERY_TOO_DEEP"
    assert _code(post("/graphql", json={"query": "{ a: __typename b: __typename }"})) == (
        "TOO_MANY_ALIASES"
    )
    costly = "{ articles(first: 10) { nodes { slug title excerpt publishedAt id } } }"
    assert _code(post("/graphql", json={"query": costly})) == "QUERY_TOO_COSTLY"
    assert _code(post("/graphql", json={"query": "{ articles(first: 11) { totalCount } }"})) == (
        "PAGE_SIZE_OUT_OF_RANGE"
    )
    batch = post("/graphql", json=[{"query": "{ __typename }"}] * 3)
    assert batch.status_code == 400 and _code(batch) == "TOO_MANY_OPERATIONS"
    large = post("/graphql", json={"query": "{ __typename }", "x": "y" * 700})
    assert large.status_code == 413 and _code(large) == "REQUEST_TOO_LARGE"


def test_production_hides_suggestions_development_shows_them(make: Any) -> None:
    query = {"query": "{ articls { totalCount } }"}
    production = make().post("/graphql", json=query).json()["errors"][0]["message"]
    development = make(mode="development").post("/graphql", json=query).json()
    assert "Did you mean" not in production
    assert "Did you mean 'article' or 'articles'?" in development["errors"][0]["message"]


def test_introspection_and_graphiql_can_be_switched_off(make: Any) -> None:
    closed = make(introspection=False, graphiql=False)
    response = closed.post("/graphql", json={"query": "{ __schema { types { name } } }"})
    assert _code(response) == "INTROSPECTION_DISABLED"
    assert closed.post("/graphql", json={"query": "{ __typename }"}).json() == {
        "data": {"__typename": "Query"}
    }
    assert closed.get("/graphql", headers={"accept": "text/html"}).status_code == 404
    assert "graphiql" in make().get("/graphql", headers={"accept": "text/html"}).text.lower()


def test_cors_and_security_headers(make: Any) -> None:
    listed = make(cors_origins=("https://app.example",))
    preflight = listed.options("/graphql", headers={
        "origin": "https://app.example", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})  # fmt: skip
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    stranger = listed.post("/graphql", json={"query": "{ __typename }"},
                           headers={"origin": "https://evil.example"})  # fmt: skip
    assert "access-control-allow-origin" not in stranger.headers
    anyone = make().post("/graphql", json={"query": "{ __typename }"},
                         headers={"origin": "https://any.example"})  # fmt: skip
    assert anyone.headers["access-control-allow-origin"] == "*"
    assert "etag" in anyone.headers["access-control-expose-headers"]
    for response in (anyone, make().get("/healthz")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


def test_batches_and_operation_resolution(make: Any) -> None:
    client = make()
    batch = client.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{"}])
    assert batch.status_code == 200
    first, second = batch.json()
    assert first == {"data": {"__typename": "Query"}}
    assert second["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    two = "query A { __typename } query B { __typename }"
    for body in ({"query": two}, {"query": two, "operationName": "C"}):
        response = client.post("/graphql", json=body, headers=GR)
        assert response.status_code == 400 and _code(response) == "OPERATION_RESOLUTION_FAILURE"
    chosen = client.post("/graphql", json={"query": two, "operationName": "B"})
    assert chosen.json() == {"data": {"__typename": "Query"}}
    subscription = client.post("/graphql", json={
        "query": "subscription { corpusUpdated { version } }"})  # fmt: skip
    assert _code(subscription) == "OPERATION_NOT_SUPPORTED"


def test_variables_that_do_not_fit_are_bad_user_input(make: Any) -> None:
    client = make()
    body = {"query": "query ($n: Int!) { articles(first: $n) { totalCount } }",
            "variables": {"n": "ten"}}  # fmt: skip
    legacy = client.post("/graphql", json=body)
    spec = client.post("/graphql", json=body, headers=GR)
    assert legacy.status_code == 200 and legacy.json()["data"] is None
    assert spec.status_code == 400 and "data" not in spec.json()
    assert _code(legacy) == _code(spec) == "BAD_USER_INPUT"


def test_unexpected_errors_are_masked_and_logged_with_the_request_id(
    make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = make()
    broken = client.post("/graphql", json={"query": "{ articles(first: 1) { totalCount } }"})
    assert broken.status_code == 200  # sanity: works before breaking it
    logging.getLogger("newsgraph").propagate = True
    try:
        with caplog.at_level(logging.ERROR, logger="newsgraph.errors"):
            # A query the cache has not seen, against a database file that is gone.
            query = "{ articles(first: 3) { nodes { slug } } }"
            response = _break_and_query(client, query)
    finally:
        logging.getLogger("newsgraph").propagate = False
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "sqlite" not in response.text.lower() and "Traceback" not in response.text
    request_id = response.headers["x-request-id"]
    assert any(getattr(r, "request_id", None) == request_id for r in caplog.records)


def _break_and_query(client: TestClient, query: str) -> Any:
    """Close the app's database connections under it, then ask something new."""
    front = client.app
    assert isinstance(front, Front)
    state = front.graphql_http.executor.state  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(state.reader.close)
    return client.post("/graphql", json={"query": query})


def test_allow_list_files_are_checked(tmp_path: Path) -> None:
    relay = tmp_path / "relay.json"
    relay.write_text('{"abc": "{ __typename }"}')
    assert AllowList.load(relay).by_id["abc"][0] == "{ __typename }"
    for text, message in (("[]", "must be a JSON object"), ("{", "is not JSON"),
                          ('{"a": 1}', "entry 1 needs")):  # fmt: skip
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(AllowListError, match=message):
            AllowList.load(tmp_path / "bad.json")
