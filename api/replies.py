"""What the GraphQL endpoint sends: error objects with codes, bodies and headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError

from api.protocol import CONTENT_TYPES
from schema.errors import Code

Headers = list[tuple[bytes, bytes]]

# Every response: no MIME sniffing, no framing, no referrer; the JSON responses also
# forbid the browser from loading anything on their behalf.
SECURITY_HEADERS: Headers = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
JSON_SECURITY_HEADERS: Headers = [
    *SECURITY_HEADERS,
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
VARY = (b"vary", b"Accept, Accept-Encoding")
NO_STORE = (b"cache-control", b"no-store")
LIMIT_CODES = frozenset(
    {
        Code.QUERY_TOO_DEEP,
        Code.TOO_MANY_ALIASES,
        Code.TOO_MANY_TOKENS,
        Code.TOO_MANY_DIRECTIVES,
        Code.TOO_MANY_OPERATIONS,
        Code.REQUEST_TOO_LARGE,
        Code.QUERY_TOO_COSTLY,
        Code.PAGE_SIZE_OUT_OF_RANGE,
        Code.SQL_TIME_BUDGET_EXCEEDED,
    }
)


@dataclass(slots=True)
class Reply:
    """A response and what the access log and metrics say about it."""

    status: int
    body: bytes
    headers: Headers
    outcome: str  # ok, cache_hit, not_modified, field_error, request_error, rejected, …
    operation: str | None = None
    codes: tuple[str, ...] = ()


def format_error(error: GraphQLError) -> dict[str, Any]:
    """The error as JSON, with a code whichever part of the stack raised it.

    Errors without one are variable-coercion failures (no path: the caller's input)
    or masked server errors (a path: the server's fault).
    """
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = formatted.get("extensions")
    if not extensions or "code" not in extensions:
        code = Code.BAD_USER_INPUT if error.path is None else Code.INTERNAL_SERVER_ERROR
        formatted["extensions"] = {**(extensions or {}), "code": code}
    return formatted


def error_json(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **details}}


def json_headers(media: str, body: bytes, *extra: tuple[bytes, bytes]) -> Headers:
    return [
        (b"content-type", CONTENT_TYPES[media]),
        (b"content-length", b"%d" % len(body)),
        *extra,
        *JSON_SECURITY_HEADERS,
    ]


def errors_reply(
    status: int,
    media: str,
    errors: list[dict[str, Any]],
    outcome: str,
    operation: str | None = None,
    *,
    data_key: bool = False,
    extra: tuple[tuple[bytes, bytes], ...] = (),
) -> Reply:
    """A response carrying only errors; `data_key` adds `"data": null` (legacy JSON)."""
    payload: dict[str, Any] = {"data": None, "errors": errors} if data_key else {"errors": errors}
    body = orjson.dumps(payload)
    codes = tuple(e["extensions"]["code"] for e in errors)
    return Reply(
        status, body, json_headers(media, body, NO_STORE, *extra), outcome, operation, codes
    )


def outcome_for(codes: tuple[str, ...], default: str) -> str:
    return "rejected" if any(code in LIMIT_CODES for code in codes) else default
