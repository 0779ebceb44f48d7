"""The outermost ASGI layer: a direct route to the GraphQL endpoint, and headers.

/graphql over HTTP is the hot path: it goes straight to the endpoint, which sets
its own headers (CORS included), without Starlette's routing or middleware.
Everything else (health, metrics, websockets, the lifespan) goes to Starlette,
with the security and CORS headers added here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from api.cors import Cors
from api.replies import SECURITY_HEADERS

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
GRAPHQL_PATH = "/graphql"


class Front:
    def __init__(self, graphql_http: ASGIApp, rest: ASGIApp, cors: Cors) -> None:
        self.graphql_http = graphql_http
        self.rest = rest
        self.cors = cors

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.rest(scope, receive, send)
        if scope["path"] == GRAPHQL_PATH:
            return await self.graphql_http(scope, receive, send)
        headers: dict[bytes, bytes] = dict(scope["headers"])
        if scope["method"] == "OPTIONS" and (preflight := self.cors.preflight(headers)):
            status, extra = preflight
            await send({"type": "http.response.start", "status": status, "headers": extra})
            await send({"type": "http.response.body", "body": b""})
            return
        added = [*SECURITY_HEADERS, *self.cors.headers(headers.get(b"origin"))]

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.rest(scope, receive, send_with_headers)
