"""The search query language, compiled to an FTS5 MATCH expression.

People type; FTS5 parses a language of its own (columns, NEAR, ^, operators, quotes),
where most stray characters are syntax errors. User text therefore never reaches FTS5
as syntax: it is read here into words and phrases, and each one is handed to FTS5 as
a quoted string of letters and digits, joined by operators this module writes.

The language:

- `solar grid`: every word must match (AND), in any column, in any order.
- `"solar grid"`: a phrase, its words next to each other in this order. A quote left
  open runs to the end of the query.
- `regulat*`: words starting with `regulat` (at least 2 letters before the `*`);
  `"machine lear"*` also works, on a phrase's last word.
- `-drone`, `-"press release"`: leave out articles that contain it.
- `cloud OR edge`: either one; `OR` must be upper-case, between two words or phrases,
  and groups tighter than the implicit AND: `grid solar OR wind` is
  `grid AND (solar OR wind)`. Anywhere else `OR` is the word "or".
- A word is a run of letters, digits and combining marks. Punctuation inside a word
  (`e-mail`, `node.js`, `10:30`) makes a phrase of its parts, which is how the text
  was indexed; punctuation elsewhere, `AND`, `NOT`, `NEAR`, `^`, `column:`… are
  plain text. Matching ignores case and diacritics (`Café` = `cafe`); there is no
  stemming (`regulation` does not find `regulations`: use `regulation*`).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
MIN_PREFIX_CHARS = 2
# Characters that end a word the way a space does (other punctuation joins a phrase).
SEPARATORS = frozenset("()[]{}<>,;!?")


class SearchSyntaxError(ValueError):
    """The query cannot be searched; the message says why, in the user's terms."""


def is_token_char(ch: str) -> bool:
    """What FTS5's unicode61 tokenizer (categories L* N* Co M*) keeps in a token."""
    category = unicodedata.category(ch)
    return category[0] in "LNM" or category == "Co"


def tokens_of(text: str) -> list[str]:
    """The runs of token characters in `text`."""
    found: list[str] = []
    current: list[str] = []
    for ch in text:
        if is_token_char(ch):
            current.append(ch)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return found


@dataclass(frozen=True, slots=True)
class Atom:
    """A word (one token) or a phrase (several), optionally a prefix on its last token."""

    tokens: tuple[str, ...]
    prefix: bool = False

    def fts(self) -> str:
        # Tokens hold letters, digits and marks only: no quote can end the string early.
        return '"' + " ".join(self.tokens) + '"' + ("*" if self.prefix else "")

    def text(self) -> str:
        words = " ".join(self.tokens)
        shown = f'"{words}"' if len(self.tokens) > 1 else words
        return shown + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed query: groups that must all match (each matches when any of its atoms
    does), and atoms that must not match."""

    groups: tuple[tuple[Atom, ...], ...]
    excluded: tuple[Atom, ...] = ()

    def expression(self) -> str:
        """The FTS5 MATCH expression."""
        parts = [
            group[0].fts() if len(group) == 1 else "(" + " OR ".join(a.fts() for a in group) + ")"
            for group in self.groups
        ]
        positive = " AND ".join(parts)
        if not self.excluded:
            return positive
        return f"({positive}) NOT ({' OR '.join(a.fts() for a in self.excluded)})"

    def interpretation(self) -> str:
        """The query as it was understood, in the query language."""
        parts = [
            group[0].text() if len(group) == 1 else "(" + " OR ".join(a.text() for a in group) + ")"
            for group in self.groups
        ]
        parts.extend("-" + atom.text() for atom in self.excluded)
        return " ".join(parts)

    def fingerprint(self) -> str:
        """Short, stable name of what the query matches (relevance cursors carry it)."""
        digest = hashlib.sha256(self.expression().casefold().encode()).hexdigest()
        return digest[:12]

    def single_word(self) -> str | None:
        """The word, as the index spells it, when the query is one plain ASCII word.

        Only then is the index spelling certain without asking FTS5 (it lower-cases
        ASCII and leaves it otherwise alone); such queries may use the top lists.
        """
        if len(self.groups) != 1 or len(self.groups[0]) != 1 or self.excluded:
            return None
        atom = self.groups[0][0]
        if len(atom.tokens) != 1 or atom.prefix:
            return None
        token = atom.tokens[0]
        return token.lower() if token.isascii() and token.isalnum() else None


@dataclass(frozen=True, slots=True)
class _Raw:
    """One item as typed: a word chunk or a quoted phrase, before OR is decided."""

    tokens: tuple[str, ...]
    negated: bool
    prefix: bool
    typed: str  # for error messages and to recognize `OR`


def _scan(text: str) -> list[_Raw]:
    items: list[_Raw] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch in SEPARATORS:
            i += 1
            continue
        negated = ch == "-" and i + 1 < n and (text[i + 1] == '"' or is_token_char(text[i + 1]))
        start = i + 1 if negated else i
        if text[start] == '"':
            end = text.find('"', start + 1)
            end = n if end < 0 else end
            body = text[start + 1 : end]
            i = end + 1
            star = i < n and text[i] == "*"
            i += 1 if star else 0
            items.append(_Raw(tuple(tokens_of(body)), negated, star, text[start:i]))
            continue
        end = start
        while end < n and not (text[end].isspace() or text[end] in SEPARATORS or text[end] == '"'):
            end += 1
        chunk = text[start:end]
        i = end
        stem = chunk.rstrip("*")
        star = stem != chunk and bool(stem) and is_token_char(stem[-1])
        items.append(_Raw(tuple(tokens_of(stem)), negated, star, chunk))
    return items


def _atom(raw: _Raw) -> Atom:
    if raw.prefix and len(raw.tokens[-1]) < MIN_PREFIX_CHARS:
        raise SearchSyntaxError(
            f"`{raw.typed[:40]}`: a prefix search needs at least {MIN_PREFIX_CHARS} letters "
            "or digits before `*`"
        )
    return Atom(raw.tokens, raw.prefix)


def _is_or(raw: _Raw) -> bool:
    return raw.typed == "OR" and not raw.negated


def parse_query(text: str) -> SearchQuery:
    """Read a query typed by a person; SearchSyntaxError when nothing can be searched."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchSyntaxError(
            f"the query is {len(text)} characters long; at most {MAX_QUERY_CHARS} are allowed"
        )
    raws = [raw for raw in _scan(text) if raw.tokens]
    if len(raws) > MAX_TERMS:
        raise SearchSyntaxError(
            f"the query has {len(raws)} words and phrases; at most {MAX_TERMS} are allowed"
        )
    groups: list[list[Atom]] = []
    excluded: list[Atom] = []
    joining = False  # the previous item was an OR between two positive items
    for i, raw in enumerate(raws):
        if _is_or(raw) and not joining and groups and not raws[i - 1].negated:
            following = raws[i + 1] if i + 1 < len(raws) else None
            if following is not None and not following.negated and not _is_or(following):
                joining = True
                continue
        if raw.negated:
            excluded.append(_atom(raw))
        elif joining:
            groups[-1].append(_atom(raw))
        else:
            groups.append([_atom(raw)])
        joining = False
    if not groups:
        if excluded:
            raise SearchSyntaxError(
                "every word of the query is excluded with `-`; add a word or phrase to look for"
            )
        raise SearchSyntaxError("the query has no words to search for (letters or digits)")
    return SearchQuery(tuple(tuple(g) for g in groups), tuple(excluded))
