"""Response caching: ETags, the per-process response cache, and compression.

The ETag of a successful query is a hash of what determines its response: the
build (newsgraph's version and schema), the server's document policy, the corpus
version, the negotiated media type, the document's SHA-256, the operation name
and the variables (keys sorted). Nothing per process goes in, so every worker and
replica serving the same corpus version gives the same ETag for the same request.

The cache holds response bytes under that key, and under the raw request (method,
media type, body or URL parameters) so a repeated request is answered without
parsing it. The corpus version comes from api/freshness.py (a stat of the database's
write-ahead log per request): when it changes, the cache is emptied, so the first request
after an ingest commits already sees the new corpus.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson

GZIP_MIN_BYTES = 1024  # smaller responses are not worth a Content-Encoding
GZIP_LEVEL = 6
MAX_ALIASES = 50_000  # raw requests remembered per process
RawKey = tuple[str, str, bytes]  # (method, media type, body or query string)


def canonical_key(
    salt: bytes,  # what else decides the bytes (the build, the policy), as a short digest
    version: int,
    media: str,
    digest: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> bytes:
    h = hashlib.sha256(salt)
    h.update(
        b"\0%d\0%s\0%s\0%s\0"
        % (version, media.encode(), digest.encode(), (operation_name or "").encode())
    )
    h.update(orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS))
    return h.digest()


def etag_for(version: int, key: bytes) -> bytes:
    """Weak: the same ETag names the gzip and the identity encoding of a response."""
    return b'W/"%d-%s"' % (version, key.hex()[:32].encode())


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """RFC 9110 weak comparison against an If-None-Match list (or `*`)."""
    if if_none_match.strip() == b"*":
        return True
    opaque = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == opaque for tag in if_none_match.split(b","))


def accepts_gzip(accept_encoding: bytes | None) -> bool:
    if not accept_encoding or b"gzip" not in accept_encoding:
        return False
    for item in accept_encoding.split(b","):
        coding, _, params = item.partition(b";")
        if coding.strip().lower() == b"gzip":
            return params.replace(b" ", b"") not in (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")
    return False


def compress(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)  # mtime=0: reproducible


@dataclass(slots=True)
class Entry:
    """A cached successful response."""

    etag: bytes
    body: bytes
    media: str
    operation: str | None = None  # its name, for logs and metrics on a hit
    gzipped: bytes | None = None  # made on the first request that accepts gzip
    headers: dict[tuple[str, bool], list[tuple[bytes, bytes]]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + 200

    def encoded(self, gzip_ok: bool) -> tuple[bytes, bool]:
        """The body to send, and whether it is gzip-encoded."""
        if not gzip_ok or len(self.body) < GZIP_MIN_BYTES:
            return self.body, False
        if self.gzipped is None:
            self.gzipped = compress(self.body)
        return self.gzipped, True


class ResponseCache:
    """Successful responses of one corpus version, least recently used evicted first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.version: int | None = None
        self.bytes = 0
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        self._aliases: dict[RawKey, bytes] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def sync(self, version: int) -> None:
        """Empty the cache when the corpus version moved on."""
        if version != self.version:
            self._entries.clear()
            self._aliases.clear()
            self.bytes = 0
            self.version = version

    def by_raw(self, raw: RawKey) -> Entry | None:
        key = self._aliases.get(raw)
        return None if key is None else self.get(key)

    def get(self, key: bytes) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def alias(self, raw: RawKey, key: bytes) -> None:
        if len(self._aliases) >= MAX_ALIASES:
            self._aliases.clear()  # cheap and rare; entries stay, found again by key
        self._aliases[raw] = key

    def store(self, version: int, raw: RawKey, key: bytes, entry: Entry) -> bool:
        """Keep `entry` unless it was computed for an older version or is too large."""
        if version != self.version or entry.size * 8 > self.max_bytes:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[key] = entry
        self.bytes += entry.size
        self.alias(raw, key)
        while self.bytes > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size
        return True

    def grew(self, entry: Entry, before: int) -> None:
        """Account for an entry that gained its gzip variant."""
        self.bytes += entry.size - before
