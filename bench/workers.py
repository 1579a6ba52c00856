"""Workers and replicas: HTTP throughput with 1 vs 2 ``serve`` workers, and how long a write
takes to reach another serving process.

Reuses bench/http_load.py's prepared home and load loop (8 clients sending deal texts the server
has not seen). For each worker count, serves the home with ``partnermatch serve --workers N``
and measures req/s and p99 at ``--concurrency`` clients, and each worker's resident memory.
Then starts two single-worker servers A and B on the same home and database and, ``--writes``
times, PUTs a partner through A and times until B's ``X-Partnermatch-Version`` (``GET
/healthz``, the version B has applied) reaches the write's: the propagation delay, p50/p99. On
SQLite that is polling alone (``PARTNERMATCH_REFRESH_SECONDS``); with
``PARTNERMATCH_DATABASE_URL`` on PostgreSQL, LISTEN/NOTIFY.

    python -m bench.workers                  # 100k partners
    python -m bench.workers --quick          # 10k partners, fewer requests

Results: bench/results/workers.json (with --quick: var/bench/quick-results/workers.json).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.http_load import _drive, _free_port, _wait_ready, load_options
from bench.recommend_latency import prepare_home
from bench.results import percentiles, provenance, results_path
from bench.traffic import seller_deals
from matcher import keys
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import read_judged


def _serve(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).with_name("partnermatch")
    env = {**os.environ, "PARTNERMATCH_HOME": str(home)}
    return subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def worker_pids(process: subprocess.Popen[bytes]) -> list[int]:
    """uvicorn's worker processes (multiprocessing spawn children), or the server itself."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == process.pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found or [process.pid]


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _ready_everywhere(base_url: str, process: subprocess.Popen[bytes], settle_s: float) -> None:
    _wait_ready(base_url, process)
    time.sleep(settle_s)  # the other workers load before they accept: give them the time


def propagation(home: Path, admin: str, writes: int) -> dict[str, object]:
    """Seconds from a PUT through A returning to B having applied it, over ``writes`` PUTs."""
    ports = [_free_port(), _free_port()]
    servers = [_serve(home, port, 1) for port in ports]
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    delays: list[float] = []
    try:
        for url, server in zip((a, b), servers, strict=True):
            _wait_ready(url, server)
        headers = {"Authorization": f"Bearer {admin}"}
        for number in range(writes):
            partner = {
                "partner_id": f"P-PROPAGATE-{number}",
                "name": f"Propagation probe {number}",
                "partner_type": "isv",
                "description": f"probe partner number {number} for the propagation benchmark",
            }
            put = httpx.put(
                f"{a}/v1/partners/{partner['partner_id']}",
                json=partner,
                headers=headers,
                timeout=60,
            )
            put.raise_for_status()
            written = int(put.headers["x-partnermatch-version"])
            started = time.perf_counter()
            while int(httpx.get(f"{b}/healthz").headers["x-partnermatch-version"]) < written:
                time.sleep(0.005)
            delays.append((time.perf_counter() - started) * 1000)
            httpx.delete(f"{a}/v1/partners/{partner['partner_id']}", headers=headers, timeout=60)
    finally:
        for server in servers:
            _stop(server)
    return {"writes": writes, **percentiles(delays, (50, 99), digits=1, mean_and_count=False)}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser, quick = load_options(argv, __doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--writes", type=int, default=10 if quick else 30)
    parser.add_argument("--real-vectors", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=results_path("workers.json", quick))
    args = parser.parse_args(argv)

    home, judged = prepare_home(args.partners, args.work, args.real_vectors)
    warmup = 4 * args.concurrency
    needed = len(args.workers) * (warmup + args.requests)
    made = seller_deals([item.deal for item in read_judged(judged)], needed)
    stream = iter(deal.model_dump(mode="json", exclude_none=True) for deal in made)
    store = Store.from_settings(Settings(home=home))
    _, seller = keys.create_key(store, "seller", "workers-bench")
    _, admin = keys.create_key(store, "admin", "workers-bench")
    levels = []
    for workers in args.workers:
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = _serve(home, port, workers)
        try:
            _ready_everywhere(base_url, server, settle_s=0 if workers == 1 else 60)
            memory = [resident_mb(pid) for pid in worker_pids(server)]
            deals = list(itertools.islice(stream, warmup + args.requests))
            asyncio.run(_drive(base_url, seller, deals[:warmup], warmup, args.concurrency))
            figures = asyncio.run(
                _drive(base_url, seller, deals[warmup:], args.requests, args.concurrency)
            )
        finally:
            _stop(server)
        levels.append({"workers": workers, **figures, "resident_mb_per_worker": memory})
        print(json.dumps(levels[-1]), flush=True)
    record = {
        "benchmark": "workers",
        "partners": args.partners,
        "levels": levels,
        "ratio_req_per_s": round(levels[-1]["req_per_s"] / levels[0]["req_per_s"], 2),
        "propagation_ms": propagation(home, admin, args.writes),
        "database": "postgresql" if os.environ.get("PARTNERMATCH_DATABASE_URL") else "sqlite",
        **provenance("bench.workers"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
