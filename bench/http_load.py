"""HTTP load on loopback: p50/p99 latency, requests/s and CPU per request at 1, 8 and 32
concurrent clients.

Serves a prepared home with the real `partnermatch serve` (one uvicorn worker) and drives
`POST /v1/recommendations` with an asyncio httpx client: a bounded number of requests per
concurrency level after a warm-up, each a seller deal whose text the server has not seen
(``bench/traffic.py``: made from the simulated judged deals). Each level is
measured ``--runs`` times (the levels interleaved) and reported as the median of the runs. The
client runs on the same 2-core machine as the server, so it takes CPU from it: the figures are
a lower bound for a server with the machine to itself. What each request costs is measured
apart from that: the server process's CPU time (user + system, every thread, from
``/proc/<pid>/stat``) over the level divided by its requests, and the client's own the same way.

    python -m bench.http_load                   # 100k partners, 300 requests x 3 runs a level
    python -m bench.http_load --quick           # 10k partners, 100 requests x 1 run: a smoke run

Preparing a size simulates, ingests and indexes it under ``--work`` (beyond ``--real-vectors``
partners the vectors are replicated with noise, as in bench/recommend_latency.py), and saves
the index so that the server loads it; a later run reuses it. Results:
bench/results/http_load.json (with --quick: var/bench/quick-results/http_load.json).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.recommend_latency import prepare_home
from bench.results import percentiles, provenance, results_path
from bench.traffic import seller_deals
from matcher import keys
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import read_judged


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


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) the process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # after the command name: state is field 3, utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    base_url: str,
    key: str,
    deals: list[dict[str, object]],
    requests: int,
    concurrency: int,
    server_pid: int | None = None,
) -> dict[str, float]:
    """Send ``requests`` recommendations with ``concurrency`` clients. Latency percentiles and
    req/s count the answered (200) ones; a 503 of load shedding is counted apart (``shed``),
    anything else as an error. Also the CPU milliseconds per request sent of the server
    (``server_pid``) and of this client."""
    latencies: list[float] = []
    errors = shed = 0
    counter = iter(range(requests))
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker() -> None:
            nonlocal errors, shed
            for number in counter:
                deal = deals[number % len(deals)]
                started = time.perf_counter()
                response = await client.post("/v1/recommendations", json=deal)
                if response.status_code == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                elif response.status_code == 503:
                    shed += 1
                else:
                    errors += 1

        server_cpu = process_cpu_s(server_pid) if server_pid is not None else 0.0
        client_cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        if server_pid is not None:
            server_cpu = process_cpu_s(server_pid) - server_cpu
    figures = {
        "concurrency": concurrency,
        "requests": requests,
        "errors": errors,
        "shed": shed,
        **percentiles(latencies, (50, 99), digits=1, mean_and_count=False),
        "req_per_s": round(len(latencies) / wall, 1),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / requests, 2),
    }
    if server_pid is not None:
        figures["server_cpu_ms_per_request"] = round(server_cpu * 1000 / requests, 2)
    return figures


CPU_FIGURES = ("server_cpu_ms_per_request", "client_cpu_ms_per_request")


def median_level(samples: list[dict[str, float]]) -> dict[str, object]:
    """One concurrency level over its runs: the median of each figure, errors and sheds summed."""
    return {
        "concurrency": samples[0]["concurrency"],
        "requests": samples[0]["requests"],
        "runs": len(samples),
        "errors": sum(sample["errors"] for sample in samples),
        "shed": sum(sample.get("shed", 0) for sample in samples),
        **{
            figure: round(statistics.median(sample[figure] for sample in samples), 1)
            for figure in ("p50_ms", "p99_ms", "req_per_s")
        },
        **{
            figure: round(statistics.median(sample[figure] for sample in samples), 2)
            for figure in CPU_FIGURES
            if all(figure in sample for sample in samples)
        },
        "req_per_s_runs": [sample["req_per_s"] for sample in samples],
    }


def load_options(argv: list[str], description: str) -> tuple[argparse.ArgumentParser, bool]:
    """The options the HTTP load benchmarks share, and whether ``--quick`` lowers their
    defaults (10k partners, 100 requests) for a smoke run."""
    quick = "--quick" in argv
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="10k partners, fewer requests")
    parser.add_argument("--partners", type=int, default=10_000 if quick else 100_000)
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--requests", type=int, default=100 if quick else 300)
    return parser, quick


def main(argv: list[str] | None = None) -> None:
    """Prepare (or reuse) the home, serve it, measure each concurrency level."""
    argv = sys.argv[1:] if argv is None else argv
    parser, quick = load_options(argv, __doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1 if quick else 3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument(
        "--real-vectors",
        type=int,
        default=10_000,
        help="as bench.recommend_latency's, whose prepared home (and index) this reuses",
    )
    parser.add_argument("--out", type=Path, default=results_path("http_load.json", quick))
    args = parser.parse_args(argv)

    home, judged = prepare_home(args.partners, args.work, args.real_vectors)
    warmup = min(50, args.requests)
    needed = warmup + args.runs * len(args.concurrency) * args.requests
    # every request a deal text the server has not seen (bench/traffic.py): the query
    # embedding cache cannot flatter the figures
    made = seller_deals([item.deal for item in read_judged(judged)], needed)
    if len(made) < needed:
        raise SystemExit(f"the judged deals make {len(made)} deal texts; {needed} are needed")
    stream = iter(deal.model_dump(mode="json", exclude_none=True) for deal in made)

    def deals(count: int) -> list[dict[str, object]]:
        return list(itertools.islice(stream, count))

    store = Store.from_settings(Settings(home=home))
    _, key = keys.create_key(store, "seller", "http-load-bench")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = _serve(home, port)
    samples: dict[int, list[dict[str, float]]] = {level: [] for level in args.concurrency}
    try:
        _wait_ready(base_url, server)
        asyncio.run(_drive(base_url, key, deals(warmup), warmup, 4))
        for _ in range(args.runs):
            for concurrency, runs in samples.items():
                runs.append(
                    asyncio.run(
                        _drive(
                            base_url,
                            key,
                            deals(args.requests),
                            args.requests,
                            concurrency,
                            server.pid,
                        )
                    )
                )
                print(json.dumps(runs[-1]), file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        **provenance("bench.http_load"),
        "server": "partnermatch serve (uvicorn, 1 worker), loopback; the client shares the CPUs",
        "partners": args.partners,
        "vectors": "real"
        if args.partners <= args.real_vectors
        else f"real for {args.real_vectors}, the rest replicated from them with N(0, 0.02) noise",
        "levels": [median_level(runs) for runs in samples.values()],
        "cpu": "server_cpu_ms_per_request: the server process's CPU time (user + system, all "
        "threads, /proc/<pid>/stat) over a level / its requests; client_cpu_ms_per_request: "
        "the load generator's own (it shares the CPUs)",
        "targets": "100k partners: p99 <= 50 ms and >= 150 req/s at 8 clients; CPU <= 12 ms "
        "a request",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["levels"], indent=2))


if __name__ == "__main__":
    main()
