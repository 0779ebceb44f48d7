"""HTTP caching through a real server: ETags, 304s, Cache-Control, compression, the
response cache and its invalidation by an ingest, and persisted queries over GET."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REPO, VALID
from tests.e2e.conftest import running_server

FEED = "query Feed($n: Int) { articles(first: $n) { totalCount nodes { slug title } } }"


def _ingest(folder: Path, db_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "api.cli", "ingest", str(folder), "--db", str(db_path)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip


def _get(base: str, **headers: str) -> httpx.Response:
    params = {"query": FEED, "variables": json.dumps({"n": 5}), "operationName": "Feed"}
    return httpx.get(base + "/graphql", params=params, headers=headers, timeout=30)


def test_etag_304_cache_control_and_the_response_cache(tmp_path: Path) -> None:
    with running_server("--db", str(tmp_path / "c.db"), "--cache-max-age", "120") as base:
        first, second = _get(base), _get(base)
        assert first.headers["x-cache"] == "MISS" and second.headers["x-cache"] == "HIT"
        assert first.content == second.content
        etag = first.headers["etag"]
        assert etag == second.headers["etag"] and etag.startswith('W/"')
        assert first.headers["cache-control"] == "public, max-age=120"
        assert "Accept" in first.headers["vary"]
        not_modified = _get(base, **{"if-none-match": etag})
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert not_modified.headers["etag"] == etag
        # The same operation over POST, with the variables' keys in another order
        # and the body formatted differently, has the same ETag.
        body = json.dumps({"variables": {"n": 5}, "operationName": "Feed", "query": FEED},
                          indent=2)  # fmt: skip
        posted = httpx.post(base + "/graphql", content=body,
                            headers={"content-type": "application/json"})  # fmt: skip
        assert posted.headers["etag"] == etag and posted.headers["x-cache"] == "HIT"
        assert posted.headers["cache-control"] == "no-cache"
        errors = httpx.post(base + "/graphql", json={"query": "{ nope }"})
        assert "etag" not in errors.headers and errors.headers["cache-control"] == "no-store"


def test_an_ingest_empties_the_cache_and_changes_the_etag(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(VALID, content)
    db_path = tmp_path / "live.db"
    with running_server("--db", str(db_path), "--content", str(content)) as base:
        before = _get(base)
        assert _get(base).headers["x-cache"] == "HIT"
        (content / "fresh.md").write_text("---\ntitle: Fresh\npublishedDateTime: 2031-01-01\n---\n")
        _ingest(content, db_path)
        after = _get(base)  # the very next request sees the new corpus
        metrics = httpx.get(base + "/metrics").text
    assert after.headers["x-cache"] == "MISS"
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json()["data"]["articles"]["nodes"][0]["slug"] == "fresh"
    assert (
        before.json()["data"]["articles"]["totalCount"] + 1
        == (after.json()["data"]["articles"]["totalCount"])
    )
    assert "newsgraph_response_cache_entries 1.0" in metrics  # only the new answer


def test_etags_are_the_same_in_every_process_and_replica(tmp_path: Path) -> None:
    db_path = tmp_path / "shared.db"
    with (
        running_server("--db", str(db_path), "--workers", "2") as one,
        running_server("--db", str(db_path)) as other,
    ):
        tags = {_get(base).headers["etag"] for base in (one, other) for _ in range(6)}
    assert len(tags) == 1


def test_large_responses_are_gzipped_when_accepted(tmp_path: Path) -> None:
    query = "{ articles(first: 100) { nodes { slug title excerpt publishedAt } } }"
    with running_server("--db", str(tmp_path / "g.db")) as base:
        url = base + "/graphql"
        plain = httpx.post(url, json={"query": query}, headers={"accept-encoding": "identity"})
        packed = httpx.post(url, json={"query": query}, headers={"accept-encoding": "gzip"})
        small = httpx.post(url, json={"query": "{ __typename }"},
                           headers={"accept-encoding": "gzip"})  # fmt: skip
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < len(plain.content)
    assert packed.json() == plain.json()  # httpx decodes it
    assert "content-encoding" not in small.headers
    assert gzip.decompress(gzip.compress(plain.content)) == plain.content


def test_automatic_persisted_queries_over_get(tmp_path: Path) -> None:
    """Apollo's protocol: hash only → PersistedQueryNotFound; query + hash registers;
    then the hash alone runs it, over GET, cacheable by a CDN."""
    digest = hashlib.sha256(FEED.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    params = {"extensions": extensions, "variables": '{"n": 2}'}
    with running_server("--db", str(tmp_path / "p.db")) as base:
        url = base + "/graphql"
        missing = httpx.get(url, params=params)
        registered = httpx.post(url, json={"query": FEED, "variables": {"n": 2},
                                           "extensions": json.loads(extensions)})  # fmt: skip
        by_hash = httpx.get(url, params=params)
        wrong = httpx.post(url, json={"query": "{ __typename }",
                                      "extensions": json.loads(extensions)})  # fmt: skip
    assert missing.status_code == 200
    assert missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert registered.status_code == by_hash.status_code == 200
    assert by_hash.json() == registered.json()
    assert by_hash.headers["cache-control"].startswith("public")
    assert by_hash.headers["etag"] == registered.headers["etag"]
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


def test_allow_list_mode_runs_only_registered_documents(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    digest = hashlib.sha256(FEED.encode()).hexdigest()
    manifest.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                                    "operations": [{"id": digest, "name": "Feed",
                                                    "type": "query", "body": FEED}]}))  # fmt: skip
    with running_server("--db", str(tmp_path / "a.db"), "--allow-list", str(manifest)) as base:
        url = base + "/graphql"
        by_id = httpx.post(url, json={"variables": {"n": 1}, "extensions": {
            "persistedQuery": {"version": 1, "sha256Hash": digest}}})  # fmt: skip
        by_text = httpx.post(url, json={"query": FEED, "variables": {"n": 1}})
        other = httpx.post(url, json={"query": "{ __typename }"})
    assert by_id.json()["data"]["articles"]["nodes"][0]["slug"]
    assert by_text.json() == by_id.json()
    assert other.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"


def _card(title: str, date: str, topic: str, provider: str) -> str:
    return (
        f"---\ntitle: {title}\npublishedDateTime: {date}\ntopics: [{topic}]\n"
        f"provider:\n  name: {provider}\n  domain: shared.test\n---\n"
    )


def test_providers_and_topics_kept_across_requests_follow_an_ingest(tmp_path: Path) -> None:
    """The store of providers and topics (loaders/shared.py) serves no row of an older
    corpus: names and counts change with the first request after the ingest."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "one.md").write_text(_card("One", "2030-01-01", "Kept Topic", "Old Name"))
    db_path = tmp_path / "kept.db"
    _ingest(content, db_path)
    query = """{ topic(slug: "kept-topic") { name articleCount }
      articles(first: 5) { nodes { provider { name articleCount } topics { name } } } }"""
    with running_server("--db", str(db_path), "--response-cache-mb", "0") as base:

        def ask() -> dict[str, Any]:
            reply = httpx.post(base + "/graphql", json={"query": query}, timeout=30)
            data: dict[str, Any] = reply.json()["data"]
            return data

        before = ask()
        assert ask() == before  # answered from the kept rows, the same
        (content / "two.md").write_text(_card("Two", "2031-01-01", "KEPT topic", "New Name"))
        _ingest(content, db_path)
        after = ask()
    assert before["topic"] == {"name": "Kept Topic", "articleCount": 1}
    assert after["topic"] == {"name": "KEPT topic", "articleCount": 2}
    providers = [n["provider"] for n in after["articles"]["nodes"]]
    assert providers == [{"name": "New Name", "articleCount": 2}] * 2
    assert [n["topics"] for n in after["articles"]["nodes"]] == [[{"name": "KEPT topic"}]] * 2
