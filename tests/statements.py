"""Counting the SQL statements a read runs (batching is proved by counts).

`Reader.set_trace` reports each statement our code fetches, once, with its parameters,
whether it ran on the event loop or moved to a pool thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class StatementCounter:
    def __init__(self) -> None:
        self.traced: list[tuple[str, Sequence[Any]]] = []

    def __call__(self, sql: str, params: Sequence[Any]) -> None:
        self.traced.append((sql, params))

    @property
    def statements(self) -> list[str]:
        return [sql for sql, _ in self.traced]

    def clear(self) -> None:
        self.traced.clear()
