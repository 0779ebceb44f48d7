"""Keeping the full-text index in step with article_content, one statement per batch.

The index is an external-content FTS5 table over article_content: it keeps no copy of
the text, so removing an article's terms needs its old text, read from article_content
before that row goes. The ingest calls `unindex` before it deletes or replaces content
rows and `index` with the values of the rows it inserts, for a whole batch at a time:
FTS5 then tokenizes a batch in one pass, about ten times faster than a trigger firing once
per row. (The values are passed rather than read back from the rows just written, which
were 2-4 KB each: 2.8 -> 2.0 s to index 100,000 articles.)

FTS5 gathers a transaction's new terms in memory and writes them out as a segment each
time they pass its `hashsize`; more, smaller segments mean more merging. The default
1 MB made a full ingest of 100,000 articles write a segment every ~600 articles; at
HASH_BYTES indexing them takes 1.14 CPU-seconds instead of 1.82, with an index of the
same size and searches as fast (measured on a copy of the benchmark's 100,000 articles).
The memory is only taken by runs that index that much in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from loaders.db import chunked, placeholders
from loaders.search.weights import COLUMNS, FTS_TABLE

BATCH = 500
HASH_BYTES = 16 * 1024 * 1024
_COLUMNS = ", ".join(name for name, _ in COLUMNS)


async def configure(conn: aiosqlite.Connection) -> None:
    """Give the index HASH_BYTES of pending terms (a setting FTS5 stores in the
    database), inside the caller's write transaction; written only when it differs."""
    rows = list(
        await conn.execute_fetchall(f"SELECT v FROM {FTS_TABLE}_config WHERE k = 'hashsize'")
    )
    if not rows or rows[0][0] != HASH_BYTES:
        await conn.execute(
            f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('hashsize', ?)", (HASH_BYTES,)
        )


async def index(conn: aiosqlite.Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Add the terms of articles whose content rows were just inserted: each row is
    (id, then the indexed columns' values in COLUMNS order), the values exactly as
    stored (a later `unindex` reads them back from article_content)."""
    await conn.executemany(
        f"INSERT INTO {FTS_TABLE} (rowid, {_COLUMNS}) VALUES ({placeholders(len(COLUMNS) + 1)})",
        rows,
    )


async def unindex(conn: aiosqlite.Connection, ids: Sequence[int]) -> None:
    """Remove the terms of these articles (before their content rows change or go)."""
    for part in chunked(ids, BATCH):
        await conn.execute(
            f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {_COLUMNS}) "
            f"SELECT 'delete', id, {_COLUMNS} FROM article_content "
            f"WHERE id IN ({placeholders(part)})",
            part,
        )
