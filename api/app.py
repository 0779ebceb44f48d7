"""The ASGI application: components, routes and lifespan, and nothing else."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute

from api.cors import Cors
from api.endpoint import GraphQLEndpoint
from api.freshness import CorpusVersion
from api.graphql import GraphQLWebSocket
from api.health import healthz, metrics_endpoint, readyz
from api.logs import configure_logging
from api.metrics import Metrics
from api.middleware import ASGIApp, Front
from api.persisted import AllowList, PersistedQueries
from api.settings import Settings
from api.state import AppState
from loaders.reader import Reader
from loaders.watch import CorpusWatcher
from schema.build import Policy


def create_app(settings: Settings | None = None) -> ASGIApp:
    """Build the app; the database opens on startup and closes on shutdown."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.access_log)
    state = AppState()
    policy = Policy(settings.limits, settings.introspection, suggestions=not settings.production)
    metrics = Metrics()
    metrics.watch_corpus(state.corpus)
    allow_list = AllowList.load(settings.allow_list) if settings.allow_list else None
    cors = Cors(settings.cors_origins)
    endpoint = GraphQLEndpoint(
        state,
        CorpusVersion(settings.db, state),
        policy,
        metrics,
        PersistedQueries(settings.persisted_queries, allow_list),
        cache_bytes=settings.response_cache_mb * 2**20,
        max_age=settings.cache_max_age,
        graphiql=settings.graphiql,
        cors=cors,
    )
    websocket = GraphQLWebSocket(state, policy, settings.cors_origins)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.reader = await Reader.open(
            settings.db, settings.read_connections, settings.inline_sql_ms / 1000,
            settings.sql_cache_mb,
        )  # fmt: skip
        state.watcher = CorpusWatcher(state.reader, settings.poll_seconds)
        await state.watcher.start()
        # Everything alive now (modules, the schema, graphql-core's and Strawberry's
        # tables) lives as long as the process. Frozen, the collector stops walking it
        # on every full collection: those walks held up the loop for 30-100 ms every
        # few hundred requests (p99 of a cold feed with one client: 40 ms -> 5 ms).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # what the app held can be collected once it is gone
            await state.watcher.stop()
            await state.reader.close()
            state.reader = state.watcher = None
            metrics.close()

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    routes: list[Any] = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/readyz", readyz(state)),
        WebSocketRoute("/graphql", websocket),
    ]
    if settings.metrics:
        routes.append(Route("/metrics", metrics_endpoint(metrics)))
    rest = Starlette(routes=routes, lifespan=lifespan)
    return Front(endpoint, rest, cors)
