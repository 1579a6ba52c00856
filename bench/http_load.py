"""HTTP load on loopback: p50/p99 latency and requests/s at 1, 8 and 32 concurrent clients.

Serves a prepared home with the real `partnermatch serve` (one uvicorn worker) and drives
`POST /v1/recommendations` with an asyncio httpx client: a bounded number of requests per
concurrency level, deals taken from the simulated judged deals, after a warm-up. The client
runs on the same 2-core machine as the server, so it takes CPU from it: the figures are a
lower bound for a server with the machine to itself.

    python -m bench.http_load --partners 100000            # prepares var/bench/home-100000
    python -m bench.http_load --partners 10000 --requests 200 --concurrency 1 8   # quick

Preparing a size simulates, ingests and indexes it (at 100k: real embeddings for the first
20,000 partners, the rest replicated with noise, as in bench/recommend_latency.py), and saves
the index so that the server loads it. Results: bench/results/http_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

from bench.recommend_latency import prepare_home
from matcher import keys
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import read_judged

RESULTS = Path("bench/results/http_load.json")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).with_name("partnermatch")
    env = {**os.environ, "PARTNERMATCH_HOME": str(home)}
    return subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited before it was ready")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server was not ready in time")


async def _drive(
    base_url: str, key: str, deals: list[dict[str, object]], requests: int, concurrency: int
) -> dict[str, float]:
    """Send ``requests`` recommendations with ``concurrency`` clients; latency percentiles."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker() -> None:
            nonlocal errors
            for number in counter:
                deal = deals[number % len(deals)]
                started = time.perf_counter()
                response = await client.post("/v1/recommendations", json=deal)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    values = np.array(latencies)
    return {
        "concurrency": concurrency,
        "requests": requests,
        "errors": errors,
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p99_ms": round(float(np.percentile(values, 99)), 1),
        "req_per_s": round(requests / wall, 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Prepare (or reuse) the home, serve it, measure each concurrency level."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--real-vectors", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    home, judged = prepare_home(args.partners, args.work, args.real_vectors)
    deals = [
        judged_deal.deal.model_dump(mode="json", exclude_none=True)
        for judged_deal in read_judged(judged)
    ]
    store = Store.from_settings(Settings(home=home))
    _, key = keys.create_key(store, "seller", "http-load-bench")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = _serve(home, port)
    try:
        _wait_ready(base_url, server)
        asyncio.run(_drive(base_url, key, deals, min(50, args.requests), 4))  # warm-up
        levels = []
        for concurrency in args.concurrency:
            levels.append(asyncio.run(_drive(base_url, key, deals, args.requests, concurrency)))
            print(json.dumps(levels[-1]))
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "command": f"python -m bench.http_load --partners {args.partners} --real-vectors "
        f"{args.real_vectors} --requests {args.requests} --concurrency "
        f"{' '.join(map(str, args.concurrency))}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs; client and server share them",
        "server": "partnermatch serve (uvicorn, 1 worker), loopback",
        "partners": args.partners,
        "vectors": "real"
        if args.partners <= args.real_vectors
        else f"real for {args.real_vectors}, the rest replicated from them with N(0, 0.02) noise",
        "levels": levels,
        "targets": "100k partners: p99 <= 50 ms and >= 150 req/s at 8 clients",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
