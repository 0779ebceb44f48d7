"""What the lifespan opens and the request handlers use."""

from __future__ import annotations

from dataclasses import dataclass

from loaders.reader import Reader
from loaders.watch import CorpusState, CorpusWatcher


@dataclass
class AppState:
    reader: Reader | None = None
    watcher: CorpusWatcher | None = None

    def corpus(self) -> CorpusState | None:
        """The corpus state this process serves (polled; None before startup)."""
        return self.watcher.current if self.watcher is not None else None
