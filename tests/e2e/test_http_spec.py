"""GraphQL over HTTP conformance: the `auditServer` of the npm package graphql-http
run against a real `newsgraph serve`.

The package is installed (pinned) into a cache folder the first time; CI reaches
the npm registry. Tests are skipped only where Node itself is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import running_server

GRAPHQL_HTTP = "graphql-http@1.23.1"
GRAPHQL_JS = "graphql@16.11.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsgraph-tests"
AUDIT_SCRIPT = """
const { auditServer } = require('graphql-http');
auditServer({ url: process.argv[1] }).then((results) => {
  console.log(JSON.stringify(results.map((r) => ({
    id: r.id, name: r.name, status: r.status, reason: r.reason || null }))));
}, (error) => { console.error(error); process.exit(1); });
"""


@pytest.fixture(scope="session")
def node_modules() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js is not installed")
    prefix = CACHE / GRAPHQL_HTTP.replace("@", "-")
    modules = prefix / "node_modules"
    if not (modules / "graphql-http" / "package.json").is_file():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             "--loglevel=error", GRAPHQL_HTTP, GRAPHQL_JS],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return modules


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server("--db", str(tmp_path_factory.mktemp("spec") / "spec.db")) as base:
        yield base


def test_every_graphql_over_http_audit_passes(node_modules: Path, server: str) -> None:
    done = subprocess.run(
        ["node", "-e", AUDIT_SCRIPT, server + "/graphql"],
        env={**os.environ, "NODE_PATH": str(node_modules)},
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    results = json.loads(done.stdout)
    by_level: dict[str, list[dict[str, str]]] = {}
    for result in results:
        by_level.setdefault(result["name"].split()[0], []).append(result)
    counts = {level: len(found) for level, found in by_level.items()}
    print(f"\ngraphql-http {GRAPHQL_HTTP}: {counts} audits")
    assert counts["MUST"] >= 10 and counts["SHOULD"] >= 20, counts  # the whole list ran
    failed = [f"{r['id']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert not failed, "\n".join(failed)
