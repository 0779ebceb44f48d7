"""The ingest pipeline against a temporary SQLite file."""

from __future__ import annotations

import gc
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from loaders import db
from loaders import ingest as ingest_module
from loaders.ingest import IngestError, ingest
from tests.conftest import INVALID, VALID
from tests.snapshot import snapshot


def targets(db_path: Path, path: str) -> list[str | None]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT t.path FROM related r JOIN articles a ON a.id = r.article_id "
            "LEFT JOIN articles t ON t.id = r.target_id WHERE a.path = ? ORDER BY r.position",
            (path,),
        )
        return [r[0] for r in rows]
    finally:
        conn.close()


async def test_fixture_folder_matches_expectations(
    tmp_path: Path, expected: dict[str, Any]
) -> None:
    db_path = tmp_path / "n.db"
    report = await ingest(db_path, [VALID])
    assert report.rejected == []
    assert sorted(report.added) == sorted(expected["valid"])
    assert report.ignored == len(expected["ignored"])
    conn = sqlite3.connect(db_path)
    for rel, want in expected["valid"].items():
        slug, title, published_at, domain = conn.execute(
            "SELECT a.slug, c.title, c.published_at, p.domain FROM articles a "
            "JOIN article_content c ON c.id = a.id "
            "LEFT JOIN providers p ON p.id = a.provider_id WHERE a.path = ?",
            (rel,),
        ).fetchone()
        assert (slug, title, published_at, domain) == (
            want["slug"],
            want["title"],
            want["publishedAt"],
            want["provider_domain"],
        ), rel
        topics = [r[0] for r in conn.execute(
            "SELECT name FROM article_topics at JOIN articles a ON a.id = at.article_id "
            "WHERE a.path = ? ORDER BY position", (rel,))]  # fmt: skip
        assert topics == want["topics"], rel
        assert targets(db_path, rel) == want["related_targets"], rel
    conn.close()


async def test_second_run_changes_nothing(fixture_db: Path) -> None:
    before = snapshot(fixture_db)
    report = await ingest(fixture_db, [VALID])
    assert (report.added, report.updated, report.removed) == ([], [], [])
    assert report.unchanged == len(before["articles"])
    assert report.corpus_version == 1
    assert snapshot(fixture_db) == before


async def test_edit_add_remove_are_applied_in_place(tmp_path: Path, content: Path) -> None:
    db_path = tmp_path / "n.db"
    await ingest(db_path, [content])
    conn = sqlite3.connect(db_path)
    old_id = conn.execute("SELECT id FROM articles WHERE path = 'late.md'").fetchone()[0]

    late = content / "late.md"
    late.write_text(late.read_text().replace("title:", "title: Edited", 1))
    (content / "new.md").write_text("---\ntitle: New\npublishedDateTime: 2022-01-01\n---\n")
    (content / "cycle_b.md").unlink()
    report = await ingest(db_path, [content])

    assert (report.added, report.updated, report.removed) == (
        ["new.md"],
        ["late.md"],
        ["cycle_b.md"],
    )
    assert report.corpus_version == 2
    row = conn.execute(
        "SELECT a.id, c.title FROM articles a JOIN article_content c ON c.id = a.id "
        "WHERE a.path = 'late.md'"
    ).fetchone()
    assert row[0] == old_id and row[1].startswith("Edited")
    # The reference that pointed at the removed article now points nowhere.
    assert targets(db_path, "cycle_a.md") == [None]
    # ...and the edited article is still the target of early.md.
    assert targets(db_path, "early.md")[0] == "late.md"
    conn.close()


async def test_resolution_does_not_depend_on_arrival_order(tmp_path: Path, content: Path) -> None:
    together = tmp_path / "together.db"
    await ingest(together, [content])

    # The referencing article first, its target in a later run.
    staged = tmp_path / "staged"
    staged.mkdir()
    stepwise = tmp_path / "stepwise.db"
    shutil.copy(content / "early.md", staged / "early.md")
    await ingest(stepwise, [staged])
    assert targets(stepwise, "early.md") == [None, None, None]
    for path in sorted(content.rglob("*")):
        if path.is_file():
            dest = staged / path.relative_to(content)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest)
    await ingest(stepwise, [staged])
    snap_a, snap_b = snapshot(together), snapshot(stepwise)
    assert snap_a == snap_b


