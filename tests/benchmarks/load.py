"""A closed-loop HTTP load generator, run as its own process so it does not share the
server's CPU time slices with the event loop it measures.

    python -m tests.benchmarks.load URL BODY_JSON --seconds 10 --concurrency 16

prints one JSON line: requests, errors, req_per_s, p50_ms, p99_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx


async def _worker(client: httpx.AsyncClient, url: str, body: bytes, until: float,
                  latencies: list[float], errors: list[int]) -> None:  # fmt: skip
    headers = {"content-type": "application/json"}
    while time.perf_counter() < until:
        started = time.perf_counter()
        response = await client.post(url, content=body, headers=headers)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or b'"errors"' in response.content:
            errors.append(response.status_code)


async def run(url: str, body: bytes, seconds: float, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await client.post(url, content=body, headers={"content-type": "application/json"})
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(
            *(_worker(client, url, body, until, latencies, errors) for _ in range(concurrency))
        )
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("body")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.body.encode(), args.seconds, args.concurrency))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
