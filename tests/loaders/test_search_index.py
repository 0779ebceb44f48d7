"""The full-text index follows every ingest exactly (adds, edits, removals)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from loaders.ingest import ingest


def _matches(db_path: Path, word: str) -> set[str]:
    conn = sqlite3.connect(db_path)
    try:
        problems = conn.execute(
            "INSERT INTO article_fts(article_fts, rank) VALUES ('integrity-check', 1)"
        ).fetchall()
        assert problems == []
        return {
            r[0]
            for r in conn.execute(
                "SELECT a.slug FROM article_fts JOIN articles a ON a.id = article_fts.rowid "
                "WHERE article_fts MATCH ?",
                (word,),
            )
        }
    finally:
        conn.close()


def _article(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.md").write_text(
        f"---\ntitle: {name}\npublishedDateTime: 2021-01-01\n---\n{body}\n"
    )


async def test_adds_edits_and_removals_reach_the_index(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    _article(folder, "one", "pelicans glide")
    _article(folder, "two", "pelicans dive")
    db_path = tmp_path / "n.db"
    await ingest(db_path, [folder])
    assert _matches(db_path, "pelicans") == {"one", "two"}
    _article(folder, "one", "herons wade")  # edited: its old words must go
    (folder / "two.md").unlink()  # removed
    _article(folder, "three", "herons and pelicans")  # added
    await ingest(db_path, [folder], rehash=True)
    assert _matches(db_path, "pelicans") == {"three"}
    assert _matches(db_path, "herons") == {"one", "three"}
    assert _matches(db_path, "glide") == set()
