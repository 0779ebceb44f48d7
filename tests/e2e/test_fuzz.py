"""Property-based fuzzing of the schema through a real server (hypothesis-graphql):
valid operations and invalid ones never get a 5xx, and every error has a code.

Bounded for the default run: a fixed number of examples, no deadline (a loaded
2-core machine makes per-example timing meaningless), one server for all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from schema.build import sdl
from tests.e2e.conftest import running_server

EXAMPLES = 60
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))  # fmt: skip
SCHEMA = sdl()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with (
        running_server("--db", str(tmp_path_factory.mktemp("fuzz") / "f.db")) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client


def _check(client: httpx.Client, body: Any, accept: str) -> None:
    response = client.post("/graphql", json=body, headers={"accept": accept})
    assert response.status_code < 500, (body, response.text[:500])
    payload = response.json()
    for item in payload if isinstance(payload, list) else [payload]:  # a batch: a list
        for error in item.get("errors", ()):
            assert error["extensions"]["code"], payload
            assert "Traceback" not in error["message"]
    assert client.get("/healthz").status_code == 200


@FUZZ
@given(query=from_schema(SCHEMA, mode=Mode.POSITIVE))
def test_valid_operations_never_fail_the_server(client: httpx.Client, query: str) -> None:
    _check(client, {"query": query}, "application/graphql-response+json")


@FUZZ
@given(query=from_schema(SCHEMA, mode=Mode.NEGATIVE))
def test_invalid_operations_are_refused_with_a_code(client: httpx.Client, query: str) -> None:
    _check(client, {"query": query}, "application/json")


@FUZZ
@given(
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(["query", "variables", "operationName", "extensions"]),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(),
                lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                max_leaves=8,
            ),
        ),
        st.lists(st.dictionaries(st.just("query"), st.text()), max_size=12),
    )
)
def test_arbitrary_json_bodies_are_refused_with_a_code(client: httpx.Client, body: Any) -> None:
    _check(client, body, "application/graphql-response+json")
