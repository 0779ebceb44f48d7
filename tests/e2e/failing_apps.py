"""ASGI apps that cannot start, for the workers' supervisor tests (imported by path)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette


@asynccontextmanager
async def _refuse(app: Starlette) -> AsyncIterator[None]:
    raise RuntimeError("this app never starts")
    yield  # pragma: no cover


failing_startup = Starlette(lifespan=_refuse)


def crashing_factory() -> Starlette:
    """The worker process dies while uvicorn loads it (exit code 1: a traceback)."""
    raise RuntimeError("this app cannot be built")
