"""Subscriptions (and any operation) over websockets at /graphql: Strawberry's ASGI view.

HTTP requests to /graphql never reach it: api/endpoint.py answers them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.replies import format_error
from api.state import AppState
from schema.build import Policy, schema
from schema.context import Context


class GraphQLWebSocket(GraphQL[Context, None]):
    def __init__(self, state: AppState, policy: Policy, allowed_origins: tuple[str, ...]) -> None:
        # Browsers may open websockets from the origins they may call the API from.
        super().__init__(schema, graphql_ide=None, allowed_origins=allowed_origins)
        self.state = state
        self.policy = policy

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        if self.state.reader is None:
            raise RuntimeError("the database is not open (lifespan did not run)")
        return Context(
            db=self.state.reader,
            request=request,
            response=response,
            watcher=self.state.watcher,
            limits=self.policy.limits,
            introspection=self.policy.introspection,
            suggestions=self.policy.suggestions,
        )

    async def process_result(
        self, request: Request | WebSocket, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """The same error objects, with codes, as over HTTP."""
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [format_error(e) for e in result.errors]
        return response
