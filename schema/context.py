"""The typed context every resolver receives as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from loaders.reader import Reader
from loaders.shared import SharedRows
from loaders.watch import CorpusWatcher
from schema.dataloaders import Loaders
from schema.limits import DEFAULT_LIMITS, Limits


@dataclass
class Context:
    db: Reader
    loaders: Loaders = field(init=False)
    request: Any = None  # starlette Request or WebSocket; None when executed directly
    response: Any = None
    watcher: CorpusWatcher | None = None  # set by the server; subscriptions need it
    limits: Limits = DEFAULT_LIMITS
    # Set by the server: how documents are checked (schema/build.py) and logged.
    request_id: str | None = None  # in the server log next to any unexpected error
    introspection: bool = True  # False: `__schema` and `__type` are refused
    suggestions: bool = True  # False: no "Did you mean …?" in error messages
    prepared: Any = None  # a schema.build.Prepared the server already checked
    # Providers and topics kept across requests of the corpus version this request
    # observed (loaders/shared.py); None: every row is read for this request.
    shared_rows: SharedRows | None = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.shared_rows)


Info = strawberry.Info[Context, None]
