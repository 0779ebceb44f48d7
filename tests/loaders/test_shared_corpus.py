"""The real corpus in ../shared: 192 Power Apps articles plus the seed article."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from loaders.ingest import ingest
from loaders.reader import Reader
from schema.build import schema
from schema.context import Context
from tests.conftest import POWER_APPS, SHARED_SEEDS, needs_shared, ok

SEED = """{
  article(slug: "000_621a63ab42db0fb5") {
    title publishedAt published heat
    provider { name domain }
    topics { name }
    images { url width height isCached aspectRatio }
    related { title webUrl ampUrl publishedAt quality provider { name domain } images { url } }
  }
  articles(first: 1) { totalCount }
}"""


@needs_shared
async def test_real_corpus_ingests_completely_with_real_values(tmp_path: Path) -> None:
    db_path = tmp_path / "real.db"
    report = await ingest(db_path, [POWER_APPS, SHARED_SEEDS])
    assert report.rejected == []
    assert len(report.added) == 193
    built = sqlite3.connect(db_path)  # built without per-row parent checks (building.py)
    assert built.execute("PRAGMA foreign_key_check").fetchall() == []
    built.close()
    again = await ingest(db_path, [POWER_APPS, SHARED_SEEDS])
    assert again.unchanged == 193 and not again.changed

    reader = await Reader.open(db_path, size=1)
    try:
        data = ok(await schema.execute(SEED, context_value=Context(db=reader)))
    finally:
        await reader.close()
    assert data["articles"]["totalCount"] == 193
    seed = data["article"]
    assert seed["title"] == "Minneapolis poised to ban facial recognition for police use"
    assert seed["publishedAt"] == "2021-02-16T03:47:00Z"
    assert (seed["published"], seed["heat"]) == (False, -1)
    assert seed["provider"] == {"name": "tech", "domain": "techstory.in"}
    assert [t["name"] for t in seed["topics"]] == ["Computer Vision", "AI"]
    assert seed["images"] == [{
        "url": "https://techstory.in/wp-content/uploads/2021/02/4645.jpg",
        "width": 1200, "height": 1200, "isCached": True, "aspectRatio": 1.0,
    }]  # fmt: skip
    related = seed["related"]
    assert [r["provider"]["domain"] for r in related] == [
        "nyoooz.com", "nydailynews.com", "biometricupdate.com"
    ]  # fmt: skip
    assert related[1]["ampUrl"].endswith("?outputType=amp")
    assert related[0]["publishedAt"] == "2021-02-14T15:21:00Z"
    assert [r["quality"] for r in related] == [52, 48, 38]
    assert all(len(r["images"]) == 1 for r in related)


@needs_shared
async def test_real_corpus_mixed_line_endings_parse_alike(tmp_path: Path) -> None:
    crlf = [p for p in POWER_APPS.iterdir() if b"\r\n" in p.read_bytes()]
    assert crlf, "the corpus is expected to hold CRLF files"
    report = await ingest(tmp_path / "crlf.db", crlf)
    assert len(report.added) == len(crlf) and report.rejected == []
