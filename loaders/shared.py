"""Rows of the small tables most pages show (providers, topics), kept across requests.

A page of 20 cards names a dozen providers and topics out of a few hundred; reading
them for every request cost a statement each (about a tenth of a cold topic page at
100,000 articles). These rows change only when an ingest commits, and every ingest
that changes anything moves the corpus version, so a store filled at one version is
as good as the database for every request at that version:

- a request gets the store only for the version it observed (`for_version`); the
  store empties when a request observes a newer one, and a request still running at
  an older version gets none (it reads the database, as it always did);
- only rows found are kept (a slug that names nothing is asked again), and the store
  empties when it holds `max_rows`, so clients cannot grow it without bound.

A request may read a row committed just after the version it observed (its statements
are separate read transactions); that row can be kept under the older version, which
only requests already running at that version can see, and they could have read it
themselves. Nothing here knows GraphQL.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

DEFAULT_MAX_ROWS = 100_000


class SharedRows:
    """Per table, rows by key, valid for one corpus version."""

    def __init__(self, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        self.max_rows = max_rows
        self.version: int | None = None
        self._tables: dict[str, dict[Hashable, Any]] = {}
        self._rows = 0

    def for_version(self, version: int | None) -> SharedRows | None:
        """This store for a request that observed `version`; None when it cannot serve it."""
        if version is None or version < 0:
            return None
        if self.version is None or version > self.version:
            self.clear()
            self.version = version
        return self if version == self.version else None

    def table(self, name: str) -> dict[Hashable, Any]:
        """The rows of one table by key (read it; add through `keep`)."""
        return self._tables.setdefault(name, {})

    def keep(self, name: str, rows: dict[Any, Any]) -> None:
        """Remember rows read from the database at this version."""
        if self._rows + len(rows) > self.max_rows:
            version = self.version
            self.clear()
            self.version = version
        table = self.table(name)
        before = len(table)
        table.update(rows)
        self._rows += len(table) - before

    def clear(self) -> None:
        self._tables.clear()
        self._rows = 0
        self.version = None

    def __len__(self) -> int:
        return self._rows
