"""Structured logs: one JSON object per line on stderr.

`newsgraph.access` writes one line per GraphQL HTTP request (request id, method,
status, operation name, outcome, duration, bytes, cache) at level info;
`newsgraph.errors` logs unexpected exceptions with the request id the client saw
in `x-request-id`, so a masked "Unexpected error." can be found in the log.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson

ROOT = "newsgraph"
access_log = logging.getLogger("newsgraph.access")
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record is emitted (test runners swap it);
    its class marks the handler newsgraph installed, so configuring twice adds one."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str, access: bool) -> None:
    root = logging.getLogger(ROOT)
    root.setLevel(level.upper())
    root.propagate = False
    if not any(isinstance(h, _Handler) for h in root.handlers):
        handler = _Handler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    access_log.disabled = not access
