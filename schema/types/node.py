"""The Node interface: anything with a global ID that `node(id:)` can fetch again."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with a global ID, refetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Global, opaque ID; stable across re-ingests. Pass it to `node(id:)`."
    )
