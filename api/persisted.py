"""Persisted queries: Apollo's automatic protocol, and an allow-list of documents.

Automatic persisted queries (APQ): a client sends `extensions.persistedQuery =
{version: 1, sha256Hash}` without the query; an unknown hash is answered with
`PersistedQueryNotFound` (the message Apollo clients look for), and the client
resends the query with its hash, which registers it. Registrations live in each
process (a bounded LRU); another worker or replica answers NotFound once and the
client's retry registers the query there too.

Allow-list mode (`--allow-list FILE`): only the documents in the file run, sent by
id/hash or in full; nothing is registered. Every process reads the same file.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from schema.errors import Code

APQ_MAX_ENTRIES = 10_000
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # Apollo clients match this exact text
NOT_SUPPORTED_MESSAGE = "PersistedQueryNotSupported"


class Refused(Exception):
    """A persisted-query request that cannot run, as a GraphQL error (code, message)."""

    def __init__(self, code: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status  # None: the media type decides (200 or 400)


class AllowListError(Exception):
    """The allow-list file cannot be used."""


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AllowList:
    by_id: dict[str, tuple[str, str]]  # id, and sha256 → (document, its sha256)

    @classmethod
    def load(cls, path: Path) -> AllowList:
        """An Apollo persisted-query manifest, or a JSON object of id → document (Relay)."""
        try:
            data = orjson.loads(path.read_bytes())
        except OSError as exc:
            raise AllowListError(f"cannot read the allow-list {path}: {exc.strerror}") from None
        except orjson.JSONDecodeError as exc:
            raise AllowListError(f"the allow-list {path} is not JSON: {exc}") from None
        pairs: list[tuple[Any, Any]]
        if isinstance(data, dict) and isinstance(data.get("operations"), list):
            pairs = [
                (op.get("id"), op.get("body")) if isinstance(op, dict) else (None, None)
                for op in data["operations"]
            ]
        elif isinstance(data, dict):
            pairs = list(data.items())
        else:
            raise AllowListError(f"the allow-list {path} must be a JSON object")
        by_id: dict[str, tuple[str, str]] = {}
        for number, (op_id, body) in enumerate(pairs, 1):
            if not isinstance(op_id, str) or not isinstance(body, str):
                raise AllowListError(
                    f"the allow-list {path}: entry {number} needs a string id and body"
                )
            digest = sha256_hex(body)
            by_id[op_id] = by_id[digest] = (body, digest)
        return cls(by_id)


class PersistedQueries:
    """Turns a request's `query` and `extensions` into the document to run and its hash."""

    def __init__(self, automatic: bool, allow_list: AllowList | None) -> None:
        self.automatic = automatic and allow_list is None
        self.allow_list = allow_list
        self._store: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._store)

    def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> tuple[str, str]:
        """(document, sha256 of it); raises Refused, or ValueError for a missing query."""
        persisted = extensions.get("persistedQuery") if extensions else None
        if persisted is None:
            if query is None:
                raise ValueError("missing query")
            digest = sha256_hex(query)
            if self.allow_list is not None and digest not in self.allow_list.by_id:
                raise Refused(
                    Code.PERSISTED_QUERY_NOT_IN_LIST,
                    "this server only runs registered documents, and this one is not "
                    f"registered (sha256 {digest})",
                )
            return query, digest
        wanted = self._hash_of(persisted)
        if self.allow_list is not None:
            return self._from_allow_list(query, wanted)
        if not self.automatic:
            raise Refused(Code.PERSISTED_QUERY_NOT_SUPPORTED, NOT_SUPPORTED_MESSAGE)
        if query is None:
            found = self._store.get(wanted)
            if found is None:
                raise Refused(Code.PERSISTED_QUERY_NOT_FOUND, NOT_FOUND_MESSAGE)
            self._store.move_to_end(wanted)
            return found, wanted
        if sha256_hex(query) != wanted:
            raise Refused(
                Code.PERSISTED_QUERY_HASH_MISMATCH,
                "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query`: "
                "send the hex digest of the query's UTF-8 bytes",
                http_status=400,
            )
        self._store[wanted] = query
        if len(self._store) > APQ_MAX_ENTRIES:
            self._store.popitem(last=False)
        return query, wanted

    def _hash_of(self, persisted: Any) -> str:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise Refused(
                Code.BAD_REQUEST,
                "`extensions.persistedQuery` must be {version: 1, sha256Hash: <hex>}",
                http_status=400,
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or (
            self.allow_list is None and not SHA256_HEX.fullmatch(digest)
        ):
            raise Refused(
                Code.BAD_REQUEST,
                "`extensions.persistedQuery.sha256Hash` must be 64 lower-case hex digits",
                http_status=400,
            )
        return digest

    def _from_allow_list(self, query: str | None, wanted: str) -> tuple[str, str]:
        assert self.allow_list is not None
        found = self.allow_list.by_id.get(wanted)
        if found is None or (query is not None and query != found[0]):
            raise Refused(
                Code.PERSISTED_QUERY_NOT_IN_LIST,
                f"no registered document has the id {wanted[:80]!r}; this server only runs "
                "registered documents",
            )
        return found
