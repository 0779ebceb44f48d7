"""The `newsgraph` command: ingest, serve, schema, generate.

Exit codes: 0 success; 1 some files were rejected (the rest are stored);
2 usage errors, or a database that cannot be opened or is not newsgraph's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from api.seeds import seeds_dir
from api.settings import ENV_PREFIX, Settings
from loaders import db
from loaders.ingest import IngestError, IngestReport, ingest

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
PROGRESS_AFTER_SECONDS = 1.0


class Progress:
    """A one-line progress bar on a terminal, shown only once a run takes a while."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < PROGRESS_AFTER_SECONDS:
            return
        width = 30
        filled = width * done // max(total, 1)
        rate = done / max(time.monotonic() - self.started, 1e-9)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files ({rate:.0f}/s)"
        )
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")


def positive_int(text: str) -> int:
    """argparse type; also applied to defaults taken from the environment."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _env_option(
    parser: argparse.ArgumentParser, flag: str, env: str, default: object, help: str, **kwargs: Any
) -> None:
    """An option whose default comes from NEWSGRAPH_<env>, documented as such in --help.

    The environment value is passed as a string default, so argparse applies `type`
    to it and a bad value is a usage error like a bad flag.
    """
    shown = "" if default is None else f" (default {default})"
    parser.add_argument(
        flag,
        default=os.environ.get(ENV_PREFIX + env) or default,
        help=f"{help}{shown} [{ENV_PREFIX}{env}]",
        **kwargs,
    )


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="newsgraph",
        description="A GraphQL content API over folders of markdown articles.",
        epilog="Every option can also be set with an environment variable (shown in brackets).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest_cmd = commands.add_parser(
        "ingest",
        help="ingest files and folders into the database",
        description="Ingest article files (*.md, *.markdown, and *.txt with frontmatter) "
        "and folders (recursively). Folders are synchronized: articles whose files are "
        "gone are removed. Exit 0 when every file was accepted, 1 when some were "
        "rejected (the others are stored), 2 on usage or database errors.",
    )
    ingest_cmd.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    ingest_cmd.add_argument("--json", action="store_true", help="print the report as JSON")

    serve = commands.add_parser(
        "serve",
        help="serve GraphQL at /graphql",
        description="Serve GraphQL (POST and GET, GraphiQL in a browser, subscriptions "
        "over websockets) at /graphql and a health check at /healthz. Without --content, "
        "an empty or missing database is first filled with the embedded seeds/ corpus.",
    )
    for command in (ingest_cmd, serve):
        _env_option(command, "--db", "DB", defaults.db, "SQLite database file", type=Path)
        _env_option(command, "--max-file-bytes", "MAX_FILE_BYTES", defaults.max_file_bytes,
                    "reject files larger than this", type=positive_int)  # fmt: skip
    _env_option(serve, "--content", "CONTENT", None,
                f"files or folders to ingest before serving (in the variable: separated by "
                f"'{os.pathsep}')", nargs="+", metavar="PATH")  # fmt: skip
    _env_option(serve, "--host", "HOST", defaults.host, "interface to bind")
    _env_option(serve, "--port", "PORT", defaults.port, "TCP port", type=positive_int)
    _env_option(serve, "--workers", "WORKERS", defaults.workers, "server processes",
                type=positive_int)  # fmt: skip
    _env_option(serve, "--read-connections", "READ_CONNECTIONS", defaults.read_connections,
                "SQLite read connections per process", type=positive_int)  # fmt: skip
    _env_option(serve, "--log-level", "LOG_LEVEL", defaults.log_level, "log level",
                choices=["critical", "error", "warning", "info", "debug"])  # fmt: skip

    commands.add_parser("schema", help="print the GraphQL schema (SDL)")

    generate = commands.add_parser(
        "generate", help="write a deterministic synthetic corpus (for tests and benchmarks)"
    )
    generate.add_argument("out", type=Path, help="folder to write into")
    generate.add_argument(
        "--count", type=positive_int, default=1000, help="articles (default 1000)"
    )
    generate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    return parser


def _content_paths(value: list[str] | str | None) -> list[Path]:
    """--content as given, or NEWSGRAPH_CONTENT split on the path separator."""
    if value is None:
        return []
    items = value.split(os.pathsep) if isinstance(value, str) else value
    return [Path(p).resolve() for p in items if p]


def print_report(report: IngestReport, as_json: bool, out: TextIO) -> None:
    if as_json:
        json.dump(report.to_json(), out, indent=2)
        out.write("\n")
        return
    s = report.summary()
    out.write(
        f"added {s['added']}, updated {s['updated']}, unchanged {s['unchanged']}, "
        f"removed {s['removed']}, rejected {s['rejected']} "
        f"in {s['seconds']:.2f} s ({s['files_per_second']:.0f} files/s)\n"
    )
    for rejected in report.rejected:
        out.write(f"rejected {rejected.path}: {rejected.reason}\n")


def run_ingest(
    db_path: Path, paths: Sequence[str | Path], max_bytes: int, stream: TextIO
) -> IngestReport:
    progress = Progress(stream)
    try:
        return asyncio.run(ingest(db_path, paths, max_bytes=max_bytes, on_progress=progress))
    finally:
        progress.close()


async def _article_count(db_path: Path) -> int:
    conn = await db.connect(db_path)
    try:
        rows = list(await conn.execute_fetchall("SELECT count(*) FROM articles"))
        return int(rows[0][0])
    finally:
        await conn.close()


def cmd_ingest(args: argparse.Namespace) -> int:
    report = run_ingest(args.db, args.paths, args.max_file_bytes, sys.stderr)
    print_report(report, args.json, sys.stdout)
    return EXIT_REJECTED if report.rejected else EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn  # imported here: `ingest` should not pay for the server's imports

    settings = Settings(
        db=args.db.resolve(),
        content=tuple(_content_paths(args.content)),
        host=args.host,
        port=args.port,
        workers=args.workers,
        max_file_bytes=args.max_file_bytes,
        read_connections=args.read_connections,
        log_level=args.log_level,
    )
    # Ingest once, here, before any worker starts: workers only read.
    paths: Sequence[Path] = settings.content
    if not paths and asyncio.run(_article_count(settings.db)) == 0:
        paths = (seeds_dir(),)
        print(f"newsgraph: empty database; ingesting the seeds from {paths[0]}", file=sys.stderr)
    if paths:
        report = run_ingest(settings.db, paths, settings.max_file_bytes, sys.stderr)
        print_report(report, False, sys.stderr)
    os.environ.update(settings.to_env())
    print(
        f"newsgraph: serving {settings.db} at http://{settings.host}:{settings.port}/graphql",
        file=sys.stderr,
    )
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        log_level=settings.log_level,
    )
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from schema.build import sdl

    sys.stdout.write(sdl())
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from loaders.synthetic import generate_corpus

    written = generate_corpus(args.out, args.count, seed=args.seed)
    print(f"wrote {len(written)} articles under {args.out}")
    return EXIT_OK


COMMANDS = {"ingest": cmd_ingest, "serve": cmd_serve, "schema": cmd_schema,
            "generate": cmd_generate}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (db.DatabaseError, IngestError) as exc:
        print(f"newsgraph: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
