"""Hostile search strings through the real HTTP endpoint: hits or a clear error, never a
500, never "Unexpected error.", never an FTS5 or SQLite message."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.e2e.conftest import running_server

SEARCH = """query ($q: String!) { search(query: $q, first: 5) {
  totalCount interpretation edges { score highlights { title body } node { slug } } } }"""

HOSTILE = [
    '"unbalanced quote',
    'heliostat "',
    '"',
    '""',
    '"""',
    "title:heliostat",
    "body: heliostat",
    "heliostat:",
    "{title body}: heliostat",
    "NEAR(heliostat mirrors, 2)",
    "NEAR",
    "heliostat NEAR/2 mirrors",
    "^heliostat",
    "heliostat^",
    "OR",
    "AND",
    "NOT",
    "OR OR OR",
    "heliostat OR",
    "OR heliostat",
    "heliostat AND NOT mirrors",
    "-",
    "-heliostat",
    "- heliostat",
    "*",
    "h*",
    "heliostat*",
    "**heliostat**",
    "(heliostat",
    "heliostat)",
    "[heliostat]",
    "!!! ??? ... ,,,",
    "   ",
    "",
    "\t\n\r",
    "\\",
    "'; DROP TABLE articles; --",
    "<script>alert(1)</script>",
    "%00 heliostat",
    "🙂",
    "画像認識",
    "café OR ölmühle",
    "x" * 10_000,
    "heliostat " * 1000,
    "a" * 1000,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("search-http") / "s.db"
    content = FIXTURES / "search" / "articles"
    with running_server("--db", str(db), "--content", str(content)) as base:
        yield base


def _check(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    text = response.text.lower()
    assert "fts5" not in text and "sqlite" not in text and "traceback" not in text
    body: dict = response.json()
    if body.get("errors"):
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "INVALID_SEARCH", error
        assert error["message"] != "Unexpected error."
    else:
        assert body["data"]["search"]["totalCount"] >= 0
    return body


@pytest.mark.parametrize("q", HOSTILE, ids=lambda q: repr(q[:30]))
def test_hostile_query_gives_hits_or_a_clear_error(server: str, q: str) -> None:
    _check(
        httpx.post(server + "/graphql", json={"query": SEARCH, "variables": {"q": q}}, timeout=30)
    )


def test_hostile_query_over_get_too(server: str) -> None:
    params = {"query": SEARCH, "variables": '{"q": "\\"NEAR( title: ^x"}'}
    body = _check(httpx.get(server + "/graphql", params=params, timeout=30))
    assert body["data"]["search"]["interpretation"] == '"NEAR title x"'


def test_ordinary_queries_find_what_they_should(server: str) -> None:
    def hits(q: str) -> list[str]:
        response = httpx.post(server + "/graphql", json={"query": SEARCH, "variables": {"q": q}})
        return [e["node"]["slug"] for e in _check(response)["data"]["search"]["edges"]]

    assert hits("heliostat")[:2] == ["rank_title", "rank_topic"]
    assert hits("title:heliostat") == []  # a phrase "title heliostat": no column syntax
    assert hits('"unbalanced heliostat') == []
    assert hits("heliostat OR") == []  # trailing OR is the word "or"
    assert hits("^heliostat")[0] == "rank_title"
    body = _check(
        httpx.post(server + "/graphql", json={"query": SEARCH, "variables": {"q": "script"}})
    )
    title = body["data"]["search"]["edges"][0]["highlights"]["title"]
    assert "&lt;<mark>script</mark>&gt;" in title
    assert httpx.get(server + "/healthz").json() == {"status": "ok"}


def test_many_queries_leave_the_server_healthy(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        for q in HOSTILE * 2:
            _check(client.post("/graphql", json={"query": SEARCH, "variables": {"q": q}}))
        assert client.get("/healthz").status_code == 200
