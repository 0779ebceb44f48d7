"""Frontmatter written as one-line-per-value block YAML, parsed line by line.

Publishers' frontmatter is block YAML with one value per line: `key: value`, `key:`
over an indented block, `- item` and `- key: value` items; values plain, or quoted
on one line. For such text the line structure says everything: this module splits
the lines with string methods (C loops) and builds the value from them, resolving
and constructing plain scalars with PyYAML's own resolver and constructors, so the
result is the one `yaml.load(text, Loader=CSafeLoader)` returns: 69 us for a synthetic
article here, against 112 us through plain_yaml.py's libyaml events and 211 us through
`yaml.load` (52, 80 and 145 us for the real corpus's articles). The parse processes alone
get through 100,000 synthetic files in 11.7 s instead of 14.6.

Anything beyond that shape - flow collections, block scalars (`|`, `>`), values
spread over lines, comments, anchors, aliases, tags, document markers, tabs, quoted
or complex keys, escapes libyaml would refuse, text past the limits - makes `load`
return UNUSUAL and the caller takes the next path (plain_yaml, then PyYAML). The
rules are conservative on purpose: each refusal costs a few microseconds, each
wrong answer would be a silently different article. tests/loaders/test_block_yaml.py
compares with PyYAML on every fixture, the real corpus and generated line soups.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

import yaml
from yaml.nodes import ScalarNode

UNUSUAL: Final = object()

_LOADER: Final = yaml.CSafeLoader("") if hasattr(yaml, "CSafeLoader") else None
# First characters of plain scalars that some resolver may turn into a non-string.
_TYPED_STARTS: Final = _LOADER.yaml_implicit_resolvers if _LOADER else {}
STR_TAG: Final = "tag:yaml.org,2002:str"
# Tags an untagged plain scalar can resolve to whose constructors only read the scalar.
PLAIN_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")
)

# Characters YAML reads as printable and not as line breaks; everything else (tabs,
# CR, NEL, U+2028/9, the BOM, C0 and C1 controls, surrogates) goes the ordinary way.
_UNFAMILIAR: Final = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# The ASCII characters _UNFAMILIAR lets through, as bytes (for bytes.translate).
_FAMILIAR_ASCII: Final = bytes([0x0A, *range(0x20, 0x7F)])


def _unfamiliar(text: str) -> bool:
    """Whether `text` has a character _UNFAMILIAR matches. For ASCII text (nearly all
    frontmatter) deleting the familiar bytes in C is five times faster than the regex."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _FAMILIAR_ASCII))
    return _UNFAMILIAR.search(text) is not None


# First characters of a plain scalar that make it something else (indicators).
_INDICATORS: Final = frozenset("\"'&*!|>%@`{}[],#?:-")
_SIGNS: Final = frozenset("0123456789.")  # `-5`, `-.5`: numbers, not list items
MAX_KEY = 1024  # libyaml's limit on an implicit key

# One escape of a double-quoted scalar, or a quote that would end it early.
_ESCAPE: Final = re.compile(r'\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.?))|"')
_REPLACEMENTS: Final = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "N": "\x85",
    "_": "\xa0", "L": "\u2028", "P": "\u2029",
}  # fmt: skip


def _reads_slash_escape() -> bool:
    """Whether libyaml reads `\\/` (since 0.2.1; an older one refuses it)."""
    try:
        return _LOADER is not None and yaml.load('"\\/"', Loader=yaml.CSafeLoader) == "/"
    except yaml.YAMLError:
        return False


if _reads_slash_escape():
    _REPLACEMENTS["/"] = "/"

# Resolved values of short plain scalars: keys and flags recur in every file.
_RESOLVED: dict[str, Any] = {}
_RESOLVED_KEPT: Final = 4096  # of at most 16 characters: not every date
_NONE: Final = object()
# Each text before a `: ` and its key (or _NONE): the same few keys open most lines.
_KEYS: dict[str, Any] = {}
_KEY_KEPT_LENGTH: Final = 64


