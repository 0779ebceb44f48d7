"""Opaque global IDs and cursors.

Both are URL-safe base64 of a small text, so clients cannot depend on their
contents and we can change them: a global ID is `Type:key` (an article's path,
a provider's domain, a topic's slug, all stable across re-ingests); a cursor is
`kind:value:value`, where `kind` names the connection and order it belongs to,
so a cursor from another list is refused instead of silently misread.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

import orjson

from schema.errors import InvalidCursor, InvalidId

NODE_TYPES = ("Article", "Provider", "Topic")


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(token: str) -> str | None:
    try:
        padded = token + "=" * (-len(token) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None


def global_id(type_name: str, key: str) -> str:
    return _encode(f"{type_name}:{key}")


def parse_global_id(token: str) -> tuple[str, str]:
    """(type name, key) of a global ID; InvalidId when it is not one of ours."""
    text = _decode(token)
    type_name, _, key = (text or "").partition(":")
    if type_name not in NODE_TYPES or not key:
        raise InvalidId(f"'{token[:80]}' is not a valid newsgraph ID")
    return type_name, key


def encode_cursor(kind: str, *values: int | str) -> str:
    return _encode(":".join([kind, *(str(v) for v in values)]))


def decode_cursor(token: str, kind: str, count: int) -> list[str]:
    """The `count` values of a cursor made by encode_cursor(kind, ...)."""
    text = _decode(token)
    parts = (text or "").split(":", count)
    if len(parts) != count + 1 or parts[0] != kind:
        raise InvalidCursor(
            f"'{token[:80]}' is not a cursor of this list; pass an `endCursor` "
            "or `cursor` returned by the same field"
        )
    return parts[1:]


INT64 = (-(2**63), 2**63 - 1)  # what SQLite can compare against


def _cursor_int(value: str, token: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = INT64[1] + 1
    if not INT64[0] <= number <= INT64[1]:
        raise InvalidCursor(f"'{token[:80]}' is a damaged cursor")
    return number


def decode_int_cursor(token: str, kind: str) -> tuple[int, int]:
    values = decode_cursor(token, kind, 2)
    return _cursor_int(values[0], token), _cursor_int(values[1], token)


def decode_count_cursor(token: str, kind: str) -> tuple[int, str]:
    """(article count, key) of an entity-list cursor."""
    values = decode_cursor(token, kind, 2)
    return _cursor_int(values[0], token), values[1]


ARTICLE_CURSOR_KIND = "a"


def encode_article_cursor(signature: str, position: tuple[Any, ...]) -> str:
    """A position in an article list ordered by `signature` (see loaders.query.ordering).

    Every edge of a page makes one, so the values are written by orjson (a tenth of
    json.dumps's time); json.loads reads them back.
    """
    return _encode(f"{ARTICLE_CURSOR_KIND}:{signature}:{orjson.dumps(position).decode()}")


def decode_article_cursor(token: str, signature: str, types: list[type]) -> tuple[Any, ...]:
    """The position of an article cursor; it must come from a list in the same order."""
    text = _decode(token) or ""
    kind, _, rest = text.partition(":")
    made_for, _, values = rest.partition(":")
    if kind != ARTICLE_CURSOR_KIND:
        raise InvalidCursor(
            f"'{token[:80]}' is not a cursor of an article list; pass an `endCursor`, "
            "`startCursor` or edge `cursor` returned by an article connection"
        )
    if made_for != signature:
        raise InvalidCursor(
            f"'{token[:80]}' is a cursor of a list in another order ({made_for or '?'}); "
            f"pass the same `orderBy` as the request that returned it ({signature} now)"
        )
    try:
        position = json.loads(values)
    except ValueError:
        position = None
    if not isinstance(position, list) or len(position) != len(types):
        raise InvalidCursor(f"'{token[:80]}' is a damaged cursor")
    for value, kind_of in zip(position, types, strict=True):
        if not _fits(value, kind_of):
            raise InvalidCursor(f"'{token[:80]}' is a damaged cursor")
    return tuple(position)


def _fits(value: object, kind: type) -> bool:
    if kind is int:
        return type(value) is int and INT64[0] <= value <= INT64[1]
    if kind is float:
        return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]
    if kind is str:
        return isinstance(value, str) and _encodable(value)
    return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
