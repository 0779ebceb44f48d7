"""Settings: every option comes from a command-line flag or an environment variable.

`serve` passes its settings to worker processes through the environment, so
`Settings.from_env()` in each worker sees exactly what the command line said.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from loaders.parse import DEFAULT_MAX_BYTES
from loaders.reader import DEFAULT_POOL_SIZE
from loaders.watch import DEFAULT_POLL_SECONDS

ENV_PREFIX = "NEWSGRAPH_"


@dataclass(frozen=True)
class Settings:
    db: Path = Path("newsgraph.db")
    content: tuple[Path, ...] = field(default_factory=tuple)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_file_bytes: int = DEFAULT_MAX_BYTES
    read_connections: int = DEFAULT_POOL_SIZE
    log_level: str = "info"
    poll_seconds: float = DEFAULT_POLL_SECONDS

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value not in (None, "") else None

        def get_int(name: str, default: int) -> int:
            value = get(name)
            if value is None:
                return default
            try:
                return int(value)
            except ValueError:
                raise ValueError(f"{ENV_PREFIX}{name} must be an integer, got {value!r}") from None

        content = get("CONTENT")
        return cls(
            db=Path(get("DB") or defaults.db),
            content=tuple(Path(p) for p in content.split(os.pathsep) if p) if content else (),
            host=get("HOST") or defaults.host,
            port=get_int("PORT", defaults.port),
            workers=get_int("WORKERS", defaults.workers),
            max_file_bytes=get_int("MAX_FILE_BYTES", defaults.max_file_bytes),
            read_connections=get_int("READ_CONNECTIONS", defaults.read_connections),
            log_level=get("LOG_LEVEL") or defaults.log_level,
            poll_seconds=float(get("POLL_SECONDS") or defaults.poll_seconds),
        )

    def to_env(self) -> dict[str, str]:
        return {
            ENV_PREFIX + "DB": str(self.db),
            ENV_PREFIX + "CONTENT": os.pathsep.join(str(p) for p in self.content),
            ENV_PREFIX + "HOST": self.host,
            ENV_PREFIX + "PORT": str(self.port),
            ENV_PREFIX + "WORKERS": str(self.workers),
            ENV_PREFIX + "MAX_FILE_BYTES": str(self.max_file_bytes),
            ENV_PREFIX + "READ_CONNECTIONS": str(self.read_connections),
            ENV_PREFIX + "LOG_LEVEL": self.log_level,
            ENV_PREFIX + "POLL_SECONDS": str(self.poll_seconds),
        }