class _Unusual(Exception):
    """The text needs the next path."""


# A line: (indent, columns taken by `- ` or 0, key or _NONE, value text or "").
# (A key can be None itself: `null: x`.)
_Line = tuple[int, int, Any, str]


def load(text: str, *, max_values: int, max_depth: int) -> Any:
    """The value `yaml.load(text, Loader=yaml.CSafeLoader)` returns, or UNUSUAL.

    A result is never bigger than `max_values` values nor deeper than `max_depth`
    containers (the limits the ordinary path checks after loading).
    """
    if _LOADER is None or _LOADER.yaml_implicit_resolvers is not _TYPED_STARTS:
        return UNUSUAL  # a resolver was added since import: the first characters changed
    if None in _TYPED_STARTS or "\n---" in text or "\n..." in text:
        return UNUSUAL  # document starts and ends
    if "#" in text and (" #" in text or "\n#" in text or text.startswith("#")):
        return UNUSUAL  # comments (one search for a character is several times cheaper)
    if text.startswith(("---", "...")) or _unfamiliar(text):
        return UNUSUAL
    try:
        lines = _lines(text)
        # Each line adds at most three values as parse.py counts them (`- key: value`:
        # a list item and a mapping entry), plus one for the document.
        if not lines or 3 * len(lines) + 1 > max_values:
            return UNUSUAL
        end, value = _block(lines, 0, lines[0][0], max_depth)
    except _Unusual:
        return UNUSUAL
    return value if end == len(lines) else UNUSUAL


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    append = lines.append
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if not body:
            continue  # blank lines separate nothing in block YAML
        indent = len(line) - len(body)
        if body[-1] == " ":
            body = body.rstrip(" ")
        dash = 0
        if body[0] == "-":
            if body == "-":
                append((indent, 1, _NONE, ""))
                continue
            if body[1] == " ":
                rest = body[2:].lstrip(" ")
                dash = len(body) - len(rest)
                body = rest
        colon = body.find(": ")
        if colon > 0:
            key, value = body[:colon], body[colon + 2 :].lstrip(" ")
        elif body[-1] == ":":
            key, value = body[:-1], ""
        else:
            append((indent, dash, _NONE, body))
            continue
        resolved = _KEYS.get(key, _NONE)
        if resolved is _NONE:
            resolved = _key(key)
        if resolved is _NONE:
            append((indent, dash, _NONE, body))  # a value with a colon: the parse decides
        else:
            append((indent, dash, resolved, value))
    return lines


def _block(lines: list[_Line], at: int, indent: int, depth: int) -> tuple[int, Any]:
    if lines[at][1]:
        return _sequence(lines, at, indent, depth)
    return _mapping(lines, at, indent, depth)


def _mapping(lines: list[_Line], at: int, indent: int, depth: int) -> tuple[int, Any]:
    if depth <= 0:
        raise _Unusual
    mapping: dict[Any, Any] = {}
    count = len(lines)
    while at < count:
        line_indent, dash, key, text = lines[at]
        if line_indent != indent:
            if line_indent > indent:
                raise _Unusual  # a value continued on the next line, or stray indentation
            break
        if dash or key is _NONE:
            raise _Unusual
        at += 1
        if text:
            mapping[key] = _scalar(text)
        elif at < count and lines[at][0] > indent:
            at, mapping[key] = _block(lines, at, lines[at][0], depth - 1)
        elif at < count and lines[at][0] == indent and lines[at][1]:
            at, mapping[key] = _sequence(lines, at, indent, depth - 1)  # `key:` over `- x`
        else:
            mapping[key] = None
    return at, mapping


