"""Counting the SQL statements a read runs (batching is proved by counts).

FTS5 runs statements of its own on its shadow tables (and SQLite reports them through
the same trace callback); they belong to one statement of ours, so they are left out.
"""

from __future__ import annotations


class StatementCounter:
    def __init__(self) -> None:
        self.traced: list[str] = []

    def __call__(self, sql: str) -> None:
        self.traced.append(sql)

    @property
    def statements(self) -> list[str]:
        """The statements our code ran (not those FTS5 ran inside them)."""
        return [s for s in self.traced if not s.startswith("--") and "'main'." not in s]

    def clear(self) -> None:
        self.traced.clear()
