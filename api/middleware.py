"""The outermost ASGI layers: a direct route to the GraphQL endpoint, and headers.

/graphql over HTTP is the hot path: it goes straight to the endpoint, which sets
its own headers, without Starlette's routing. Everything else (health, metrics,
websockets, the lifespan) goes to Starlette, with the security headers added.
CORS (Starlette's CORSMiddleware) wraps both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.middleware.cors import CORSMiddleware

from api.replies import SECURITY_HEADERS

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
GRAPHQL_PATH = "/graphql"


class Front:
    def __init__(self, graphql_http: ASGIApp, rest: ASGIApp) -> None:
        self.graphql_http = graphql_http
        self.rest = rest

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.rest(scope, receive, send)
        if scope["path"] == GRAPHQL_PATH:
            return await self.graphql_http(scope, receive, send)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *SECURITY_HEADERS]
            await send(message)

        await self.rest(scope, receive, send_with_headers)


def with_cors(app: ASGIApp, origins: tuple[str, ...]) -> ASGIApp:
    """Browsers on `origins` may call the API (no credentials: it has no cookies)."""
    if not origins:
        return app
    return CORSMiddleware(
        app,  # type: ignore[arg-type]
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=[
            "content-type",
            "accept",
            "if-none-match",
            "x-request-id",
            "apollographql-client-name",
            "apollographql-client-version",
        ],
        expose_headers=["etag", "x-request-id", "x-cache"],
        max_age=86_400,
    )
