"""Hostile requests through a real server: each is refused with the right status and
code within a bounded time, and the server answers normally afterwards.

Run with `-s` to see each request's time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import running_server

SECONDS = 5.0  # each hostile request is answered within this (it takes milliseconds)
GRAPHQL_RESPONSE = "application/graphql-response+json"
ALIASES_1000 = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"
ALIAS_FRAGMENTS = (
    "{ ...F2 } fragment F0 on Query { "
    + " ".join(f"a{i}: __typename" for i in range(5))
    + " } fragment F1 on Query { ...F0 ...F0 ...F0 ...F0 ...F0 }"
    " fragment F2 on Query { ...F1 ...F1 ...F1 ...F1 ...F1 }"
)
NESTED_OVER_BUDGET = """{ topics(first: 100) { nodes { articles(first: 100) { nodes {
  topics { articles(first: 100) { nodes { slug title } } } } } } } }"""
DEEP = "{ articles { nodes { " + "related { article { " * 10 + "slug" + " } }" * 10 + " } } }"


def _post_json(query: str) -> dict[str, Any]:
    return {"json": {"query": query}}


# (name, method, request kwargs, expected status, expected code); bodies are JSON
# and the Accept header is the spec's media type unless the request says otherwise.
CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("deep nesting", "POST", _post_json(DEEP), 400, "QUERY_TOO_DEEP"),
    ("600 levels of braces", "POST", _post_json("{a" * 600 + "}" * 600), 400, "QUERY_TOO_DEEP"),
    ("circular fragments", "POST",
     _post_json("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
     400, "GRAPHQL_VALIDATION_FAILED"),
    ("1,000 aliases (the token limit stops it first)", "POST", _post_json(ALIASES_1000),
     400, "TOO_MANY_TOKENS"),
    ("fragment spreads multiplying aliases", "POST", _post_json(ALIAS_FRAGMENTS),
     400, "TOO_MANY_ALIASES"),
    ("3,000 duplicated fields", "POST", _post_json("{ " + "__typename " * 3000 + "}"),
     400, "TOO_MANY_TOKENS"),
    ("700 duplicated fields", "POST",
     _post_json("{ articles { nodes { " + "slug " * 700 + "} } }"), 200, ""),
    ("directive flood", "POST",
     _post_json("{ __typename" + " @skip(if: false)" * 100 + " }"), 400,
     "TOO_MANY_DIRECTIVES"),
    ("huge first", "POST", _post_json("{ articles(first: 100000) { totalCount } }"),
     200, "PAGE_SIZE_OUT_OF_RANGE"),
    ("nested connections over budget", "POST", _post_json(NESTED_OVER_BUDGET),
     400, "QUERY_TOO_COSTLY"),
    ("5 MB body", "POST",
     {"content": b'{"query": "' + b" " * 5_000_000 + b'{ __typename }"}',
      "headers": {"content-type": "application/json"}}, 413, "REQUEST_TOO_LARGE"),
    ("5 MB body, chunked", "POST",
     {"content": [b'{"query": "'] + [b" " * 65536] * 80 + [b'"}'],  # a list: chunked
      "headers": {"content-type": "application/json"}}, 413, "REQUEST_TOO_LARGE"),
    ("batch of 11", "POST", {"json": [{"query": "{ __typename }"}] * 11}, 400,
     "TOO_MANY_OPERATIONS"),
    ("malformed JSON", "POST",
     {"content": b'{"query": "{ __typename }"', "headers": {"content-type": "application/json"}},
     400, "BAD_REQUEST"),
    ("JSON that is not an object", "POST", {"json": "query"}, 400, "BAD_REQUEST"),
    ("binary body", "POST",
     {"content": b"\x00\xff" * 100, "headers": {"content-type": "application/json"}},
     400, "BAD_REQUEST"),
    ("text/plain body", "POST",
     {"content": b'{"query": "{ __typename }"}', "headers": {"content-type": "text/plain"}},
     415, "UNSUPPORTED_MEDIA_TYPE"),
    ("form body", "POST", {"data": {"query": "{ __typename }"}}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("GET mutation", "GET", {"params": {"query": "mutation { __typename }"}}, 405,
     "METHOD_NOT_ALLOWED"),
    ("GET subscription", "GET",
     {"params": {"query": "subscription { corpusUpdated { version } }"}}, 405,
     "METHOD_NOT_ALLOWED"),
    ("PUT", "PUT", _post_json("{ __typename }"), 405, "METHOD_NOT_ALLOWED"),
    ("Accept: text/plain", "POST",
     {**_post_json("{ __typename }"), "headers": {"accept": "text/plain"}}, 406,
     "NOT_ACCEPTABLE"),
    ("unknown persisted query", "GET",
     {"params": {"extensions": '{"persistedQuery":{"version":1,"sha256Hash":"' + "0" * 64
                 + '"}}'}}, 400, "PERSISTED_QUERY_NOT_FOUND"),
    ("SQL injection in a cursor", "POST",
     _post_json('{ articles(after: "\' OR 1=1 --") { totalCount } }'), 200, "INVALID_CURSOR"),
]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server("--db", str(tmp_path_factory.mktemp("hostile") / "h.db")) as base:
        yield base


def _codes(response: httpx.Response) -> list[str]:
    body = response.json()
    items = body if isinstance(body, list) else [body]
    return [e["extensions"]["code"] for item in items for e in item.get("errors", ())]


@pytest.mark.parametrize(("name", "method", "kwargs", "status", "code"), CASES,
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_hostile_request_is_refused_quickly(
    server: str, name: str, method: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    kwargs = dict(kwargs)
    headers = {"accept": GRAPHQL_RESPONSE, **kwargs.pop("headers", {})}
    started = time.perf_counter()
    response = httpx.request(method, server + "/graphql", headers=headers, timeout=30, **kwargs)
    elapsed = time.perf_counter() - started
    print(f"\n{name}: {response.status_code} in {elapsed * 1000:.1f} ms")
    assert elapsed < SECONDS
    assert response.status_code == status, response.text[:500]
    if code:
        assert code in _codes(response), response.text[:500]
    else:
        assert "errors" not in response.json()
    if status == 400 and response.headers["content-type"].startswith(GRAPHQL_RESPONSE):
        assert "data" not in response.json()  # the spec: a request that did not run
    text = response.text.lower()
    assert "traceback" not in text and "sqlite" not in text and "/work" not in text
    assert httpx.get(server + "/healthz", timeout=5).json() == {"status": "ok"}


def test_server_answers_normally_after_the_hostile_suite(server: str) -> None:
    for _name, method, kwargs, _, _ in CASES:
        headers = kwargs.get("headers", {})
        httpx.request(method, server + "/graphql", timeout=30, headers=headers,
                      **{k: v for k, v in kwargs.items() if k != "headers"})  # fmt: skip
    response = httpx.post(server + "/graphql", json={"query": "{ articles { totalCount } }"})
    assert response.status_code == 200
    assert response.json()["data"]["articles"]["totalCount"] > 0
    assert httpx.get(server + "/readyz").json()["status"] == "ready"


def test_application_json_clients_keep_200_with_data_null(server: str) -> None:
    """Legacy media type: GraphQL errors are 200 with `"data": null`, as before."""
    for query, code in ((DEEP, "QUERY_TOO_DEEP"), ("{", "GRAPHQL_PARSE_FAILED"),
                        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
                        (NESTED_OVER_BUDGET, "QUERY_TOO_COSTLY")):  # fmt: skip
        response = httpx.post(server + "/graphql", json={"query": query})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == code


def test_rejections_are_counted_by_code(server: str) -> None:
    httpx.post(server + "/graphql", json={"query": ALIAS_FRAGMENTS})
    metrics = httpx.get(server + "/metrics").text
    assert 'newsgraph_rejections_total{code="TOO_MANY_ALIASES"}' in metrics
