"""Subscriptions over a real websocket: an ingest in another process is pushed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from websockets.sync.client import connect

from tests.conftest import REPO, VALID
from tests.e2e.conftest import running_server

SUBSCRIBE = "subscription { corpusUpdated { version lastIngest { added updated removed } } }"


def _ingest(folder: Path, db_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "api.cli", "ingest", str(folder), "--db", str(db_path)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip


def test_corpus_updates_are_pushed_to_subscribers(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(VALID, content)
    db_path = tmp_path / "live.db"
    env = {"NEWSGRAPH_POLL_SECONDS": "0.05"}
    with running_server("--db", str(db_path), "--content", str(content), env=env) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
            ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))

            (content / "fresh.md").write_text(
                "---\ntitle: Fresh\npublishedDateTime: 2030-01-01\n---\n"
            )
            _ingest(content, db_path)
            first = json.loads(ws.recv(timeout=10))
            (content / "fresh.md").unlink()
            _ingest(content, db_path)
            second = json.loads(ws.recv(timeout=10))
    assert first["type"] == "next"
    assert first["payload"]["data"]["corpusUpdated"] == {
        "version": 2, "lastIngest": {"added": 1, "updated": 0, "removed": 0},
    }  # fmt: skip
    assert second["payload"]["data"]["corpusUpdated"]["version"] == 3
    assert second["payload"]["data"]["corpusUpdated"]["lastIngest"]["removed"] == 1
