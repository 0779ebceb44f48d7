"""Re-ingests trust a file's size and modification time, except when they are too fresh."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

from loaders.ingest import ingest

ARTICLE = "---\ntitle: {title}\npublishedDateTime: 2021-01-01\n---\nbody\n"
AN_HOUR_AGO = time.time() - 3600


def _write(folder: Path, name: str, title: str, mtime: float | None = AN_HOUR_AGO) -> Path:
    path = folder / name
    path.write_text(ARTICLE.format(title=title))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _titles(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(db_path)
    try:
        return dict(
            conn.execute(
                "SELECT a.slug, c.title FROM articles a JOIN article_content c ON c.id = a.id"
            )
        )
    finally:
        conn.close()


def _same_stamp_edit(path: Path, title: str) -> None:
    """Change the content but keep the size and modification time."""
    before = path.stat()
    path.write_text(ARTICLE.format(title=title))
    assert path.stat().st_size == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


async def test_an_unchanged_stamp_means_the_file_is_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    path = _write(folder, "a.md", "Alpha")
    db_path = tmp_path / "n.db"
    await ingest(db_path, [folder])
    _same_stamp_edit(path, "Omega")
    report = await ingest(db_path, [folder])
    # The edit is invisible: the file was not read (the documented trade-off)...
    assert report.unchanged == 1 and not report.changed
    assert _titles(db_path) == {"a": "Alpha"}
    # ...and --rehash reads every file again.
    report = await ingest(db_path, [folder], rehash=True)
    assert report.updated == ["a.md"]
    assert _titles(db_path) == {"a": "Omega"}


async def test_a_fresh_stamp_is_not_trusted(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    path = _write(folder, "a.md", "Alpha", mtime=None)  # modified just now
    db_path = tmp_path / "n.db"
    await ingest(db_path, [folder])
    _same_stamp_edit(path, "Omega")  # within the same clock tick as far as the stamp says
    report = await ingest(db_path, [folder])
    assert report.updated == ["a.md"]
    assert _titles(db_path) == {"a": "Omega"}


async def test_a_touched_file_is_read_once_then_trusted_again(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    path = _write(folder, "a.md", "Alpha")
    db_path = tmp_path / "n.db"
    await ingest(db_path, [folder])
    os.utime(path, (AN_HOUR_AGO + 60, AN_HOUR_AGO + 60))  # touched, same content
    report = await ingest(db_path, [folder])
    assert report.unchanged == 1 and not report.changed
    _same_stamp_edit(path, "Omega")
    report = await ingest(db_path, [folder])  # the new stamp was stored and is trusted
    assert report.unchanged == 1 and _titles(db_path) == {"a": "Alpha"}


async def test_a_folder_copied_elsewhere_takes_over_its_articles(tmp_path: Path) -> None:
    """Files found unchanged (by stamp) under another folder now belong to that folder:
    a file later removed from it removes its article."""
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    for name in ("a.md", "b.md"):
        _write(old, name, name.upper())
    db_path = tmp_path / "n.db"
    await ingest(db_path, [old])
    shutil.copytree(old, new)  # keeps the modification times: the same stamps
    report = await ingest(db_path, [new])
    assert report.unchanged == 2 and not report.changed
    (new / "a.md").unlink()
    report = await ingest(db_path, [new])
    assert report.removed == ["a.md"]
    assert _titles(db_path) == {"b": "B.MD"}
