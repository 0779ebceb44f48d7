"""Server-side time of the article-list shapes frontends use (issue 3), at the largest
size of the run (100,000 articles with BENCH_MODE=full).

    BENCH_MODE=full .venv/bin/python -m pytest tests/benchmarks/test_query_speed.py \\
        -m benchmark -s

Each shape is a page of 20 with `totalCount`, the way list pages ask for it; facets are
timed on their own. Target: every page shape under 20 ms (issue 3), reported, not
asserted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from loaders.reader import Reader
from tests.benchmarks.config import BenchConfig
from tests.benchmarks.report import Results, ServerSideRow
from tests.benchmarks.server_side import fill, record, samples, time_query

TARGET_MS = 20.0
CARD = "totalCount edges { cursor node { slug title publishedAt provider { name } } }"
FACETS = (
    "facets { topics { value count } providers { value count } types { value count } "
    "months(first: 24) { value count } heat { label count } published { value count } }"
)
PAGES = {
    "newest first": "{ articles(first: 20) { %CARD% } }",
    "newest first, page 50 (offset)": "{ articles(first: 20, offset: 980) { %CARD% } }",
    "by topic (largest)": '{ topic(slug: "%TOPIC%") { articles(first: 20) { %CARD% } } }',
    "by topic (small)": '{ topic(slug: "%RARE_TOPIC%") { articles(first: 20) { %CARD% } } }',
    "filter: one topic": '{ articles(first: 20, filter: {topics: ["%TOPIC%"]}) { %CARD% } }',
    "by provider": '{ provider(domain: "%PROVIDER%") { articles(first: 20) { %CARD% } } }',
    "by date range (a month)": (
        '{ articles(first: 20, filter: {publishedAfter: "%MONTH_START%", '
        'publishedBefore: "%MONTH_END%"}) { %CARD% } }'
    ),
    "trending": "{ articles(first: 20, orderBy: [{field: TRENDING}]) { %CARD% } }",
    "trending in a topic": (
        '{ topic(slug: "%TOPIC%") { articles(first: 20, orderBy: [{field: TRENDING}]) '
        "{ %CARD% } } }"
    ),
    "newest, last page (backwards)": "{ articles(last: 20) { %CARD% } }",
    "filter: published, has image, quality 50+": (
        "{ articles(first: 20, filter: {published: true, hasImage: true, quality: {min: 50}}) "
        "{ %CARD% } }"
    ),
    "filter: two topics or a provider": (
        '{ articles(first: 20, filter: {or: [{topics: ["%TOPIC%", "%RARE_TOPIC%"]}, '
        '{providers: ["%SMALL_PROVIDER%"]}]}) { %CARD% } }'
    ),
}
FACET_SHAPES = {
    "facets: whole corpus": "{ articles(first: 0) { %FACETS% } }",
    "facets: one topic": '{ articles(first: 0, filter: {topics: ["%TOPIC%"]}) { %FACETS% } }',
    "facets: a month": (
        '{ articles(first: 0, filter: {publishedAfter: "%MONTH_START%", '
        'publishedBefore: "%MONTH_END%"}) { %FACETS% } }'
    ),
    "facets: published (two thirds)": (
        "{ articles(first: 0, filter: {published: true}) { %FACETS% } }"
    ),
}


async def _measure(db_path: Path, size: int) -> list[ServerSideRow]:
    values = {**samples(db_path), "%CARD%": CARD, "%FACETS%": FACETS}
    reader = await Reader.open(db_path)
    rows = []
    try:
        for shapes, target in ((PAGES, TARGET_MS), (FACET_SHAPES, None)):
            for name, template in shapes.items():
                low, median, _ = await time_query(reader, fill(fill(template, values), values))
                rows.append(ServerSideRow(size, "query", name, low, median, target))
    finally:
        await reader.close()
    return rows


@pytest.mark.benchmark
def test_article_list_shapes(
    bench_config: BenchConfig,
    bench_database: Callable[[int], Path],
    bench_results: Results,
) -> None:
    size = max(bench_config.sizes)
    rows = asyncio.run(_measure(bench_database(size), size))
    record(bench_results, rows)
    assert rows
