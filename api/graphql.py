"""The GraphQL endpoint: Strawberry's ASGI app with our per-request context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from loaders.reader import Reader
from loaders.watch import CorpusWatcher
from schema.build import schema
from schema.context import Context


@dataclass
class AppState:
    """What the lifespan opens and the handlers use."""

    reader: Reader | None = None
    watcher: CorpusWatcher | None = None


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, state: AppState) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self.state = state

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        if self.state.reader is None:
            raise RuntimeError("the database is not open (lifespan did not run)")
        return Context(
            db=self.state.reader, request=request, response=response, watcher=self.state.watcher
        )
