"""The `newsgraph` command: ingest, serve, schema, generate.

Exit codes: 0 success; 1 some files were rejected (the rest are stored);
2 usage errors, or a database that cannot be opened or is not newsgraph's;
3 the server could not start (its port is taken, or the app failed at startup).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from api import settings
from api.seeds import seeds_dir
from api.settings import ENV_PREFIX, OPTIONS, Settings
from loaders import db
from loaders.ingest import IngestError, IngestReport, ingest

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_NO_SERVER = 0, 1, 2, 3
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


def _argparse_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A settings parser as an argparse type: its message becomes the usage error."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def positive_int(text: str) -> int:
    """argparse type for options that are not settings."""
    return int(_argparse_type(settings.positive_int)(text))


def _add_options(parser: argparse.ArgumentParser, command: str) -> None:
    """Every settings option of `command`, its default taken from NEWSGRAPH_<env>.

    The environment value is passed as a string default, so argparse applies the
    option's parser to it and a bad value is a usage error like a bad flag.
    """
    defaults = Settings()
    for option in OPTIONS:
        if command not in option.commands:
            continue
        default = option.show(getattr(defaults, option.name))
        shown = f" (default {default})" if default else ""
        help_text = f"{option.help}{shown} [{ENV_PREFIX}{option.env}]"
        env_value = os.environ.get(ENV_PREFIX + option.env) or None
        if option.name == "content":  # several paths on the command line
            parser.add_argument(option.flag, default=env_value, help=help_text, nargs="+",
                                metavar="PATH")  # fmt: skip
            continue
        parser.add_argument(
            option.flag,
            dest=option.name,
            default=env_value if env_value is not None else getattr(defaults, option.name),
            type=_argparse_type(option.parse),
            help=help_text,
        )


def build_parser() -> argparse.ArgumentParser:
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
    ingest_cmd.add_argument(
        "--rehash",
        action="store_true",
        help="read every file again, even those whose size and modification time are "
        "as stored (which are otherwise taken as unchanged)",
    )

    serve = commands.add_parser(
        "serve",
        help="serve GraphQL at /graphql",
        description="Serve GraphQL (POST and GET, GraphiQL in a browser, subscriptions "
        "over websockets) at /graphql and a health check at /healthz. Without --content, "
        "an empty or missing database is first filled with the embedded seeds/ corpus.",
    )
    _add_options(ingest_cmd, "ingest")
    _add_options(serve, "serve")

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
    db_path: Path,
    paths: Sequence[str | Path],
    max_bytes: int,
    half_life_hours: float,
    stream: TextIO,
    *,
    rehash: bool = False,
) -> IngestReport:
    progress = Progress(stream)
    try:
        return asyncio.run(
            ingest(
                db_path,
                paths,
                max_bytes=max_bytes,
                on_progress=progress,
                trending_half_life_hours=half_life_hours,
                rehash=rehash,
            )
        )
    finally:
        progress.close()


def _stored_state(db_path: Path) -> tuple[int, bool]:
    """(articles, whether an upgrade emptied the database) of a writable database."""
    conn = db.connect_sync(db_path)
    try:
        count = int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
        return count, db.emptied_by_upgrade(conn)
    finally:
        conn.close()


def cmd_ingest(args: argparse.Namespace) -> int:
    report = run_ingest(
        args.db, args.paths, args.max_file_bytes, args.trending_half_life_hours, sys.stderr,
        rehash=args.rehash,
    )  # fmt: skip
    print_report(report, args.json, sys.stdout)
    return EXIT_REJECTED if report.rejected else EXIT_OK


def serve_settings(args: argparse.Namespace) -> Settings:
    values = {o.name: getattr(args, o.name) for o in OPTIONS if "serve" in o.commands}
    values["db"] = args.db.resolve()
    values["content"] = tuple(_content_paths(args.content))
    return Settings(**values)


def _print_serving(db_path: Path, host: str, port: int) -> None:
    print(f"newsgraph: serving {db_path} at http://{host}:{port}/graphql", file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn  # imported here: `ingest` should not pay for the server's imports

    from api import workers
    from api.metrics import forget_process, prepare_multiprocess
    from api.persisted import AllowList, AllowListError

    settings = serve_settings(args)
    if settings.allow_list is not None:
        try:  # checked here so a bad file is a usage error, not N crashing workers
            AllowList.load(settings.allow_list)
        except AllowListError as exc:
            print(f"newsgraph: {exc}", file=sys.stderr)
            return EXIT_USAGE
    # Ingest once, here, before any worker starts: workers only read.
    paths: Sequence[Path] = settings.content
    if not paths:
        articles, emptied = _stored_state(settings.db)
        if emptied:
            print(
                f"newsgraph: {settings.db} was made by an older newsgraph and had to be "
                "emptied to upgrade it; pass --content with the folders it served",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if articles == 0:
            paths = (seeds_dir(),)
            print(f"newsgraph: empty database; ingesting the seeds from {paths[0]}",
                  file=sys.stderr)  # fmt: skip
    if paths:
        report = run_ingest(
            settings.db, paths, settings.max_file_bytes, settings.trending_half_life_hours,
            sys.stderr,
        )  # fmt: skip
        print_report(report, False, sys.stderr)
    os.environ.update(settings.to_env())
    if settings.workers > 1 and settings.metrics:
        prepare_multiprocess()  # before the workers start: they inherit the variable
    uvicorn_options: dict[str, Any] = {
        "app": "api.app:create_app",
        "factory": True,
        "log_level": settings.log_level,
        "access_log": False,  # newsgraph writes its own, structured (api/logs.py)
        "server_header": False,
    }
    if settings.workers > 1 and workers.supported():
        try:
            port = workers.claim_port(settings.host, settings.port)
        except OSError as exc:
            print(f"newsgraph: cannot listen on {settings.host}:{settings.port}: {exc.strerror}",
                  file=sys.stderr)  # fmt: skip
            return EXIT_NO_SERVER
        _print_serving(settings.db, settings.host, port)
        supervisor = workers.Supervisor(settings.host, port, settings.workers, uvicorn_options,
                                        on_exit=forget_process)  # fmt: skip
        return supervisor.run()
    _print_serving(settings.db, settings.host, settings.port)
    uvicorn.run(
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        **uvicorn_options,
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
