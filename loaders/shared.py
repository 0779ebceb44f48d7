"""What requests of one corpus version can share: rows of the small tables most pages
show (providers, topics), and counts over whole lists (facets, totals).

A page of 20 cards names a dozen providers and topics out of a few hundred; reading
them for every request cost a statement each (about a tenth of a cold topic page at
100,000 articles). A facet of a large list counts every article of it (20-50 ms for a
topic of 19,000 at 100,000 articles), and each page of that list asks for the same
counts again. These change only when an ingest commits, and every ingest
that changes anything moves the corpus version, so a store filled at one version is
as good as the database for every request at that version:

- a request gets the store only for the version it observed (`for_version`); the
  store empties when a request observes a newer one, and a request still running at
  an older version gets none (it reads the database, as it always did);
- only rows found are kept (a slug that names nothing is asked again), and the store
  empties when it holds `max_rows` (a kept facet counts as its values), so clients
  cannot grow it without bound.

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

    def keep(self, name: str, rows: dict[Any, Any], weight: int | None = None) -> None:
        """Remember rows read from the database at this version. `weight`: what they
        count against `max_rows` (default: one each, rows known already not again)."""
        if self._rows + (len(rows) if weight is None else weight) > self.max_rows:
            version = self.version
            self.clear()
            self.version = version
        table = self.table(name)
        before = len(table)
        table.update(rows)
        self._rows += len(table) - before if weight is None else weight

    def clear(self) -> None:
        self._tables.clear()
        self._rows = 0
        self.version = None

    def __len__(self) -> int:
        return self._rows
