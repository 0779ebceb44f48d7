"""Bucket facets at the ends of the 32-bit range that scores may use."""

from __future__ import annotations

from pathlib import Path

from loaders.ingest import ingest
from loaders.reader import Reader
from schema.build import schema
from schema.context import Context
from tests.conftest import ok

BUCKETS = """
{ articles { facets {
  quality(bucketSize: 7, sort: VALUE) { min max label count }
  heat(bucketSize: 7, sort: VALUE) { min max label count }
} } }
"""


async def test_buckets_at_the_ends_of_the_int_range_stop_there(tmp_path: Path) -> None:
    folder = tmp_path / "extremes"
    folder.mkdir()
    for name, score in (("lowest", -(2**31)), ("highest", 2**31 - 1)):
        (folder / f"{name}.md").write_text(
            f"---\ntitle: {name}\npublishedDateTime: 2021-01-01\nquality: {score}\n"
            f"heat: {score}\n---\n"
        )
    await ingest(tmp_path / "extremes.db", [folder])
    reader = await Reader.open(tmp_path / "extremes.db", size=1)
    try:
        result = await schema.execute(BUCKETS, context_value=Context(db=reader))
    finally:
        await reader.close()
    facets = ok(result)["articles"]["facets"]
    # Buckets start at multiples of 7 (floor division); the outermost stop at the range's
    # ends instead of naming bounds that GraphQL's Int cannot carry (it used to fail).
    assert facets["quality"] == [
        {"min": -(2**31), "max": -2147483647, "label": "-2147483648..-2147483647", "count": 1},
        {"min": 2147483646, "max": 2**31 - 1, "label": "2147483646..2147483647", "count": 1},
    ]
    assert facets["heat"] == [
        {"min": 2147483646, "max": 2**31 - 1, "label": "2147483646..2147483647", "count": 1},
        {"min": None, "max": None, "label": "unknown", "count": 1},
    ]
