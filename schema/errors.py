"""Errors that clients are meant to read.

Anything raised in a resolver that is not a `PublicError` is masked as
"Unexpected error." (see schema/build.py), so SQL, paths and stack traces never
reach a client. Codes are stable API: clients branch on `extensions.code`.
"""

from __future__ import annotations

from typing import Any


class PublicError(Exception):
    """A client mistake, explained; `code` goes to `extensions.code`."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.extensions: dict[str, Any] = {"code": self.code}


class InvalidCursor(PublicError):
    code = "INVALID_CURSOR"


class InvalidId(PublicError):
    code = "INVALID_ID"


class PageSizeError(PublicError):
    code = "PAGE_SIZE_OUT_OF_RANGE"


def checked_text(value: str, argument: str) -> str:
    """`value` unchanged, or a client error when it cannot be encoded as UTF-8 (lone
    surrogates survive JSON decoding but not the trip into SQLite)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PublicError(f"`{argument}` is not valid Unicode text") from None
    return value


class InvalidFilter(PublicError):
    code = "INVALID_FILTER"


class InvalidOrder(PublicError):
    code = "INVALID_ORDER"


class InvalidPagination(PublicError):
    code = "INVALID_PAGINATION"
