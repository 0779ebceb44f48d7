"""The baseline server: what the fastest possible answer costs on this machine.

    python -m tests.benchmarks.baseline RESPONSES.json --port PORT

RESPONSES.json maps each request body (the exact bytes wrk sends) to the response newsgraph
gave for it. The app reads the body, looks it up in a dict and returns the prepared bytes:
no parsing, no database, no serialization; everything else (Starlette routing, uvicorn with
the same options `newsgraph serve` uses, HTTP/1.1 keep-alive, one process) is the same, so
newsgraph's req/s divided by this one's is the share of the achievable rate it reaches.
An unknown body gets a 404, which the benchmark counts as an error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def create_app(responses: dict[bytes, bytes]) -> Starlette:
    async def graphql(request: Request) -> Response:
        answer = responses.get(await request.body())
        if answer is None:
            return JSONResponse({"errors": [{"message": "unknown request body"}]}, 404)
        return Response(answer, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)]
    )


def load(path: Path) -> dict[bytes, bytes]:
    prepared: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return {body.encode(): answer.encode() for body, answer in prepared.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("responses", type=Path)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The same call as `newsgraph serve` (api/cli.py): uvicorn's defaults pick uvloop and
    # httptools when installed, which uvicorn[standard] guarantees for both.
    uvicorn.run(create_app(load(args.responses)), host="127.0.0.1", port=args.port,
                log_level="warning")  # fmt: skip


if __name__ == "__main__":
    main()
