"""References that point outside the corpus, grouped by URL: an editor's link checker.

A reference is unresolved when it has a URL and no corpus article has any of its URLs
(after normalization, see loaders/urls.py). References without any URL are not
counted: there is nothing to check. Groups are ordered by how many articles cite the
URL (most first), then by the URL; a partial covering index on `related` holds
exactly these references, so counting and grouping read only it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from loaders.db import placeholders
from loaders.reader import Reader
from loaders.rows import RELATED_COLUMNS, RelatedRow, related_row

UNRESOLVED = "target_id IS NULL AND normalized_url IS NOT NULL"


@dataclass(frozen=True, slots=True)
class UnresolvedGroup:
    url: str  # normalized
    cited_by: int  # distinct citing articles


async def unresolved_groups(
    db: Reader, first: int, after: tuple[int, str] | None
) -> tuple[list[UnresolvedGroup], bool]:
    """A keyset page of groups (most cited first, then by URL) and whether more follow."""
    having, params = "", []
    if after is not None:
        having = "HAVING (-count(DISTINCT article_id), normalized_url) > (?, ?)"
        params = [-after[0], after[1]]
    rows = await db.fetch(
        "SELECT normalized_url, count(DISTINCT article_id) AS cited FROM related "
        f"WHERE {UNRESOLVED} GROUP BY normalized_url {having} "
        "ORDER BY cited DESC, normalized_url LIMIT ?",
        [*params, first + 1],
    )
    groups = [UnresolvedGroup(r[0], r[1]) for r in rows[:first]]
    return groups, len(rows) > first


async def unresolved_total(db: Reader) -> int:
    row = await db.fetch_one(
        f"SELECT count(DISTINCT normalized_url) FROM related WHERE {UNRESOLVED}"
    )
    return int(row[0]) if row else 0


async def groups_before(db: Reader, position: tuple[int, str], *, inclusive: bool = False) -> int:
    """How many groups sort before `position` (at it too when inclusive): page numbers."""
    op = "<=" if inclusive else "<"
    row = await db.fetch_one(
        "SELECT count(*) FROM (SELECT normalized_url, count(DISTINCT article_id) AS cited "
        f"FROM related WHERE {UNRESOLVED} GROUP BY normalized_url "
        f"HAVING (-cited, normalized_url) {op} (?, ?))",
        (-position[0], position[1]),
    )
    return int(row[0]) if row else 0


async def citations_by_urls(db: Reader, urls: Sequence[str]) -> dict[str, list[RelatedRow]]:
    """The unresolved references citing each URL, by citing article then position."""
    rows = await db.fetch(
        f"SELECT {RELATED_COLUMNS} FROM related WHERE {UNRESOLVED} "
        f"AND normalized_url IN ({placeholders(urls)}) "
        "ORDER BY normalized_url, article_id, position",
        urls,
    )
    found: dict[str, list[RelatedRow]] = defaultdict(list)
    for r in rows:
        row = related_row(r)
        assert row.normalized_url is not None
        found[row.normalized_url].append(row)
    return found


async def unresolved_counts(db: Reader, ids: Sequence[int]) -> dict[int, int]:
    """How many of each article's references point outside the corpus."""
    rows = await db.fetch(
        f"SELECT article_id, count(*) FROM related WHERE article_id IN ({placeholders(ids)}) "
        f"AND {UNRESOLVED} GROUP BY article_id",
        ids,
    )
    return {r[0]: r[1] for r in rows}
