"""The root Subscription type (GraphQL over websockets: graphql-transport-ws and graphql-ws)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from schema.context import Info
from schema.errors import PublicError
from schema.types.corpus import Corpus


@strawberry.type(description="Live updates, pushed over a websocket.")
class Subscription:
    @strawberry.subscription(
        description="Emits the corpus each time an ingest changes it (from any process "
        "sharing the database), starting with the next change."
    )
    async def corpus_updated(self, info: Info) -> AsyncGenerator[Corpus, None]:
        watcher = info.context.watcher
        if watcher is None:
            raise PublicError("subscriptions are not available here", "UNAVAILABLE")
        async for state in watcher.updates():
            yield Corpus.from_state(state)
