"""The full-text index follows every ingest exactly (adds, edits, removals)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from loaders.ingest import ingest
from loaders.search import index as search_index
from loaders.synthetic import generate_corpus


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


async def test_the_index_holds_exactly_the_stored_text(tmp_path: Path) -> None:
    """The ingest hands FTS5 the values of the content rows it writes (not re-read from
    them): FTS5's own check compares the index with article_content, row by row."""
    folder = tmp_path / "c"
    generate_corpus(folder, 120, seed=5)
    _article(folder, "plain", "no excerpt, no provider, no topics")
    db_path = tmp_path / "n.db"
    await ingest(db_path, [folder])
    for path in sorted(folder.rglob("*.md"))[:30]:  # edits replace rows and their terms
        path.write_text(path.read_text().replace("\n---\n", "\n---\nzeppelinic prose.\n", 1))
    await ingest(db_path, [folder])
    assert len(_matches(db_path, "zeppelinic")) == 30
    assert _matches(db_path, "excerpt") == {"plain"}


def _hash_setting(db_path: Path) -> object:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute("SELECT v FROM article_fts_config WHERE k = 'hashsize'").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


async def test_every_ingest_gives_the_index_its_larger_hash(tmp_path: Path) -> None:
    """A database made before the setting (or by anything else) gets it at its next ingest."""
    folder = tmp_path / "c"
    folder.mkdir()
    _article(folder, "one", "pelicans glide")
    db_path = tmp_path / "n.db"
    await ingest(db_path, [folder])
    assert _hash_setting(db_path) == search_index.HASH_BYTES
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("DELETE FROM article_fts_config WHERE k = 'hashsize'")
    conn.close()
    assert _hash_setting(db_path) is None
    await ingest(db_path, [folder])  # nothing changed: still configured
    assert _hash_setting(db_path) == search_index.HASH_BYTES
    assert _matches(db_path, "pelicans") == {"one"}
