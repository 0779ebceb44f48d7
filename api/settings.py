"""Settings: every option comes from a command-line flag or an environment variable.

One table (`OPTIONS`) declares each option once: its field, flag, variable, how its
text is read, and its help; the CLI, `from_env` and `to_env` are derived from it.
`serve` passes its settings to worker processes through the environment, so
`Settings.from_env()` in each worker sees exactly what the command line said.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from loaders.parse import DEFAULT_MAX_BYTES
from loaders.reader import DEFAULT_INLINE_SECONDS, DEFAULT_LOOP_CACHE_MB, DEFAULT_POOL_SIZE
from loaders.trending import DEFAULT_HALF_LIFE_HOURS
from loaders.watch import DEFAULT_POLL_SECONDS
from schema.limits import DEFAULT_LIMITS, Limits

ENV_PREFIX = "NEWSGRAPH_"
MODES = ("production", "development")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise ValueError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise ValueError(f"must be 0 or more, got {value}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = _number(text)
    if not value > 0:
        raise ValueError(f"must be more than 0, got {value}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise ValueError(f"must be 0 or more, got {value}")
    return value


def on_off(text: str) -> bool:
    value = text.strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise ValueError(f"expected on or off, got {text!r}")


def mode(text: str) -> str:
    if text not in MODES:
        raise ValueError(f"expected one of {', '.join(MODES)}, got {text!r}")
    return text


def log_level(text: str) -> str:
    if text not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}, got {text!r}")
    return text


def origins(text: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in text.split(",") if o.strip())


def paths(text: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in text.split(os.pathsep) if p)


def optional_path(text: str) -> Path | None:
    return Path(text) if text else None


@dataclass(frozen=True)
class Option:
    name: str  # the Settings field
    flag: str
    env: str  # after NEWSGRAPH_
    parse: Callable[[str], Any]
    help: str
    commands: tuple[str, ...] = ("serve",)

    def show(self, value: Any) -> str:
        """The value as its environment variable holds it."""
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, tuple):
            sep = os.pathsep if self.parse is paths else ","
            return sep.join(str(v) for v in value)
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Settings:
    db: Path = Path("newsgraph.db")
    content: tuple[Path, ...] = field(default_factory=tuple)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_file_bytes: int = DEFAULT_MAX_BYTES
    trending_half_life_hours: float = DEFAULT_HALF_LIFE_HOURS
    read_connections: int = DEFAULT_POOL_SIZE
    inline_sql_ms: float = DEFAULT_INLINE_SECONDS * 1000
    sql_cache_mb: int = DEFAULT_LOOP_CACHE_MB
    log_level: str = "info"
    access_log: bool = True
    poll_seconds: float = DEFAULT_POLL_SECONDS
    mode: str = "production"
    introspection: bool = True
    graphiql: bool = True
    metrics: bool = True
    cors_origins: tuple[str, ...] = ("*",)
    cache_max_age: int = 60
    response_cache_mb: int = 64
    persisted_queries: bool = True
    allow_list: Path | None = None
    max_page_size: int = DEFAULT_LIMITS.max_page_size
    max_depth: int = DEFAULT_LIMITS.max_depth
    max_aliases: int = DEFAULT_LIMITS.max_aliases
    max_cost: int = DEFAULT_LIMITS.max_cost
    max_offset: int = DEFAULT_LIMITS.max_offset
    max_tokens: int = DEFAULT_LIMITS.max_tokens
    max_directives: int = DEFAULT_LIMITS.max_directives
    max_operations: int = DEFAULT_LIMITS.max_operations
    max_body_bytes: int = DEFAULT_LIMITS.max_body_bytes
    sql_time_budget_ms: int = DEFAULT_LIMITS.sql_time_budget_ms

    @property
    def limits(self) -> Limits:
        return Limits(**{f.name: getattr(self, f.name) for f in fields(Limits)})

    @property
    def production(self) -> bool:
        return self.mode == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from NEWSGRAPH_* variables; a bad value raises ValueError naming it."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for option in OPTIONS:
            text = env.get(ENV_PREFIX + option.env)
            if text in (None, ""):
                continue
            try:
                values[option.name] = option.parse(text)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}{option.env}: {exc}") from None
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        return {ENV_PREFIX + o.env: o.show(getattr(self, o.name)) for o in OPTIONS}

    def with_values(self, **values: Any) -> Settings:
        return replace(self, **values)


BOTH = ("ingest", "serve")
OPTIONS: tuple[Option, ...] = (
    Option("db", "--db", "DB", Path, "SQLite database file", BOTH),
    Option("max_file_bytes", "--max-file-bytes", "MAX_FILE_BYTES", positive_int,
           "reject files larger than this", BOTH),
    Option("trending_half_life_hours", "--trending-half-life", "TRENDING_HALF_LIFE_HOURS",
           positive_float, "hours for a TRENDING score to halve; a new value re-ranks the "
           "corpus at the next ingest", BOTH),
    Option("content", "--content", "CONTENT", paths,
           f"files or folders to ingest before serving (in the variable: separated by "
           f"'{os.pathsep}')"),
    Option("host", "--host", "HOST", str, "interface to bind"),
    Option("port", "--port", "PORT", positive_int, "TCP port"),
    Option("workers", "--workers", "WORKERS", positive_int, "server processes"),
    Option("read_connections", "--read-connections", "READ_CONNECTIONS", positive_int,
           "SQLite read connections (threads) per process, for statements too slow to run "
           "on the event loop"),
    Option("inline_sql_ms", "--inline-sql-ms", "INLINE_SQL_MS", non_negative_float,
           "how long a statement may run on the event loop before it moves to a read "
           "connection's thread, in milliseconds (0: every statement on a thread)"),
    Option("sql_cache_mb", "--sql-cache-mb", "SQL_CACHE_MB", non_negative_int,
           "page cache of the SQLite connection statements run on first, per process, "
           "in MB (0: SQLite's default, 2 MB); filled only as pages are read"),
    Option("log_level", "--log-level", "LOG_LEVEL", log_level,
           f"log level: {', '.join(LOG_LEVELS)}"),
    Option("access_log", "--access-log", "ACCESS_LOG", on_off,
           "one JSON line per request on stderr (at log level info)"),
    Option("poll_seconds", "--poll-seconds", "POLL_SECONDS", positive_float,
           "how often each process checks the database for a new corpus version"),
    Option("mode", "--mode", "MODE", mode,
           "production hides field suggestions in error messages; development shows them"),
    Option("introspection", "--introspection", "INTROSPECTION", on_off,
           "answer __schema and __type queries"),
    Option("graphiql", "--graphiql", "GRAPHIQL", on_off, "serve GraphiQL to browsers"),
    Option("metrics", "--metrics", "METRICS", on_off, "serve Prometheus metrics at /metrics"),
    Option("cors_origins", "--cors-origins", "CORS_ORIGINS", origins,
           "origins allowed to call the API from a browser, comma-separated; * for any, "
           "empty for none"),
    Option("cache_max_age", "--cache-max-age", "CACHE_MAX_AGE", non_negative_int,
           "Cache-Control max-age in seconds for successful GET queries (0: no-cache)"),
    Option("response_cache_mb", "--response-cache-mb", "RESPONSE_CACHE_MB", non_negative_int,
           "memory per process for cached responses, in MiB (0: no response cache)"),
    Option("persisted_queries", "--persisted-queries", "PERSISTED_QUERIES", on_off,
           "automatic persisted queries (Apollo's protocol)"),
    Option("allow_list", "--allow-list", "ALLOW_LIST", optional_path,
           "only run the documents in this file (an Apollo persisted-query manifest, or a "
           "JSON object of id to document)"),
    Option("max_page_size", "--max-page-size", "MAX_PAGE_SIZE", positive_int,
           "largest `first` and `nodes(ids:)` list"),
    Option("max_depth", "--max-depth", "MAX_DEPTH", positive_int, "deepest nesting of fields"),
    Option("max_aliases", "--max-aliases", "MAX_ALIASES", non_negative_int,
           "aliases per operation"),
    Option("max_cost", "--max-cost", "MAX_COST", positive_int,
           "estimated fields an operation may resolve (page sizes multiply)"),
    Option("max_offset", "--max-offset", "MAX_OFFSET", non_negative_int,
           "largest `offset` of article lists (deeper pages use cursors)"),
    Option("max_tokens", "--max-tokens", "MAX_TOKENS", positive_int, "tokens per document"),
    Option("max_directives", "--max-directives", "MAX_DIRECTIVES", non_negative_int,
           "directives per operation"),
    Option("max_operations", "--max-operations", "MAX_OPERATIONS", positive_int,
           "operations per batched request"),
    Option("max_body_bytes", "--max-body-bytes", "MAX_BODY_BYTES", positive_int,
           "largest request body (larger: 413)"),
    Option("sql_time_budget_ms", "--sql-time-budget-ms", "SQL_TIME_BUDGET_MS", positive_int,
           "SQLite time one operation may use, in milliseconds"),
)  # fmt: skip
