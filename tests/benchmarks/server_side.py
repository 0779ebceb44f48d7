"""Timing single GraphQL executions in process: the server-side cost of a query.

"Server-side" is one `schema.execute` (parse, validate, resolve, SQL), no HTTP. Each
query runs `runs` times after a warm-up; the minimum is the figure least disturbed by
other processes on a shared machine, the median is reported beside it.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from loaders.reader import Reader
from schema.build import schema
from schema.context import Context
from tests.benchmarks.report import Results, ServerSideRow

RUNS = 25


async def time_query(reader: Reader, query: str, runs: int = RUNS) -> tuple[float, float, Any]:
    """(min ms, median ms, data) of `query`; GraphQL errors fail the benchmark."""
    result = await schema.execute(query, context_value=Context(db=reader))  # warm-up
    assert result.errors is None, result.errors
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await schema.execute(query, context_value=Context(db=reader))
        times.append(1000 * (time.perf_counter() - started))
    return min(times), statistics.median(times), result.data


def samples(db_path: Path) -> dict[str, str]:
    """Values the benchmark queries fill in, chosen from the corpus itself."""
    conn = sqlite3.connect(db_path)
    try:
        one = conn.execute

        def first(sql: str) -> Any:
            row = one(sql).fetchone()
            assert row is not None, sql
            return row[0]

        conn.execute("CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, article_fts, row)")
        newest = first("SELECT max(published_ts) FROM articles") // 1_000_000
        return {
            "%TOPIC%": first("SELECT slug FROM topics ORDER BY article_count DESC LIMIT 1"),
            "%RARE_TOPIC%": first(
                "SELECT slug FROM topics WHERE article_count >= 20 ORDER BY article_count LIMIT 1"
            ),
            "%PROVIDER%": first(
                "SELECT domain FROM providers ORDER BY article_count DESC, domain LIMIT 1 OFFSET 3"
            ),
            "%SMALL_PROVIDER%": first(
                "SELECT domain FROM providers ORDER BY article_count DESC, domain LIMIT 1 OFFSET 30"
            ),
            "%RARE%": first(
                "SELECT term FROM temp.words WHERE doc BETWEEN 20 AND 100 AND term GLOB '[a-z]*' "
                "ORDER BY doc DESC, term LIMIT 1"
            ),
            "%LINKED%": first(
                "SELECT slug FROM articles WHERE related_count >= 3 ORDER BY id LIMIT 1 "
                "OFFSET (SELECT count(*) / 2 FROM articles WHERE related_count >= 3)"
            ),
            "%MONTH_START%": time.strftime("%Y-%m-01", time.gmtime(newest - 200 * 86_400)),
            "%MONTH_END%": time.strftime("%Y-%m-01", time.gmtime(newest - 170 * 86_400)),
        }
    finally:
        conn.close()


def fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(key, value)
    return template


def record(results: Results, rows: list[ServerSideRow]) -> None:
    """Add server-side rows to the run's report and print them as they come."""
    results.server_side.extend(rows)
    for row in rows:
        print(f"\n[bench] {row.name}: {row.min_ms:.2f} ms (median {row.median_ms:.2f})")
