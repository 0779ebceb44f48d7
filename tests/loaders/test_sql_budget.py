"""The per-request SQL time budget is enforced inside SQLite: a slow statement is
stopped (its connection is free again at once), not merely abandoned."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from loaders.reader import Reader, SqlTimeBudgetExceeded, sql_time_budget

# Counts to a billion: minutes of work for SQLite unless something stops it.
SLOW = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)
SELECT count(*) FROM n"""


async def test_a_slow_statement_is_stopped_within_the_budget(fixture_db: Path) -> None:
    reader = await Reader.open(fixture_db, size=1)  # one connection: the next fetch shares it
    try:
        started = time.monotonic()
        with sql_time_budget(0.2), pytest.raises(SqlTimeBudgetExceeded) as raised:
            await reader.fetch(SLOW)
        stopped_after = time.monotonic() - started
        assert raised.value.budget_seconds == 0.2
        assert stopped_after < 1.0, stopped_after
        # The connection's thread is free: the statement was interrupted, not left running.
        started = time.monotonic()
        assert await reader.fetch("SELECT count(*) FROM articles") == [(26,)]
        assert time.monotonic() - started < 0.5
    finally:
        await reader.close()


async def test_the_budget_is_shared_by_the_tasks_of_a_request(fixture_db: Path) -> None:
    """DataLoader batches run in tasks; the contextvar carries the budget into them."""
    reader = await Reader.open(fixture_db, size=2)
    try:
        with sql_time_budget(0.3):
            results = await asyncio.gather(
                reader.fetch(SLOW), reader.fetch(SLOW), return_exceptions=True
            )
            assert all(isinstance(r, SqlTimeBudgetExceeded) for r in results)
            # Spent: later statements of the same request fail without running.
            with pytest.raises(SqlTimeBudgetExceeded):
                await reader.fetch("SELECT 1")
        # Another request (no budget here) is unaffected.
        assert await reader.fetch("SELECT 1") == [(1,)]
    finally:
        await reader.close()


async def test_cheap_statements_run_under_a_budget(fixture_db: Path) -> None:
    reader = await Reader.open(fixture_db, size=1)
    try:
        with sql_time_budget(1.0) as budget:
            for _ in range(20):
                await reader.fetch("SELECT slug FROM articles")
        assert budget is not None and 0 < budget.remaining < 1.0
    finally:
        await reader.close()
