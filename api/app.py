"""The ASGI application: routes, lifespan, and nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute

from api.graphql import AppState, GraphQLApp
from api.settings import Settings
from loaders.reader import Reader
from loaders.watch import CorpusWatcher


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app; the database opens on startup and closes on shutdown."""
    settings = settings or Settings.from_env()
    state = AppState()
    graphql = GraphQLApp(state)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.reader = await Reader.open(settings.db, settings.read_connections)
        state.watcher = CorpusWatcher(state.reader, settings.poll_seconds)
        await state.watcher.start()
        try:
            yield
        finally:
            await state.watcher.stop()
            await state.reader.close()
            state.reader = state.watcher = None

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    return Starlette(
        routes=[
            Route("/", home),
            Route("/healthz", healthz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
