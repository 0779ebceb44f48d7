"""Opening databases: schema upgrades rebuild, read-only servers refuse old files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from loaders import db
from loaders.ingest import ingest
from tests.conftest import VALID


def _old_database(path: Path) -> None:
    """A newsgraph database as schema version 1 left it (the parts that matter here)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        f"PRAGMA application_id = {db.APPLICATION_ID}; PRAGMA user_version = 1;"
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('corpus_version', '5');"
        "CREATE TABLE articles (id INTEGER PRIMARY KEY, path TEXT, body TEXT);"
        "INSERT INTO articles VALUES (1, 'a.md', 'old');"
        "CREATE VIRTUAL TABLE old_search USING fts5(body);"
    )
    conn.commit()
    conn.close()


def test_an_older_schema_is_rebuilt_empty_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    conn = db.connect_sync(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "old_search" not in tables and "article_content" in tables
        # Served content changed (to nothing), so the version moves on.
        version = conn.execute("SELECT value FROM meta WHERE key = 'corpus_version'").fetchone()
        assert version[0] == "6"
        assert db.emptied_by_upgrade(conn)
    finally:
        conn.close()


def test_a_server_refuses_an_older_schema_instead_of_misreading_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    with pytest.raises(db.DatabaseError, match=r"older than this newsgraph.*newsgraph ingest"):
        db.connect_sync(path, read_only=True)


async def test_the_next_ingest_refills_and_clears_the_mark(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    report = await ingest(path, [VALID])
    assert report.added and not report.rejected
    conn = db.connect_sync(path)
    try:
        assert not db.emptied_by_upgrade(conn)
    finally:
        conn.close()


async def test_a_schema_that_only_lacks_indexes_is_upgraded_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As version 8 was (9 only added articles_flags); 10 changed a table, so today no
    version qualifies: the previous one stands in."""
    previous = db.SCHEMA_VERSION - 1
    monkeypatch.setattr(db, "ADDS_INDEXES_TO", frozenset({previous}))
    path = tmp_path / "previous.db"
    await ingest(path, [VALID])
    conn = sqlite3.connect(path)
    conn.executescript(f"ANALYZE; DROP INDEX articles_flags; PRAGMA user_version = {previous};")
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    assert articles > 0
    with pytest.raises(db.DatabaseError, match=r"newsgraph ingest.*up to date.*articles are kept"):
        db.connect_sync(path, read_only=True)  # a server cannot add it

    conn = db.connect_sync(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == articles
        assert not db.emptied_by_upgrade(conn)
        stats = conn.execute("SELECT idx FROM sqlite_stat1 WHERE idx = 'articles_flags'")
        assert stats.fetchall() == [("articles_flags",)]  # the planner knows it at once
    finally:
        conn.close()
    report = await ingest(path, [VALID])
    assert report.unchanged == articles and not report.changed


def test_a_new_database_ignores_a_log_left_by_a_deleted_one(tmp_path: Path) -> None:
    """The ordinary way a database is created (an empty file switched to WAL) does not
    read such a log; a first ingest's private build must remove it (test_building)."""
    path = tmp_path / "n.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;"
        "CREATE TABLE articles (id INTEGER PRIMARY KEY); INSERT INTO articles VALUES (1);"
    )
    stale = (tmp_path / "n.db-wal").read_bytes()
    conn.close()
    path.unlink()
    (tmp_path / "n.db-wal").write_bytes(stale)  # left by a crash, then `rm n.db`

    conn = db.connect_sync(path)
    try:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
        assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    finally:
        conn.close()


async def test_paths_with_uri_characters_open_read_only(tmp_path: Path) -> None:
    """Read-only connections open by URI; `#` and `?` in the path are escaped, not read
    as the URI's fragment or query (which once opened, and created, another file)."""
    folder = tmp_path / "odd#dir?x"
    folder.mkdir()
    target = folder / "news#1.db"
    await ingest(target, [VALID])
    conn = db.connect_sync(target, read_only=True)
    try:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM meta")
    finally:
        conn.close()
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "news#1.db"
    ]
    assert not (tmp_path / "odd").exists()
