"""The Node interface: anything with a global ID that `node(id:)` can fetch again."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with a global ID, refetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Global, opaque ID; stable across re-ingests. Pass it to `node(id:)`."
    )


# Providers and topics are few and shared by many articles, so the object made from a
# row is kept and handed out again (`from_row` is cached on the whole row: changed
# content, a renamed provider or a new article count, makes a new object). A page of 20
# articles otherwise made 20 providers and ~30 topics, each encoding its global ID.
SHARED_OBJECTS_KEPT = 4096
