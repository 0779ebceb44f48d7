"""The typed context every resolver receives as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from loaders.reader import Reader
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

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db)


Info = strawberry.Info[Context, None]
