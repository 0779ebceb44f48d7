"""The GraphQL HTTP endpoint: a plain ASGI app in front of Strawberry's executor.

Hot path first: a request whose exact bytes (method, media type, body or URL
parameters) were answered before at this corpus version is answered from the
response cache without parsing JSON or GraphQL: one dictionary lookup, then the
prepared bytes. Everything else goes through the GraphQL-over-HTTP checks
(api/protocol.py), persisted queries (api/persisted.py), the ETag (api/caching.py),
the prepared-document cache (schema/build.py) and finally `schema.execute`.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from strawberry.http.ides import get_graphql_ide_html

from api.caching import (
    Entry,
    RawKey,
    ResponseCache,
    accepts_gzip,
    canonical_key,
    etag_for,
    etag_matches,
)
from api.freshness import CorpusVersion
from api.logs import access_log
from api.metrics import Metrics
from api.persisted import PersistedQueries, Refused
from api.protocol import (
    GRAPHQL_RESPONSE,
    JSON,
    HttpError,
    Operation,
    check_content_type,
    negotiate,
    parse_get,
    parse_post,
)
from api.replies import (
    NO_STORE,
    SECURITY_HEADERS,
    VARY,
    Headers,
    Reply,
    error_json,
    errors_reply,
    format_error,
    json_headers,
    outcome_for,
    request_error_status,
)
from api.state import AppState
from schema.build import Policy, Prepared, prepare, schema
from schema.context import Context
from schema.errors import Code

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
log = logging.getLogger("newsgraph.errors")


class ClientGone(Exception):
    """The client disconnected before its request body arrived."""


async def read_body(receive: Receive, limit: int, declared: bytes | None) -> bytes:
    """The request body; 413 as soon as it is known to be over `limit` bytes."""
    too_large = HttpError(
        413,
        Code.REQUEST_TOO_LARGE,
        f"the request body is over the limit of {limit} bytes: send a shorter query "
        "(persisted queries send only a hash)",
    )
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        if not message.get("more_body"):
            return b"".join(chunks) + chunk if chunks else chunk
        chunks.append(chunk)


class GraphQLEndpoint:
    def __init__(
        self,
        state: AppState,
        versions: CorpusVersion,
        policy: Policy,
        metrics: Metrics,
        persisted: PersistedQueries,
        *,
        cache_bytes: int,
        max_age: int,
        graphiql: bool,
    ) -> None:
        self.state = state
        self.versions = versions
        self.policy = policy
        self.limits = policy.limits
        self.metrics = metrics
        self.persisted = persisted
        self.cache = ResponseCache(cache_bytes)
        self.get_cache_control = (
            b"cache-control",
            b"public, max-age=%d" % max_age if max_age else b"no-cache",
        )
        self.graphiql = get_graphql_ide_html("graphiql").encode() if graphiql else None
        # Deterministic: what else besides the request decides a response's bytes.
        self.salt = orjson.dumps([schema.as_str(), repr(policy)])
        self._request_ids = itertools.count(1)
        self._request_prefix = secrets.token_hex(4).encode() + b"-"

    # -- ASGI ----------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers: dict[bytes, bytes] = dict(scope["headers"])
        given = headers.get(b"x-request-id")
        request_id = (
            given
            if given and REQUEST_ID.fullmatch(given)
            else (self._request_prefix + b"%x" % next(self._request_ids))
        )
        try:
            reply = await self._handle(scope, receive, headers, request_id)
        except HttpError as error:
            reply = errors_reply(
                error.status,
                negotiate_or_json(headers),
                [error_json(error.code, error.message)],
                outcome_for((error.code,), "http_error"),
                extra=error.headers,
            )
        except ClientGone:
            return
        except Exception:
            log.exception(
                "unexpected error answering a request", extra={"request_id": request_id.decode()}
            )
            reply = errors_reply(
                500,
                negotiate_or_json(headers),
                [error_json(Code.INTERNAL_SERVER_ERROR, "Unexpected error.")],
                "internal",
            )
        reply.headers.append((b"x-request-id", request_id))
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
        )
        await send({"type": "http.response.body", "body": reply.body})
        self._record(scope, reply, request_id, time.perf_counter() - started)

    def _record(
        self, scope: dict[str, Any], reply: Reply, request_id: bytes, seconds: float
    ) -> None:
        metrics = self.metrics
        metrics.count_request(reply.operation, reply.outcome)
        metrics.observe_latency(seconds)
        for code in reply.codes:
            if reply.outcome == "rejected":
                metrics.rejections.labels(code).inc()
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "request",
                extra={
                    "request_id": request_id.decode(),
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": reply.status,
                    "operation": reply.operation,
                    "outcome": reply.outcome,
                    "duration_ms": round(seconds * 1000, 3),
                    "bytes": len(reply.body),
                },
            )

    # -- the pipeline --------------------------------------------------------------

    async def _handle(
        self,
        scope: dict[str, Any],
        receive: Receive,
        headers: dict[bytes, bytes],
        request_id: bytes,
    ) -> Reply:
        method = scope["method"]
        if method == "POST":
            check_content_type(headers.get(b"content-type"))
            media = negotiate(headers.get(b"accept"))
            body = await read_body(
                receive, self.limits.max_body_bytes, headers.get(b"content-length")
            )
            raw: RawKey = ("POST", media, body)
        elif method == "GET":
            query_string: bytes = scope["query_string"]
            if self._wants_ide(query_string, headers):
                return self._ide()
            media = negotiate(headers.get(b"accept"))
            raw = ("GET", media, query_string)
        else:
            raise HttpError(
                405,
                Code.METHOD_NOT_ALLOWED,
                f"{method} is not supported: send queries with GET or POST",
                ((b"allow", b"GET, POST"),),
            )
        version = await self.versions.get()
        cache = self.cache
        cache.sync(version)
        entry = cache.by_raw(raw) if cache.enabled else None
        if entry is not None:  # the hot path
            return self._cached(entry, method, headers, None)
        operation = parse_post(raw[2]) if method == "POST" else parse_get(raw[2])
        if isinstance(operation, list):
            return await self._batch(operation, media, request_id)
        return await self._single(operation, method, media, raw, headers, request_id, version)

    async def _single(
        self,
        op: Operation,
        method: str,
        media: str,
        raw: RawKey,
        headers: dict[bytes, bytes],
        request_id: bytes,
        version: int,
    ) -> Reply:
        resolved = self._resolve(op, media)
        if isinstance(resolved, Reply):
            return resolved
        query, digest = resolved
        key = canonical_key(self.salt, version, media, digest, op.operation_name, op.variables)
        etag = etag_for(version, key)
        if_none_match = headers.get(b"if-none-match")
        if if_none_match and etag_matches(if_none_match, etag):
            self.metrics.cache.labels("not_modified").inc()
            return Reply(
                304,
                b"",
                [(b"etag", etag), VARY, *SECURITY_HEADERS],
                "not_modified",
                op.operation_name,
            )
        if self.cache.enabled:
            entry = self.cache.get(key)
            if entry is not None:
                self.cache.alias(raw, key)
                return self._cached(entry, method, headers, op.operation_name)
            self.metrics.cache.labels("miss").inc()
        status, payload, cacheable, name = await self._run(op, query, method, media, request_id)
        body = orjson.dumps(payload)
        if not cacheable:
            codes = tuple(e["extensions"]["code"] for e in payload.get("errors", ()))
            outcome = outcome_for(
                codes, "field_error" if "data" in payload and status == 200 else "request_error"
            )
            return Reply(status, body, json_headers(media, body, NO_STORE), outcome, name, codes)
        entry = Entry(etag, body, media)
        if self.cache.enabled and self.cache.store(version, raw, key, entry):
            self.metrics.cache.labels("stored").inc()
            self.metrics.cache_bytes.set(self.cache.bytes)
            self.metrics.cache_entries.set(len(self.cache))
        reply = self._cached(entry, method, headers, name, hit=False)
        return reply

    def _resolve(self, op: Operation, media: str) -> tuple[str, str] | Reply:
        """The document to run and its SHA-256, or the reply refusing the request."""
        try:
            resolved = self.persisted.resolve(op.query, op.extensions)
        except ValueError:
            raise HttpError(
                400,
                Code.BAD_REQUEST,
                "missing `query`: send the GraphQL document "
                "in `query`, or a persisted query's hash in "
                "`extensions.persistedQuery`",
            ) from None
        except Refused as refused:
            if refused.code == Code.PERSISTED_QUERY_NOT_FOUND:
                self.metrics.persisted.labels("miss").inc()
            status = refused.http_status or request_error_status(media)
            return errors_reply(
                status,
                media,
                [error_json(refused.code, refused.message)],
                "request_error",
                op.operation_name,
            )
        if op.extensions and "persistedQuery" in op.extensions:
            self.metrics.persisted.labels("hit" if op.query is None else "registered").inc()
        return resolved

    async def _run(
        self, op: Operation, query: str, method: str, media: str, request_id: bytes
    ) -> tuple[int, dict[str, Any], bool, str | None]:
        """Prepare and execute one operation: (status, payload, cacheable, operation name)."""
        prepared = prepare(query, self.policy)
        name = op.operation_name or _single_name(prepared)
        if not prepared.ok:
            return self._request_errors(media, [format_error(e) for e in prepared.errors], name)
        kind = prepared.operation_type(op.operation_name)
        if kind is None:
            message = (
                f"the document has no operation named {op.operation_name!r}"
                if op.operation_name
                else "the document has several operations: say which to run in `operationName`"
            )
            return (
                400,
                {"errors": [error_json(Code.OPERATION_RESOLUTION_FAILURE, message)]},
                False,
                name,
            )
        if kind != "query" and method == "GET":
            raise HttpError(
                405,
                Code.METHOD_NOT_ALLOWED,
                f"a {kind} cannot be sent with GET: send it with POST",
                ((b"allow", b"POST"),),
            )
        if kind == "subscription":
            return (
                400,
                {
                    "errors": [
                        error_json(
                            Code.OPERATION_NOT_SUPPORTED,
                            "subscriptions are served over a websocket at "
                            "/graphql (graphql-transport-ws or graphql-ws)",
                        )
                    ]
                },
                False,
                name,
            )
        result = await self._execute(op, query, prepared, request_id)
        if not result.errors:
            return 200, {"data": result.data}, kind == "query", name
        errors = [format_error(e) for e in result.errors]
        if result.data is None and all(e.path is None for e in result.errors):
            return self._request_errors(media, errors, name)
        return 200, {"data": result.data, "errors": errors}, False, name

    @staticmethod
    def _request_errors(
        media: str, errors: list[dict[str, Any]], name: str | None
    ) -> tuple[int, dict[str, Any], bool, str | None]:
        """Errors before execution: no `data` under the spec's media type (400)."""
        if media == GRAPHQL_RESPONSE:
            return 400, {"errors": errors}, False, name
        return 200, {"data": None, "errors": errors}, False, name

    async def _execute(
        self, op: Operation, query: str, prepared: Prepared, request_id: bytes
    ) -> Any:
        state = self.state
        assert state.reader is not None, "the lifespan did not open the database"
        context = Context(
            db=state.reader,
            watcher=state.watcher,
            limits=self.limits,
            request_id=request_id.decode(),
            introspection=self.policy.introspection,
            suggestions=self.policy.suggestions,
            prepared=prepared,
        )
        return await schema.execute(
            query,
            variable_values=op.variables,
            context_value=context,
            operation_name=op.operation_name,
        )

    async def _batch(self, ops: list[Operation], media: str, request_id: bytes) -> Reply:
        """Apollo-style batching: one JSON array in, one out; not cached, run in order."""
        if len(ops) > self.limits.max_operations:
            raise HttpError(
                400,
                Code.TOO_MANY_OPERATIONS,
                f"the batch has {len(ops)} operations; the limit is "
                f"{self.limits.max_operations}: send fewer per request",
            )
        results: list[dict[str, Any]] = []
        codes: list[str] = []
        for op in ops:
            try:
                resolved = self._resolve(op, media)
                if isinstance(resolved, Reply):
                    payload = orjson.loads(resolved.body)
                else:
                    _, payload, _, _ = await self._run(op, resolved[0], "POST", media, request_id)
            except HttpError as error:
                payload = {"errors": [error_json(error.code, error.message)]}
            codes.extend(e["extensions"]["code"] for e in payload.get("errors", ()))
            results.append(payload)
        body = orjson.dumps(results)
        outcome = outcome_for(tuple(codes), "field_error" if codes else "ok")
        return Reply(200, body, json_headers(media, body, NO_STORE), outcome, "batch", tuple(codes))

    # -- replies -----------------------------------------------------------------------

    def _cached(
        self,
        entry: Entry,
        method: str,
        headers: dict[bytes, bytes],
        operation: str | None,
        *,
        hit: bool = True,
    ) -> Reply:
        gzip_ok = accepts_gzip(headers.get(b"accept-encoding"))
        if_none_match = headers.get(b"if-none-match")
        if hit:
            if if_none_match and etag_matches(if_none_match, entry.etag):
                self.metrics.cache.labels("not_modified").inc()
                return Reply(
                    304,
                    b"",
                    [(b"etag", entry.etag), VARY, *SECURITY_HEADERS],
                    "not_modified",
                    operation,
                )
            self.metrics.cache.labels("hit").inc()
        before = entry.size
        body, gzipped = entry.encoded(gzip_ok)
        if entry.size != before:
            self.cache.grew(entry, before)
        template = entry.headers.get((method, gzipped))
        if template is None:
            template = entry.headers[(method, gzipped)] = self._success_headers(
                entry, method, body, gzipped
            )
        outcome = "cache_hit" if hit else "ok"
        return Reply(
            200, body, [*template, (b"x-cache", b"HIT" if hit else b"MISS")], outcome, operation
        )

    def _success_headers(self, entry: Entry, method: str, body: bytes, gzipped: bool) -> Headers:
        cache_control = (
            self.get_cache_control if method == "GET" else (b"cache-control", b"no-cache")
        )
        extra: list[tuple[bytes, bytes]] = [(b"etag", entry.etag), cache_control, VARY]
        if gzipped:
            extra.append((b"content-encoding", b"gzip"))
        return json_headers(entry.media, body, *extra)

    def _wants_ide(self, query_string: bytes, headers: dict[bytes, bytes]) -> bool:
        if query_string and (b"query=" in query_string or b"extensions=" in query_string):
            return False
        accept = headers.get(b"accept", b"")
        return b"text/html" in accept

    def _ide(self) -> Reply:
        if self.graphiql is None:
            raise HttpError(
                404,
                Code.BAD_REQUEST,
                "GraphiQL is switched off on this server; send a `query` parameter",
            )
        return Reply(
            200,
            self.graphiql,
            [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", b"%d" % len(self.graphiql)),
                NO_STORE,
                *SECURITY_HEADERS,
            ],
            "graphiql",
        )


def _single_name(prepared: Prepared) -> str | None:
    return prepared.operations[0][0] if len(prepared.operations) == 1 else None


def negotiate_or_json(headers: dict[bytes, bytes]) -> str:
    """The media type for an error reply; JSON when the Accept header is the problem."""
    try:
        return negotiate(headers.get(b"accept"))
    except HttpError:
        return JSON
