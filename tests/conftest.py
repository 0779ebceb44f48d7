"""Shared fixtures: paths, an ingested temporary database, and schema execution."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from loaders.ingest import ingest
from loaders.reader import Reader
from schema.build import schema
from schema.context import Context

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
POWER_APPS = SHARED / "corpus" / "power-apps"
SHARED_SEEDS = SHARED / "seeds"

# Hypothesis tests (tests/schema/test_article_queries_property.py) run the same 50
# examples each every time by default, so CI is deterministic, stays fast and a failure
# reproduces; `explore` searches fresh random examples, more of them:
#   .venv/bin/python -m pytest tests/schema/test_article_queries_property.py \
#       --hypothesis-profile=explore
settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=50)
settings.register_profile("explore", deadline=None, max_examples=300)
settings.load_profile("ci")

needs_shared = pytest.mark.skipif(
    not POWER_APPS.is_dir() or not SHARED_SEEDS.is_dir(),
    reason="../shared/corpus is not present",
)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A run that selects no tests (exit 5) is not a failure for CI's purposes.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK


@pytest.fixture(scope="session")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text())
    return data


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the valid fixtures, for tests that edit files."""
    target = tmp_path / "content"
    shutil.copytree(VALID, target)
    return target


@pytest.fixture
async def fixture_db(tmp_path: Path) -> Path:
    path = tmp_path / "fixtures.db"
    report = await ingest(path, [VALID])
    assert not report.rejected, report.rejected
    return path


@asynccontextmanager
async def ingested_reader(db_path: Path, folders: list[Path]) -> AsyncIterator[Reader]:
    """A reader of a database that was just filled from `folders`."""
    await ingest(db_path, folders)
    reader = await Reader.open(db_path, size=2)
    try:
        yield reader
    finally:
        await reader.close()


@pytest.fixture
async def reader(fixture_db: Path) -> AsyncIterator[Reader]:
    reader = await Reader.open(fixture_db, size=2)
    yield reader
    await reader.close()


Execute = Callable[..., Any]


def executor(reader: Reader) -> Execute:
    """Run GraphQL documents against `reader`'s database; each call returns the result."""

    async def run(query: str, **variables: Any) -> Any:
        return await schema.execute(
            query, variable_values=variables, context_value=Context(db=reader)
        )

    return run


@pytest.fixture
def execute(reader: Reader) -> Execute:
    """Run a GraphQL document against the fixture corpus; returns the result."""
    return executor(reader)


def ok(result: Any) -> dict[str, Any]:
    """The data of a result that must have no errors."""
    assert result.errors is None, result.errors
    data: dict[str, Any] = result.data
    return data