def _sequence(lines: list[_Line], at: int, indent: int, depth: int) -> tuple[int, Any]:
    if depth <= 0:
        raise _Unusual
    sequence: list[Any] = []
    count = len(lines)
    while at < count:
        line_indent, dash, key, text = lines[at]
        if line_indent != indent or not dash:
            if line_indent > indent:
                raise _Unusual
            break
        if key is not _NONE:  # `- key: value` opens a mapping at the key's column
            lines[at] = (indent + dash, 0, key, text)
            at, item = _mapping(lines, at, indent + dash, depth - 1)
            sequence.append(item)
            continue
        at += 1
        if text:
            sequence.append(_scalar(text))
        elif at < count and lines[at][0] > indent:
            at, item = _block(lines, at, lines[at][0], depth - 1)
            sequence.append(item)
        else:
            sequence.append(None)
    return at, sequence


def _scalar(text: str) -> Any:
    first = text[0]
    if first == '"':
        if len(text) < 2 or text[-1] != '"':
            raise _Unusual  # continued on the next line, or followed by something
        inner = text[1:-1]
        if "\\" in inner:
            return _ESCAPE.sub(_unescape, inner)
        if '"' in inner:
            raise _Unusual
        return inner
    if first == "'":
        if len(text) < 2 or text[-1] != "'":
            raise _Unusual
        inner = text[1:-1]
        if "'" in inner:
            if "'" in inner.replace("''", ""):
                raise _Unusual
            inner = inner.replace("''", "'")
        return inner
    if first in _INDICATORS and not (first == "-" and len(text) > 1 and text[1] in _SIGNS):
        raise _Unusual
    if ": " in text or text[-1] == ":":
        raise _Unusual  # a mapping inside a value: an error PyYAML words itself
    return _plain(text)


def _key(text: str) -> Any:
    """The value of a plain key made of ASCII letters, digits and `_`, or _NONE."""
    plain = text.isidentifier() and text.isascii() and len(text) <= MAX_KEY
    key = _plain(text) if plain else _NONE
    if len(text) <= _KEY_KEPT_LENGTH and len(_KEYS) < _RESOLVED_KEPT:
        _KEYS[text] = key  # short texts only: a value may put any text before its `: `
    return key


# A moment to the second in UTC, as publishers write them (`2021-02-16T03:47:00Z`): an
# ASCII-digit text that YAML's timestamp resolver takes and whose fields are in range.
_UTC_SECOND: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
)


def _plain(text: str) -> Any:
    """A plain scalar's value: a string, or what PyYAML's resolver makes of it."""
    if text[0] not in _TYPED_STARTS:
        return text  # no resolver starts with this character: a string
    if len(text) == 20 and _UTC_SECOND.fullmatch(text):
        # PyYAML's datetime (UTC-aware, timezone.utc) built in C: 0.4 instead of 4.9 us,
        # and an article has one or more (its own, its references'). An impossible day
        # (February 30) fails as it does in PyYAML.
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise _Unusual from None
    value = _RESOLVED.get(text, _NONE)
    if value is not _NONE:
        return value
    assert _LOADER is not None
    tag = _LOADER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if tag == STR_TAG:
        value = text
    elif tag in PLAIN_TAGS:
        try:
            value = _LOADER.yaml_constructors[tag](_LOADER, ScalarNode(tag, text))
        except Exception:  # a date like 2021-13-45: the ordinary path words the error
            raise _Unusual from None
    else:
        raise _Unusual  # merge keys, `=`, tags we do not build
    if len(text) <= 16 and len(_RESOLVED) < _RESOLVED_KEPT:
        _RESOLVED[text] = value  # values are immutable: ints, floats, dates, bools
    return value


def _unescape(match: re.Match[str]) -> str:
    hex_digits = match.group(1) or match.group(2) or match.group(3)
    if hex_digits is not None:
        code = int(hex_digits, 16)
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise _Unusual  # libyaml refuses surrogates
        return chr(code)
    escaped = match.group(4)
    if escaped is None or escaped not in _REPLACEMENTS:
        raise _Unusual  # a bare quote, an unknown escape, or a backslash at the end
    return _REPLACEMENTS[escaped]
