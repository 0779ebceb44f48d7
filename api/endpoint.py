"""The GraphQL HTTP endpoint: a plain ASGI app in front of Strawberry's executor.

Hot path first: a request whose exact bytes (method, media type, body or URL
parameters) were answered before at this corpus version is answered from the
response cache without parsing JSON or GraphQL: a stat() of the database's WAL,
two dictionary lookups, then the prepared bytes and headers. Everything else goes
through the GraphQL-over-HTTP checks (api/protocol.py), persisted queries
(api/persisted.py), the ETag (api/caching.py) and the executor (api/execution.py).
"""

from __future__ import annotations

import hashlib
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
from api.cors import Cors
from api.execution import Executed, Executor
from api.freshness import CorpusVersion
from api.logs import access_log
from api.metrics import Metrics
from api.persisted import PersistedQueries, Refused
from api.protocol import (
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
    json_headers,
    outcome_for,
)
from api.state import AppState
from schema.build import Policy, schema
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


def negotiate_or_json(headers: dict[bytes, bytes]) -> str:
    """The media type for an error reply; JSON when the Accept header is the problem."""
    try:
        return negotiate(headers.get(b"accept"))
    except HttpError:
        return JSON


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
        cors: Cors,
    ) -> None:
        self.versions = versions
        self.limits = policy.limits
        self.metrics = metrics
        self.persisted = persisted
        self.executor = Executor(state, policy)
        self.cors = cors
        self.cache = ResponseCache(cache_bytes)
        self.get_cache_control = (
            b"cache-control",
            b"public, max-age=%d" % max_age if max_age else b"no-cache",
        )
        self.graphiql = get_graphql_ide_html("graphiql").encode() if graphiql else None
        # What decides a response's bytes besides the request and the corpus: the code
        # (through the schema) and the policy. Deterministic across processes; hashed
        # once here, since the schema's text is tens of kilobytes.
        self.salt = hashlib.sha256(orjson.dumps([schema.as_str(), repr(policy)])).digest()
        self._request_ids = itertools.count(1)
        self._request_prefix = secrets.token_hex(4).encode() + b"-"

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers: dict[bytes, bytes] = dict(scope["headers"])
        given = headers.get(b"x-request-id")
        if given and REQUEST_ID.fullmatch(given):
            request_id = given
        else:
            request_id = self._request_prefix + b"%x" % next(self._request_ids)
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
            log.exception("unexpected error", extra={"request_id": request_id.decode()})
            masked = error_json(Code.INTERNAL_SERVER_ERROR, "Unexpected error.")
            reply = errors_reply(500, negotiate_or_json(headers), [masked], "internal")
        reply.headers.append((b"x-request-id", request_id))
        if reply.outcome != "preflight":  # a preflight reply has its CORS headers
            reply.headers.extend(self.cors.headers(headers.get(b"origin")))
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
        if reply.outcome == "rejected":
            for code in set(reply.codes):  # once per request, however many fields failed
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

    async def _handle(
        self, scope: dict[str, Any], receive: Receive, headers: dict[bytes, bytes], rid: bytes
    ) -> Reply:
        method = scope["method"]
        if method == "POST":
            check_content_type(headers.get(b"content-type"))
            media = negotiate(headers.get(b"accept"))
            limit = self.limits.max_body_bytes
            body = await read_body(receive, limit, headers.get(b"content-length"))
            raw: RawKey = ("POST", media, body)
        elif method == "GET":
            query_string: bytes = scope["query_string"]
            if self._wants_ide(query_string, headers):
                return self._ide()
            media = negotiate(headers.get(b"accept"))
            raw = ("GET", media, query_string)
        elif method == "OPTIONS" and (preflight := self.cors.preflight(headers)):
            return Reply(preflight[0], b"", preflight[1], "preflight")
        else:
            message = f"{method} is not supported: send queries with GET or POST"
            allow = ((b"allow", b"GET, POST"),)
            raise HttpError(405, Code.METHOD_NOT_ALLOWED, message, allow)
        version = await self.versions.get()
        self.cache.sync(version)
        entry = self.cache.by_raw(raw)
        if entry is not None:  # the hot path
            return self._from_cache(entry, method, headers, None)
        operation = parse_post(body) if method == "POST" else parse_get(query_string)
        if isinstance(operation, list):
            return await self._batch(operation, media, rid, version)
        return await self._single(operation, method, media, raw, headers, rid, version)

    async def _single(
        self,
        op: Operation,
        method: str,
        media: str,
        raw: RawKey,
        headers: dict[bytes, bytes],
        rid: bytes,
        version: int,
    ) -> Reply:
        resolved = self._resolve(op, media)
        if isinstance(resolved, Executed):
            return self._reply(resolved, media)
        query, digest = resolved
        key = canonical_key(self.salt, version, media, digest, op.operation_name, op.variables)
        etag = etag_for(version, key)
        if_none_match = headers.get(b"if-none-match")
        if if_none_match and etag_matches(if_none_match, etag):
            return self._not_modified(etag, op.operation_name)
        if self.cache.enabled:
            entry = self.cache.get(key)
            if entry is not None:
                self.cache.alias(raw, key)
                return self._from_cache(entry, method, headers, op.operation_name)
            self.metrics.cache.labels("miss").inc()
        executed = await self.executor.run(op, query, method, media, rid, version)
        if not executed.cacheable:
            return self._reply(executed, media)
        entry = Entry(etag, orjson.dumps(executed.payload), media, executed.operation)
        if self.cache.enabled and self.cache.store(version, raw, key, entry):
            self.metrics.cache.labels("stored").inc()
            self.metrics.cache_bytes.set(self.cache.bytes)
            self.metrics.cache_entries.set(len(self.cache))
        return self._from_cache(entry, method, headers, executed.operation, hit=False)

    def _resolve(self, op: Operation, media: str) -> tuple[str, str] | Executed:
        """The document to run and its SHA-256, or why the request cannot run."""
        try:
            resolved = self.persisted.resolve(op.query, op.extensions)
        except ValueError:
            message = (
                "missing `query`: send the GraphQL document in `query`, or a persisted "
                "query's hash in `extensions.persistedQuery`"
            )
            raise HttpError(400, Code.BAD_REQUEST, message) from None
        except Refused as refused:
            if refused.code == Code.PERSISTED_QUERY_NOT_FOUND:
                self.metrics.persisted.labels("miss").inc()
            # Like Apollo Server: no `data` key, whatever the media type.
            error = error_json(refused.code, refused.message)
            status = refused.http_status or (200 if media == JSON else 400)
            payload = {"errors": [error]}
            return Executed(status, payload, "request_error", op.operation_name)
        if op.extensions and "persistedQuery" in op.extensions:
            self.metrics.persisted.labels("hit" if op.query is None else "registered").inc()
        return resolved

    async def _batch(self, ops: list[Operation], media: str, rid: bytes, version: int) -> Reply:
        """Apollo-style batching: one JSON array in, one out; run in order, not cached."""
        if len(ops) > self.limits.max_operations:
            message = (
                f"the batch has {len(ops)} operations; the limit is "
                f"{self.limits.max_operations}: send fewer per request"
            )
            raise HttpError(400, Code.TOO_MANY_OPERATIONS, message)
        results: list[dict[str, Any]] = []
        codes: list[str] = []
        for op in ops:
            try:
                resolved = self._resolve(op, media)
                if isinstance(resolved, Executed):
                    executed = resolved
                else:
                    executed = await self.executor.run(op, resolved[0], "POST", media, rid, version)
                payload = executed.payload
            except HttpError as error:
                payload = {"errors": [error_json(error.code, error.message)]}
            codes.extend(e["extensions"]["code"] for e in payload.get("errors", ()))
            results.append(payload)
        body = orjson.dumps(results)
        outcome = outcome_for(tuple(codes), "field_error" if codes else "ok")
        headers = json_headers(media, body, NO_STORE)
        return Reply(200, body, headers, outcome, "batch", tuple(codes))

    # -- replies -----------------------------------------------------------------------

    def _reply(self, executed: Executed, media: str) -> Reply:
        body = orjson.dumps(executed.payload)
        headers = json_headers(media, body, NO_STORE)
        return Reply(
            executed.status, body, headers, executed.outcome, executed.operation, executed.codes
        )

    def _not_modified(self, etag: bytes, operation: str | None) -> Reply:
        self.metrics.cache.labels("not_modified").inc()
        headers = [(b"etag", etag), VARY, *SECURITY_HEADERS]
        return Reply(304, b"", headers, "not_modified", operation)

    def _from_cache(
        self,
        entry: Entry,
        method: str,
        headers: dict[bytes, bytes],
        operation: str | None,
        *,
        hit: bool = True,
    ) -> Reply:
        if hit:
            if_none_match = headers.get(b"if-none-match")
            if if_none_match and etag_matches(if_none_match, entry.etag):
                return self._not_modified(entry.etag, operation or entry.operation)
            self.metrics.cache.labels("hit").inc()
        before = entry.size
        body, gzipped = entry.encoded(accepts_gzip(headers.get(b"accept-encoding")))
        if entry.size != before:
            self.cache.grew(entry, before)
        template = entry.headers.get((method, gzipped))
        if template is None:
            template = self._success_headers(entry, method, body, gzipped)
            entry.headers[(method, gzipped)] = template
        cache_header = (b"x-cache", b"HIT" if hit else b"MISS")
        outcome = "cache_hit" if hit else "ok"
        return Reply(200, body, [*template, cache_header], outcome, operation or entry.operation)

    def _success_headers(self, entry: Entry, method: str, body: bytes, gzipped: bool) -> Headers:
        if method == "GET":
            cache_control = self.get_cache_control
        else:  # POST responses are not stored by shared caches; clients may revalidate
            cache_control = (b"cache-control", b"no-cache")
        extra = [(b"etag", entry.etag), cache_control, VARY]
        if gzipped:
            extra.append((b"content-encoding", b"gzip"))
        return json_headers(entry.media, body, *extra)

    @staticmethod
    def _wants_ide(query_string: bytes, headers: dict[bytes, bytes]) -> bool:
        if b"query=" in query_string or b"extensions=" in query_string:
            return False
        return b"text/html" in headers.get(b"accept", b"")

    def _ide(self) -> Reply:
        if self.graphiql is None:
            message = "GraphiQL is switched off on this server: send a `query` parameter"
            raise HttpError(404, Code.BAD_REQUEST, message)
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", b"%d" % len(self.graphiql)),
            NO_STORE,
            *SECURITY_HEADERS,
        ]
        return Reply(200, self.graphiql, headers, "graphiql")
