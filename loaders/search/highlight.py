"""Highlights: where the query matched, safe to put into HTML.

FTS5's highlight() and snippet() insert marker strings into the raw text. We ask for
private-use characters as markers, HTML-escape the result, and only then replace them
with the caller's markers: the text is escaped, the markers are not (they are the
caller's own HTML, `<mark>` by default). Text that itself contains one of the
private-use characters we use is returned escaped, without highlights, rather than
with markers nobody put there.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from loaders.db import placeholders
from loaders.reader import Reader
from loaders.search.weights import COLUMNS, FTS_TABLE

OPEN, CLOSE, ELLIPSIS = "\ue000", "\ue001", "\ue002"
_OURS = (OPEN, CLOSE, ELLIPSIS)
_OUR_CHARS = re.compile("[\ue000\ue001\ue002]")
MAX_SNIPPET_TOKENS = 64  # FTS5's own limit
_INDEX = {name: i for i, (name, _) in enumerate(COLUMNS)}


@dataclass(frozen=True, slots=True)
class Markers:
    start: str = "<mark>"
    end: str = "</mark>"
    ellipsis: str = "…"
    snippet_tokens: int = 24


@dataclass(frozen=True, slots=True)
class Highlights:
    title: str
    excerpt: str | None
    body: str | None  # None when the body does not match


def _render(marked: str, markers: Markers) -> str:
    # One pass, so a caller's marker is never itself rewritten.
    table = {OPEN: markers.start, CLOSE: markers.end, ELLIPSIS: markers.ellipsis}
    return _OUR_CHARS.sub(lambda m: table[m.group()], html.escape(marked, quote=True))


def _plain(marked: str) -> str:
    for ch in _OURS:
        marked = marked.replace(ch, "")
    return html.escape(marked, quote=True)


def _column(marked: str | None, raw: str | None, markers: Markers) -> str | None:
    if marked is None:
        return None
    if raw is not None and any(ch in raw for ch in _OURS):
        return html.escape(raw, quote=True)
    return _render(marked, markers)


async def highlights(
    db: Reader, expression: str, ids: Sequence[int], markers: Markers
) -> dict[int, Highlights]:
    """Title and excerpt with every match marked; a snippet of the body around the best
    matches (None when the body has none). One statement for all `ids`."""
    title, excerpt, body = _INDEX["title"], _INDEX["excerpt"], _INDEX["body"]
    marks = (OPEN, CLOSE)
    rows = await db.fetch(
        f"SELECT rowid, highlight({FTS_TABLE}, {title}, ?, ?), title, "
        f"highlight({FTS_TABLE}, {excerpt}, ?, ?), excerpt, "
        f"snippet({FTS_TABLE}, {body}, ?, ?, ?, ?), "
        "instr(body, ?) + instr(body, ?) + instr(body, ?) > 0 "
        f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? AND rowid IN ({placeholders(ids)})",
        [*marks, *marks, *marks, ELLIPSIS, markers.snippet_tokens, *_OURS, expression, *ids],
    )
    found: dict[int, Highlights] = {}
    for rowid, h_title, raw_title, h_excerpt, raw_excerpt, snippet, body_has_ours in rows:
        if snippet is None or OPEN not in snippet:
            shown_body = None
        elif body_has_ours:
            shown_body = _plain(snippet)
        else:
            shown_body = _render(snippet, markers)
        found[rowid] = Highlights(
            title=_column(h_title, raw_title, markers) or "",
            excerpt=_column(h_excerpt, raw_excerpt, markers),
            body=shown_body,
        )
    return found
