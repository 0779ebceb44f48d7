"""CORS: which browser origins may call the API, decided per request in microseconds.

The API is public and uses no cookies or other credentials, so allowing any origin
(`*`, the default) exposes nothing a non-browser client could not fetch anyway;
credentials are never allowed. A configured list instead echoes the caller's
origin when it is on the list (with `Vary: Origin`).
"""

from __future__ import annotations

Headers = list[tuple[bytes, bytes]]
ALLOW_METHODS = b"GET, POST"
ALLOW_HEADERS = (
    b"content-type, accept, if-none-match, x-request-id, "
    b"apollographql-client-name, apollographql-client-version"
)
EXPOSE_HEADERS = (b"access-control-expose-headers", b"etag, x-request-id, x-cache")
PREFLIGHT_MAX_AGE = b"86400"


class Cors:
    def __init__(self, origins: tuple[str, ...]) -> None:
        self.any = "*" in origins
        self.origins = frozenset(o.rstrip("/").encode() for o in origins if o != "*")
        self._any_headers: Headers = [(b"access-control-allow-origin", b"*"), EXPOSE_HEADERS]

    def headers(self, origin: bytes | None) -> Headers:
        """Headers for a response to a request from `origin` (none for non-browsers)."""
        if origin is None:
            return []
        if self.any:
            return self._any_headers
        if origin in self.origins:
            return [(b"access-control-allow-origin", origin), (b"vary", b"Origin"), EXPOSE_HEADERS]
        return []

    def preflight(self, headers: dict[bytes, bytes]) -> tuple[int, Headers] | None:
        """The answer to a preflight request; None when the request is not one."""
        origin = headers.get(b"origin")
        if origin is None or b"access-control-request-method" not in headers:
            return None
        allowed = self.headers(origin)
        if not allowed:
            return 403, []
        return 204, [
            *allowed,
            (b"access-control-allow-methods", ALLOW_METHODS),
            (b"access-control-allow-headers", ALLOW_HEADERS),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE),
        ]
