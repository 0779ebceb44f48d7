"""Highlights: where the query matched, safe to put into HTML.

FTS5's highlight() and snippet() insert marker strings into the raw text. We ask for
private-use characters as markers, HTML-escape the result, and only then replace them
with the caller's markers: the text is escaped, the markers are not (they are the
caller's own HTML, `<mark>` by default). Text that itself contains one of the
private-use characters we use is returned escaped, without highlights, rather than
with markers nobody put there.

Title and excerpt of a query made of one group of alternatives (`word`, `"a phrase"`,
`prefix*`, `(a OR b)`) are marked without the corpus index: which of their words
FTS5 marks then depends on those two texts alone (any occurrence of any alternative),
so a scratch FTS5 table in memory holding just the page's titles and excerpts marks
exactly the same words. Asking the corpus index instead seeks every hit in the
word's doclist, and a word in half of 100,000 articles has a long one: 0.7 ms for a
page, against about 0.2 ms here whatever the corpus size. Queries with AND or NOT
(a title's words are marked only when the whole article matches) use the index.

When the texts are ASCII (common punctuation such as curly quotes and dashes
allowed) and the alternatives are ASCII words or prefixes, tokenizing needs no
Unicode tables: a token is a run of ASCII letters and digits, compared without case.
Those pages are marked in Python (about 30 us for a page's titles and excerpts, against
140 us in the scratch table); tests compare both ways on generated texts.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from loaders.db import placeholders
from loaders.reader import Reader
from loaders.rows import Row
from loaders.search.weights import COLUMNS, FTS_TABLE, TOKENIZER

OPEN, CLOSE, ELLIPSIS = "\ue000", "\ue001", "\ue002"
_OURS = (OPEN, CLOSE, ELLIPSIS)
_OUR_CHARS = re.compile("[\ue000\ue001\ue002]")
MAX_SNIPPET_TOKENS = 64  # FTS5's own limit
_INDEX = {name: i for i, (name, _) in enumerate(COLUMNS)}
# One group of quoted alternatives, as SearchQuery.expression() writes it (tokens hold
# letters, digits and marks only, so no quote appears inside one).
_ONE_GROUP = re.compile(r'"[^"]*"\*?|\("[^"]*"\*?(?: OR "[^"]*"\*?)+\)')


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
    escaped = html.escape(marked, quote=True)
    return _replacer(markers)(escaped) if _OUR_CHARS.search(escaped) else escaped


@lru_cache(maxsize=256)
def _replacer(markers: Markers) -> Callable[[str], str]:
    """Our private-use markers → the caller's, in one pass when a caller's marker holds
    one of them (so that it is never itself rewritten), else by three replacements."""
    start, end, ellipsis = markers.start, markers.end, markers.ellipsis
    if _OUR_CHARS.search(start + end + ellipsis):
        table = {OPEN: start, CLOSE: end, ELLIPSIS: ellipsis}
        return lambda text: _OUR_CHARS.sub(lambda match: table[match.group()], text)
    return lambda text: text.replace(OPEN, start).replace(CLOSE, end).replace(ELLIPSIS, ellipsis)


def _plain(marked: str) -> str:
    for ch in _OURS:
        marked = marked.replace(ch, "")
    return html.escape(marked, quote=True)


def _column(marked: str | None, raw: str | None, markers: Markers) -> str | None:
    if marked is None:
        return None
    if raw is not None and _OUR_CHARS.search(raw):
        return html.escape(raw, quote=True)
    return _render(marked, markers)


async def highlights(
    db: Reader,
    expression: str,
    ids: Sequence[int],
    markers: Markers,
    *,
    body: bool = True,
    scratch: bool = True,
) -> dict[int, Highlights]:
    """Title and excerpt with every match marked, and with `body` a snippet of the body
    around the best matches (None when the body has none). One statement for all `ids`.

    Without `body` the statement reads neither the body text nor its positions, and
    when the query allows it (see the module) the marking happens in a scratch table
    (`scratch=False` always asks the corpus index: tests compare the two).
    """
    if not body and scratch and _ONE_GROUP.fullmatch(expression):
        return await _marked_without_index(db, expression, ids, markers)
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
    return {
        rowid: _shown(
            (h_title, raw_title),
            (h_excerpt, raw_excerpt),
            markers,
            _snippet(rest[0], rest[1], markers) if body else None,
            with_body=body,
        )
        for rowid, h_title, raw_title, h_excerpt, raw_excerpt, *rest in rows
    }


def _shown(
    title: tuple[str | None, str | None],
    excerpt: tuple[str | None, str | None],
    markers: Markers,
    body: str | None,
    *,
    with_body: bool,
) -> Highlights:
    """Highlights from (marked, raw) title and excerpt texts."""
    return Highlights(
        title=_column(*title, markers) or "",
        excerpt=_column(*excerpt, markers),
        body=body,
        with_body=with_body,
    )


# The tokenizer's separators among non-ASCII characters that titles use often
# (categories P* and Z*, outside 'L* N* Co M*' in every Unicode version).
_PLAIN_SEPARATORS = "\u00a0\u00ab\u00bb\u2013\u2014\u2018\u2019\u201c\u201d\u2026"
_PLAIN_TEXT = re.compile(f"[\\x00-\\x7f{_PLAIN_SEPARATORS}]*")
_ASCII_ALTERNATIVE = re.compile(r'"([A-Za-z0-9]+)"(\*?)')


Alternatives = tuple[tuple[str, bool], ...]  # (lower-case token, whether a prefix)


@lru_cache(maxsize=256)
def _ascii_alternatives(expression: str) -> Alternatives | None:
    """The alternatives of a one-group expression when each is one ASCII token (a word
    or a prefix); else None."""
    found = _ASCII_ALTERNATIVE.findall(expression)
    inner = expression[1:-1] if expression.startswith("(") else expression
    if not found or " OR ".join(f'"{w}"{star}' for w, star in found) != inner:
        return None
    return tuple((w.lower(), bool(star)) for w, star in found)


def _in_token(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _marked_in_python(alternatives: Alternatives, text: str | None) -> str | None:
    """What FTS5's highlight() gives for a plain text (see _PLAIN_TEXT): each token (a
    run of ASCII letters and digits) equal to a word or starting with a prefix, without
    case, between OPEN and CLOSE. Found with str.find: a regular expression with the
    token boundaries scanned four times slower."""
    if text is None:
        return None
    lowered = text.lower()  # as long as `text`: plain text is ASCII and punctuation
    end_of_text = len(lowered)
    spans: list[tuple[int, int]] = []
    for token, is_prefix in alternatives:
        start = lowered.find(token)
        while start >= 0:
            end = start + len(token)
            if start == 0 or not _in_token(lowered[start - 1]):
                if is_prefix:
                    while end < end_of_text and _in_token(lowered[end]):
                        end += 1
                    spans.append((start, end))
                elif end == end_of_text or not _in_token(lowered[end]):
                    spans.append((start, end))
            start = lowered.find(token, end)
    if not spans:
        return text
    parts: list[str] = []
    done = 0
    for start, end in sorted(spans):
        if start >= done:  # two alternatives can match one token
            parts += (text[done:start], OPEN, text[start:end], CLOSE)
            done = end
    parts.append(text[done:])
    return "".join(parts)


def _is_plain(text: str | None) -> bool:
    return text is None or _PLAIN_TEXT.fullmatch(text) is not None


class _Scratch(threading.local):
    """Each thread's in-memory FTS5 table, with the corpus index's columns and tokenizer
    (sqlite3 connections belong to the thread that made them)."""

    conn: sqlite3.Connection | None = None

    def table(self) -> sqlite3.Connection:
        if self.conn is None:
            conn = sqlite3.connect(":memory:", isolation_level=None)
            names = ", ".join(name for name, _ in COLUMNS)
            conn.execute(
                f"CREATE VIRTUAL TABLE scratch USING fts5({names}, tokenize = {TOKENIZER})"
            )
            self.conn = conn
        return self.conn


_SCRATCH = _Scratch()


async def _marked_without_index(
    db: Reader, expression: str, ids: Sequence[int], markers: Markers
) -> dict[int, Highlights]:
    """Titles and excerpts of a one-group query, marked in Python when they are plain
    and the alternatives ASCII tokens, else in the scratch table."""
    rows = await db.fetch(
        f"SELECT id, title, excerpt FROM article_content WHERE id IN ({placeholders(ids)})",
        list(ids),
    )
    alternatives = _ascii_alternatives(expression)
    if alternatives is not None and all(_is_plain(r[1]) and _is_plain(r[2]) for r in rows):
        marked = {
            rowid: (
                _marked_in_python(alternatives, title),
                _marked_in_python(alternatives, excerpt),
            )
            for rowid, title, excerpt in rows
        }
    else:
        marked = _marked_in_scratch(expression, rows)
    found: dict[int, Highlights] = {}
    for rowid, raw_title, raw_excerpt in rows:
        h_title, h_excerpt = marked.get(rowid, (raw_title, raw_excerpt))  # nothing to mark
        found[rowid] = _shown(
            (h_title, raw_title), (h_excerpt, raw_excerpt), markers, None, with_body=False
        )
    return found


def _marked_in_scratch(
    expression: str, rows: Sequence[Row]
) -> dict[int, tuple[str | None, str | None]]:
    """(marked title, marked excerpt) of the rows (id, title, excerpt) that match."""
    conn = _SCRATCH.table()
    title, excerpt = _INDEX["title"], _INDEX["excerpt"]
    conn.execute("BEGIN")
    try:  # filled, read and rolled back: the table is empty between pages
        conn.executemany("INSERT INTO scratch (rowid, title, excerpt) VALUES (?, ?, ?)", rows)
        return {
            rowid: (h_title, h_excerpt)
            for rowid, h_title, h_excerpt in conn.execute(
                f"SELECT rowid, highlight(scratch, {title}, ?, ?), "
                f"highlight(scratch, {excerpt}, ?, ?) FROM scratch WHERE scratch MATCH ?",
                (OPEN, CLOSE, OPEN, CLOSE, expression),
            )
        }
    finally:
        conn.execute("ROLLBACK")


def _snippet(snippet: str | None, body_has_ours: bool, markers: Markers) -> str | None:
    if snippet is None or OPEN not in snippet:
        return None
    if body_has_ours:
        return _plain(snippet)
    return _render(snippet, markers)
