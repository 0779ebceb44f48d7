"""GraphQL over HTTP: what a request asks for, read from its method, headers and body.

Follows the GraphQL-over-HTTP specification: `application/json` request bodies,
`query`/`operationName`/`variables`/`extensions` parameters (URL-encoded for GET),
and content negotiation between `application/graphql-response+json` (4xx for
requests that cannot run, no `data` key) and the legacy `application/json` (200).
A JSON array of such objects is a batch (Apollo's transport batching).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson

from schema.errors import Code

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
CONTENT_TYPES = {
    JSON: b"application/json",
    GRAPHQL_RESPONSE: b"application/graphql-response+json; charset=utf-8",
}
_ACCEPT_MEMO_SIZE = 256


class HttpError(Exception):
    """A request refused before any GraphQL runs: its status, code and message."""

    def __init__(
        self, status: int, code: str, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


@dataclass(slots=True)
class Operation:
    """One GraphQL request: the parameters of the spec (one element of a batch)."""

    query: str | None
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


def _bad(message: str) -> HttpError:
    return HttpError(400, Code.BAD_REQUEST, message)


def _q(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def _negotiate(accept: str) -> str | None:
    """The response media type for an Accept header; None when neither JSON type fits.

    `*/*` and `application/*` select `application/json` (what legacy clients and
    browsers expect); `application/graphql-response+json` is chosen only when named,
    and wins a tie.
    """
    graphql_q = json_q = wildcard_q = 0.0
    for item in accept.split(","):
        media, *params = item.split(";")
        media = media.strip().lower()
        if media == GRAPHQL_RESPONSE:
            graphql_q = max(graphql_q, _q(params))
        elif media == JSON:
            json_q = max(json_q, _q(params))
        elif media in ("*/*", "application/*"):
            wildcard_q = max(wildcard_q, _q(params))
    json_q = json_q or wildcard_q
    if graphql_q > 0 and graphql_q >= json_q:
        return GRAPHQL_RESPONSE
    return JSON if json_q > 0 else None


_accept_memo: dict[bytes, str | None] = {}


def negotiate(accept: bytes | None) -> str:
    """The media type to answer with; 406 when the client accepts neither JSON type.

    Clients send few distinct Accept headers, so answers are remembered per header.
    """
    if not accept:
        return JSON  # the spec: a missing Accept header means application/json
    try:
        media = _accept_memo[accept]
    except KeyError:
        media = _negotiate(accept.decode("latin-1"))
        if len(_accept_memo) < _ACCEPT_MEMO_SIZE:
            _accept_memo[accept] = media
    if media is None:
        raise HttpError(
            406,
            Code.NOT_ACCEPTABLE,
            f"cannot answer in any type the Accept header names ({accept[:100]!r}): accept "
            f"{GRAPHQL_RESPONSE} or {JSON}",
        )
    return media


_json_content_types: set[bytes] = set()


def check_content_type(content_type: bytes | None) -> None:
    """POST bodies must be JSON in UTF-8; anything else is 415."""
    if content_type in _json_content_types:
        return
    _check_content_type(content_type.decode("latin-1") if content_type else None)
    if content_type is not None and len(_json_content_types) < _ACCEPT_MEMO_SIZE:
        _json_content_types.add(content_type)


def _check_content_type(content_type: str | None) -> None:
    media, *params = (content_type or "").split(";")
    if media.strip().lower() != JSON:
        raise HttpError(
            415,
            Code.UNSUPPORTED_MEDIA_TYPE,
            f"send the request body as {JSON} (got {(content_type or 'no content type')[:100]!r})",
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise HttpError(415, Code.UNSUPPORTED_MEDIA_TYPE, "the body must be UTF-8")


def _operation(data: Any) -> Operation:
    if not isinstance(data, dict):
        raise _bad("each operation must be a JSON object with a `query` string")
    query = data.get("query")
    if query is not None and not isinstance(query, str):
        raise _bad("`query` must be a string (a GraphQL document)")
    name = data.get("operationName")
    if name is not None and not isinstance(name, str):
        raise _bad("`operationName` must be a string or null")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise _bad("`variables` must be a JSON object or null")
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise _bad("`extensions` must be a JSON object or null")
    return Operation(query, name, variables, extensions)


def parse_post(body: bytes) -> Operation | list[Operation]:
    """The operation (or batch) of a POST body."""
    if not body.strip():
        raise _bad("the request body is empty: send a JSON object with a `query`")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _bad(f"the request body is not valid JSON: {exc}") from None
    if isinstance(data, list):
        if not data:
            raise _bad("an empty batch: send at least one operation")
        return [_operation(item) for item in data]
    return _operation(data)


def _json_param(name: str, text: str | None) -> Any:
    if text is None or text == "":
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _bad(f"`{name}` must be URL-encoded JSON") from None


def parse_get(query_string: bytes) -> Operation:
    """The operation in a GET request's URL parameters."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True):
        params.setdefault(name, value)
    return _operation(
        {
            "query": params.get("query") or None,
            "operationName": params.get("operationName") or None,
            "variables": _json_param("variables", params.get("variables")),
            "extensions": _json_param("extensions", params.get("extensions")),
        }
    )
