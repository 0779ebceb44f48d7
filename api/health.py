"""/healthz (the process answers), /readyz (the database answers) and /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.metrics import CONTENT_TYPE, Metrics
from api.state import AppState
from loaders.watch import read_state

READY_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


def readyz(state: AppState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        """Ready when the database can be read; says which corpus version is served."""
        served = state.corpus()
        try:
            if state.reader is None or served is None:
                raise RuntimeError("not started")
            current = await asyncio.wait_for(read_state(state.reader), READY_TIMEOUT_SECONDS)
        except Exception:  # locked, missing or broken: not ready, whatever the reason
            return JSONResponse(
                {"status": "unavailable", "reason": "the database cannot be read"},
                status_code=503,
                headers={"cache-control": "no-store"},
            )
        return JSONResponse(
            {
                "status": "ready",
                "corpusVersion": served.version,
                "databaseVersion": current.version,
            },
            headers={"cache-control": "no-store"},
        )

    return endpoint


def metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return Response(
            metrics.render(), media_type=CONTENT_TYPE, headers={"cache-control": "no-store"}
        )

    return endpoint