async def test_removed_target_unlinks_and_returns(tmp_path: Path, content: Path) -> None:
    db_path = tmp_path / "n.db"
    await ingest(db_path, [content])
    saved = (content / "late.md").read_bytes()
    (content / "late.md").unlink()
    await ingest(db_path, [content])
    assert targets(db_path, "early.md")[0] is None
    (content / "late.md").write_bytes(saved)
    await ingest(db_path, [content])
    assert targets(db_path, "early.md")[0] == "late.md"


async def test_bad_files_are_reported_and_good_ones_stored(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(INVALID, mixed / "bad")
    shutil.copy(VALID / "minimal.md", mixed / "minimal.md")
    report = await ingest(tmp_path / "n.db", [mixed])
    assert report.added == ["minimal.md"]
    rejected = {Path(r.path).name: r.reason for r in report.rejected}
    assert set(rejected) == {p.name for p in INVALID.iterdir()}
    assert all(Path(r.path).is_absolute() and Path(r.path).exists() for r in report.rejected)


async def test_a_broken_edit_keeps_the_last_good_version(tmp_path: Path, content: Path) -> None:
    db_path = tmp_path / "n.db"
    await ingest(db_path, [content])
    before = snapshot(db_path)
    (content / "late.md").write_text("---\ntitle: [broken\n---\n")
    report = await ingest(db_path, [content])
    assert [Path(r.path).name for r in report.rejected] == ["late.md"]
    assert "YAML" in report.rejected[0].reason
    assert report.updated == [] and report.removed == []
    assert snapshot(db_path) == before


async def test_slug_collisions_are_rejected(tmp_path: Path) -> None:
    root = tmp_path / "c"
    for folder in ("a", "b"):
        (root / folder).mkdir(parents=True)
        (root / folder / "same.md").write_text(
            f"---\ntitle: {folder}\npublishedDateTime: 2021-01-01\n---\n"
        )
    report = await ingest(tmp_path / "n.db", [root])
    assert report.added == ["a/same.md"]
    assert report.rejected[0].reason == "slug 'same' is already used by a/same.md"


async def test_same_relative_path_in_two_roots_keeps_the_first(tmp_path: Path) -> None:
    for root in ("one", "two"):
        (tmp_path / root).mkdir()
        (tmp_path / root / "x.md").write_text(
            f"---\ntitle: {root}\npublishedDateTime: 2021-01-01\n---\n"
        )
    report = await ingest(tmp_path / "n.db", [tmp_path / "one", tmp_path / "two"])
    assert report.added == ["x.md"]
    assert "same relative path" in report.rejected[0].reason


async def test_process_pool_gives_the_same_corpus(tmp_path: Path, monkeypatch: Any) -> None:
    threaded = tmp_path / "threaded.db"
    pooled = tmp_path / "pooled.db"
    await ingest(threaded, [VALID], workers=0)
    monkeypatch.setattr(ingest_module, "CHUNK_FILES", 3)  # many chunks in flight
    await ingest(pooled, [VALID], workers=2)
    assert snapshot(threaded) == snapshot(pooled)


async def test_missing_path_is_an_error_and_changes_nothing(fixture_db: Path) -> None:
    before = snapshot(fixture_db)
    with pytest.raises(IngestError, match="no such file or folder"):
        await ingest(fixture_db, [VALID, VALID / "nope"])
    assert snapshot(fixture_db) == before


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(db.DatabaseError, match="not a newsgraph database"):
        db.connect_sync(path)


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(db.DatabaseError, match="cannot open"):
        db.connect_sync(path)


def test_database_uses_wal(fixture_db: Path) -> None:
    conn = db.connect_sync(fixture_db, read_only=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def _article(folder: Path, name: str, title: str = "T") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"---\ntitle: {title}\npublishedDateTime: 2021-01-01\n---\n")
    return path


async def test_unreadable_folder_removes_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    root = tmp_path / "c"
    for i in range(3):
        _article(root / "sub", f"a{i}.md")
    _article(root, "top.md")
    db_path = tmp_path / "n.db"
    await ingest(db_path, [root])
    before = snapshot(db_path)
    locked = root / "sub"
    if os.geteuid() == 0:
        # root reads every folder whatever its mode; make listing it fail as it would
        # for any other user (this is the only fault injected in the suite).
        real_open = os.open

        def open_folder(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if flags & os.O_DIRECTORY and Path(path) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", open_folder)
    else:
        locked.chmod(0)
    try:
        report = await ingest(db_path, [root])
    finally:
        locked.chmod(0o755)
    assert report.removed == []
    assert [(r.path, r.reason) for r in report.rejected] == [
        (str(locked), "cannot read folder: Permission denied")
    ]
    assert snapshot(db_path) == before


async def test_rejected_file_follows_its_folder_when_it_moves(tmp_path: Path) -> None:
    old = tmp_path / "c"
    _article(old, "x.md")
    _article(old, "y.md")
    db_path = tmp_path / "n.db"
    await ingest(db_path, [old])
    new = tmp_path / "d"
    old.rename(new)
    (new / "x.md").write_text("---\ntitle: [broken\n---\n")
    report = await ingest(db_path, [new])
    assert [Path(r.path).name for r in report.rejected] == ["x.md"]
    (new / "x.md").unlink()
    report = await ingest(db_path, [new])
    assert report.removed == ["x.md"]


async def test_a_file_then_its_folder_leaves_one_article(tmp_path: Path) -> None:
    root = tmp_path / "c"
    single = _article(root / "sub", "x.md")
    db_path = tmp_path / "n.db"
    assert (await ingest(db_path, [single])).added == ["x.md"]
    report = await ingest(db_path, [root])
    assert (report.added, report.removed, report.rejected) == (["sub/x.md"], ["x.md"], [])
    both = await ingest(tmp_path / "both.db", [single, root])
    assert both.added == ["x.md"] and both.rejected == []  # one file, named twice


async def test_a_slug_freed_later_in_the_run_can_be_taken(tmp_path: Path) -> None:
    root = tmp_path / "c"
    txt = _article(root / "b", "foo.txt")
    db_path = tmp_path / "n.db"
    await ingest(db_path, [root])
    txt.write_text("plain notes, no frontmatter any more\n")
    _article(root / "a", "foo.md")  # sorts before b/foo.txt
    report = await ingest(db_path, [root])
    assert (report.added, report.removed, report.rejected) == (["a/foo.md"], ["b/foo.txt"], [])


def _indexes(db_path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return sorted(
            conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        )
    finally:
        conn.close()


def _spy_deferrals(monkeypatch: Any) -> list[int]:
    """How many indexes each run dropped for its writes."""
    dropped: list[int] = []
    real = ingest_module._defer_indexes

    async def spy(*args: Any) -> list[str]:
        statements = await real(*args)
        dropped.append(len(statements))
        return statements

    monkeypatch.setattr(ingest_module, "_defer_indexes", spy)
    return dropped


async def test_a_bulk_ingest_builds_the_same_indexes_and_corpus(
    tmp_path: Path, monkeypatch: Any
) -> None:
    row_by_row, bulk = tmp_path / "row.db", tmp_path / "bulk.db"
    dropped = _spy_deferrals(monkeypatch)
    await ingest(row_by_row, [VALID])
    monkeypatch.setattr(ingest_module, "BULK_MIN_FILES", 1)
    await ingest(bulk, [VALID])
    assert dropped == [0, len(ingest_module.DEFERRABLE_INDEXES)]
    assert _indexes(bulk) == _indexes(row_by_row)
    assert {name for name, _ in _indexes(bulk)} >= set(ingest_module.DEFERRABLE_INDEXES)
    assert snapshot(bulk) == snapshot(row_by_row)
    # The orders still read their index (the planner was not left without one).
    conn = sqlite3.connect(bulk)
    plan = " ".join(
        r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT id FROM articles ORDER BY trending")
    )
    conn.close()
    assert "articles_trending" in plan

    await ingest(bulk, [VALID])  # nothing to read again: no run worth deferring for
    assert dropped[-1] == 0
    # Every file read again, none changed: the planner keeps its statistics.
    await ingest(bulk, [VALID], rehash=True)
    assert dropped[-1] == len(ingest_module.DEFERRABLE_INDEXES)
    conn = sqlite3.connect(bulk)
    analyzed = {r[0] for r in conn.execute("SELECT idx FROM sqlite_stat1")}
    conn.close()
    assert analyzed >= set(ingest_module.DEFERRABLE_INDEXES)


async def test_a_failed_bulk_ingest_leaves_every_index(
    tmp_path: Path, content: Path, monkeypatch: Any
) -> None:
    db_path = tmp_path / "n.db"
    await ingest(db_path, [content])
    before, indexes = snapshot(db_path), _indexes(db_path)
    for path in content.rglob("*.md"):  # every article changed: worth a bulk run
        path.write_text(path.read_text().replace("title:", "title: Edited", 1))
    monkeypatch.setattr(ingest_module, "BULK_MIN_FILES", 1)
    dropped = _spy_deferrals(monkeypatch)

    async def fail(*_: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingest_module, "_finish", fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await ingest(db_path, [content])
    assert dropped == [len(ingest_module.DEFERRABLE_INDEXES)]
    assert _indexes(db_path) == indexes
    assert snapshot(db_path) == before


@pytest.mark.parametrize(
    "rel", ["a.md", "sub/a.b.md", "x/y/z.markdown", "notes.TXT", "dir.with.dots/f.md", "é/ü.md"]
)
def test_slug_of_is_the_file_stem(rel: str) -> None:
    assert ingest_module.slug_of(rel) == Path(rel).stem


@pytest.mark.parametrize("name", [".hidden.md", "..md", "...md", "a..md", "x/.a.md", "b/..md"])
def test_slug_of_leading_dots_is_os_paths_stem(name: str) -> None:
    """Where pathlib and os.path disagree (a name of dots before its suffix), slugs have
    always been os.path.splitext's."""
    assert ingest_module.slug_of(name) == os.path.splitext(name.rpartition("/")[2])[0]


def _card_copies(db_path: Path) -> dict[str, tuple[Any, Any, Any, Any]]:
    """Per article: its row's images and their count on the article (the has-image
    filter's), its row's topic ids and the same from `article_topics`."""
    conn = sqlite3.connect(db_path)
    try:
        found = {}
        rows = conn.execute(
            "SELECT a.id, a.path, c.images, a.image_count, c.topic_ids FROM articles a "
            "JOIN article_content c ON c.id = a.id"
        ).fetchall()
        for article_id, path, images, image_count, topic_ids in rows:
            table_topics = [
                str(r[0])
                for r in conn.execute(
                    "SELECT topic_id FROM article_topics WHERE article_id = ? ORDER BY position",
                    (article_id,),
                )
            ]
            found[path] = (json.loads(images), image_count, topic_ids, ",".join(table_topics))
        return found
    finally:
        conn.close()


async def test_the_content_row_copies_images_and_topics_in_order(
    tmp_path: Path, content: Path
) -> None:
    db_path = tmp_path / "n.db"
    card = content / "card.md"
    card.write_text(
        "---\ntitle: Card\npublishedDateTime: 2022-01-01\ntopics: [Zeta, Alpha, Zeta]\n"
        "images:\n  - url: https://x.test/1.jpg\n    width: 10\n    height: 5\n"
        "  - url: https://x.test/2.jpg\n---\n"
    )
    await ingest(db_path, [content])
    # An edit that drops a topic (its id may be reused by the next new topic) and an image.
    card.write_text(card.read_text().replace("[Zeta, Alpha, Zeta]", "[Beta, Alpha]").replace(
        "  - url: https://x.test/2.jpg\n", ""))  # fmt: skip
    (content / "other.md").write_text(
        "---\ntitle: Other\npublishedDateTime: 2022-01-02\ntopics: [Gamma]\n---\n"
    )
    await ingest(db_path, [content])
    copies = _card_copies(db_path)
    assert len(copies) > 5
    for path, (images, image_count, topic_ids, table_topics) in copies.items():
        assert len(images) == image_count and topic_ids == table_topics, path
    images, _, topic_ids, _ = copies["card.md"]
    assert images == [{"url": "https://x.test/1.jpg", "width": 10, "height": 5, "isCached": None}]
    assert len(topic_ids.split(",")) == 2
    assert any(imgs for imgs, *_ in copies.values() if imgs != images)  # fixtures have images


async def test_the_cyclic_collector_is_paused_for_a_run_and_restored(tmp_path: Path) -> None:
    """An ingest pauses Python's cyclic collector while it builds its many long-lived
    objects, and leaves it as it found it, on success and on failure."""
    seen: list[bool] = []
    assert gc.isenabled()
    await ingest(tmp_path / "a.db", [VALID], on_progress=lambda *_: seen.append(gc.isenabled()))
    assert seen and not any(seen) and gc.isenabled()
    with pytest.raises(IngestError):
        await ingest(tmp_path / "a.db", [tmp_path / "missing"])
    assert gc.isenabled()
    gc.disable()
    try:
        await ingest(tmp_path / "a.db", [VALID])
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


async def test_an_article_dated_before_year_1000_is_ingested(tmp_path: Path) -> None:
    # strftime wrote such a year with three digits, and the ingest failed on it.
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "old.md").write_text("---\ntitle: Old\npublishedDateTime: 0999-01-02\n---\n")
    report = await ingest(tmp_path / "o.db", [folder])
    assert report.added == ["old.md"] and not report.rejected
    with sqlite3.connect(tmp_path / "o.db") as conn:
        stored = conn.execute(
            "SELECT c.published_at, a.published_month FROM articles AS a "
            "JOIN article_content AS c ON c.id = a.id"
        ).fetchall()
    assert stored == [("0999-01-02T00:00:00Z", 99901)]


async def test_a_topic_is_named_as_its_newest_article_spells_it(tmp_path: Path) -> None:
    folder = tmp_path / "named"
    folder.mkdir()
    spellings = [
        ("c.md", "2020-01-01", "Machine learning"),
        ("b.md", "2022-05-01", "machine Learning"),
        ("a.md", "2022-05-01", "MACHINE LEARNING"),
        ("d.md", "2021-01-01", "Machine Learning"),
    ]
    for name, day, topic in spellings:
        (folder / name).write_text(
            f"---\ntitle: T\npublishedDateTime: {day}\ntopics: [{topic}]\n---\n"
        )

    def topics() -> list[tuple[str, int]]:
        with sqlite3.connect(tmp_path / "t.db") as conn:
            return conn.execute("SELECT name, article_count FROM topics").fetchall()

    await ingest(tmp_path / "t.db", [folder])
    assert topics() == [("MACHINE LEARNING", 4)]  # the newest two tie: the first path wins
    (folder / "a.md").unlink()
    await ingest(tmp_path / "t.db", [folder])
    assert topics() == [("machine Learning", 3)]


async def test_statistics_cover_the_planned_tables_and_skip_the_read_by_id_ones(
    fixture_db: Path,
) -> None:
    with sqlite3.connect(fixture_db) as conn:
        analyzed = {r[0] for r in conn.execute("SELECT DISTINCT tbl FROM sqlite_stat1")}
        content = conn.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'article_content'")
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert content.fetchall() == [(None, str(articles))]  # written, not counted
    assert analyzed >= {"articles", "article_topics", "article_urls", "related", "reference_urls"}
    assert not any(table.startswith("article_fts") for table in analyzed)


HOME_PAGE = (
    "SELECT a.id FROM articles AS a JOIN article_content AS c ON c.id = a.id "
    "ORDER BY a.published_ts DESC, a.id DESC LIMIT 21"
)


def _plan(db_path: Path, sql: str) -> str:
    with sqlite3.connect(db_path) as conn:
        return " | ".join(r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))


async def test_a_size_left_by_an_older_analyze_is_replaced(tmp_path: Path) -> None:
    # A full ANALYZE by an older version counted article_content; ANALYZE per table never
    # rewrites that count, and once the articles outgrew it the planner scanned the table.
    folder = tmp_path / "grown"
    shutil.copytree(VALID, folder)
    db_path = tmp_path / "g.db"
    await ingest(db_path, [folder])
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE sqlite_stat1 SET stat = '1' WHERE tbl = 'article_content'")
        conn.execute("INSERT INTO sqlite_stat1 VALUES ('article_fts_data', NULL, '3')")
        conn.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'articles'")  # due for ANALYZE
    assert "SCAN c" in _plan(db_path, HOME_PAGE)  # what the stale count did
    _article(folder, "one-more.md")
    await ingest(db_path, [folder])
    with sqlite3.connect(db_path) as conn:
        count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        stale = conn.execute(
            "SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl LIKE 'article\\_%' ESCAPE '\\' "
            "AND tbl NOT IN ('article_topics', 'article_urls')"
        ).fetchall()
    assert stale == [("article_content", None, str(count))]
    assert "SCAN c" not in _plan(db_path, HOME_PAGE)
