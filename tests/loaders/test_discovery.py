"""Which files a folder's walk offers as candidates, with stamps and without."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from loaders.files import Stamp, discover
from loaders.ingest import ingest
from loaders.synthetic import generate_corpus


def _tree(root: Path) -> None:
    """Articles, and every kind of entry that is not one to read."""
    for rel in ("b/2.md", "a/1.md", "a/c/3.md", "a/notes.txt", "z.markdown", "top.md"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\ntitle: x\n---\n")
    (root / "a" / "image.png").write_bytes(b"\x89PNG")  # not an article's name
    (root / ".hidden").mkdir()
    (root / ".hidden" / "4.md").write_text("---\ntitle: x\n---\n")  # in a hidden folder
    (root / "a" / ".5.md").write_text("---\ntitle: x\n---\n")  # a hidden file
    (root / "folder.md").mkdir()  # a folder with an article's name, holding nothing
    (root / "a" / "loop").symlink_to(root)  # a link back up: not walked into
    (root / "linked-folder.md").symlink_to(root / "b")  # a link to a folder
    (root / "dangling.md").symlink_to(root / "nowhere.md")
    (root / "linked.md").symlink_to(root / "top.md")  # a link to a file: read through it
    os.mkfifo(root / "pipe.md")  # opening it would wait for a writer for ever


EXPECTED = [  # depth first, names in order, each folder's files before its subfolders
    "linked.md", "top.md", "z.markdown", "a/1.md", "a/notes.txt", "a/c/3.md", "b/2.md",
]  # fmt: skip


@pytest.mark.parametrize("stamped", [True, False])
def test_candidates_are_the_plain_files_with_an_articles_name(
    tmp_path: Path, stamped: bool
) -> None:
    _tree(tmp_path)
    found = discover(tmp_path, stamped=stamped)
    assert [c.rel for c in found.candidates] == EXPECTED
    assert [c.path for c in found.candidates] == [str(tmp_path / rel) for rel in EXPECTED]
    assert {c.root for c in found.candidates} == {tmp_path.resolve()}
    assert found.unreadable == []
    for cand in found.candidates:
        if stamped:
            status = os.stat(cand.path)
            assert cand.stamp == Stamp(status.st_size, status.st_mtime_ns)
        else:
            assert cand.stamp is None  # nothing asked of the file system but the listings


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path: Path) -> None:
    found = discover(tmp_path / "gone")
    assert found.candidates == []
    assert [(path, reason) for path, reason in found.unreadable] == [
        (tmp_path / "gone", "No such file or directory")
    ]


def test_a_folder_that_opens_but_cannot_be_listed_is_reported_by_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing reads an open descriptor, whose error names no file: the report
    names the folder all the same, and the other folders' files are found."""
    _tree(tmp_path)
    real_scandir = os.scandir

    def scandir(folder: Any = ".") -> Any:
        if isinstance(folder, int) and os.readlink(f"/proc/self/fd/{folder}").endswith("/a"):
            raise OSError(5, "Input/output error")
        return real_scandir(folder)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover(tmp_path)
    assert [c.rel for c in found.candidates] == [r for r in EXPECTED if not r.startswith("a/")]
    assert found.unreadable == [(tmp_path / "a", "Input/output error")]


async def test_a_first_ingest_asks_each_file_for_its_stamp_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new database compares no stamps: the walk leaves the stat to the read, whose
    stamp is stored; the next ingest compares stamps and reads nothing."""
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, 20, seed=3)
    files = sorted(str(p) for p in corpus.rglob("*.md"))
    for path in files:  # older than the window in which a stamp is not trusted
        os.utime(path, (1_600_000_000, 1_600_000_000))
    asked: list[str] = []
    real_stat, real_fstat = os.stat, os.fstat

    def opened(fd: int) -> str:
        return os.readlink(f"/proc/self/fd/{fd}")

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).endswith(".md"):
            folder = kwargs.get("dir_fd")  # the walk names a file in an open folder
            asked.append(os.path.join(opened(folder), path) if folder else str(path))
        return real_stat(path, *args, **kwargs)

    def fstat(fd: int) -> os.stat_result:  # the read asks the file it opened
        if opened(fd).endswith(".md"):
            asked.append(opened(fd))
        return real_fstat(fd)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "fstat", fstat)
    db_path = tmp_path / "new.db"
    first = await ingest(db_path, [corpus], workers=0)  # files read in this process
    assert len(first.added) == 20
    assert sorted(asked) == files  # each once, by the read
    asked.clear()
    again = await ingest(db_path, [corpus], workers=0)
    assert again.unchanged == 20 and not again.changed
    assert sorted(asked) == files  # each once, by the walk: none read
