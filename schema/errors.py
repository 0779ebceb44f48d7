"""Errors that clients are meant to read, and the stable codes they carry.

Anything raised in a resolver that is not a `PublicError` is masked as
"Unexpected error." (see schema/build.py), so SQL, paths and stack traces never
reach a client. Codes are stable API: clients branch on `extensions.code`, and
every error a client can receive carries one of the codes below.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class Code:
    """Every `extensions.code` newsgraph sends (README: "Errors")."""

    # The document and its variables
    PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_USER_INPUT = "BAD_USER_INPUT"  # also variables that do not fit their types
    OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    # Limits, one code each
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
    TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
    TOO_MANY_OPERATIONS = "TOO_MANY_OPERATIONS"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    PAGE_SIZE_OUT_OF_RANGE = "PAGE_SIZE_OUT_OF_RANGE"
    SQL_TIME_BUDGET_EXCEEDED = "SQL_TIME_BUDGET_EXCEEDED"
    # Arguments
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_ID = "INVALID_ID"
    # HTTP requests that are not GraphQL-over-HTTP requests
    BAD_REQUEST = "BAD_REQUEST"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    OPERATION_NOT_SUPPORTED = "OPERATION_NOT_SUPPORTED"
    # Persisted queries
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
    # Everything else
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class PublicError(Exception):
    """A client mistake, explained; `code` goes to `extensions.code`."""

    code = Code.BAD_USER_INPUT

    def __init__(self, message: str, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.extensions: dict[str, Any] = {"code": self.code, **details}


class InvalidCursor(PublicError):
    code = Code.INVALID_CURSOR


class InvalidId(PublicError):
    code = Code.INVALID_ID


class PageSizeError(PublicError):
    code = Code.PAGE_SIZE_OUT_OF_RANGE


def request_error(message: str, code: str, **details: Any) -> GraphQLError:
    """An error about the request as a whole (no `path`): it stops execution."""
    return GraphQLError(message, extensions={"code": code, **details})


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
