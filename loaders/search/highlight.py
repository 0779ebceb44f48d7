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
    body: str | None  # None when the body does not match (or was not asked for)
    with_body: bool = True  # whether `body` was computed


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
    db: Reader, expression: str, ids: Sequence[int], markers: Markers, *, body: bool = True
) -> dict[int, Highlights]:
    """Title and excerpt with every match marked, and with `body` a snippet of the body
    around the best matches (None when the body has none). One statement for all `ids`.

    Without `body` the statement reads neither the body text nor its positions: at
    100,000 articles that is a third of a search's highlighting.
    """
    title, excerpt = _INDEX["title"], _INDEX["excerpt"]
    marks = (OPEN, CLOSE)
    columns = (
        f"rowid, highlight({FTS_TABLE}, {title}, ?, ?), title, "
        f"highlight({FTS_TABLE}, {excerpt}, ?, ?), excerpt"
    )
    params: list[object] = [*marks, *marks]
    if body:
        columns += (
            f", snippet({FTS_TABLE}, {_INDEX['body']}, ?, ?, ?, ?), "
            "instr(body, ?) + instr(body, ?) + instr(body, ?) > 0"
        )
        params += [*marks, ELLIPSIS, markers.snippet_tokens, *_OURS]
    rows = await db.fetch(
        f"SELECT {columns} FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH ? AND rowid IN ({placeholders(ids)})",
        [*params, expression, *ids],
    )
    found: dict[int, Highlights] = {}
    for rowid, h_title, raw_title, h_excerpt, raw_excerpt, *rest in rows:
        shown_body = _snippet(rest[0], rest[1], markers) if body else None
        found[rowid] = Highlights(
            title=_column(h_title, raw_title, markers) or "",
            excerpt=_column(h_excerpt, raw_excerpt, markers),
            body=shown_body,
            with_body=body,
        )
    return found


def _snippet(snippet: str | None, body_has_ours: bool, markers: Markers) -> str | None:
    if snippet is None or OPEN not in snippet:
        return None
    if body_has_ours:
        return _plain(snippet)
    return _render(snippet, markers)
