"""Overload on loopback (issue 12): /healthz while a big request is served, and 64 clients.

Serves a prepared home with the real `partnermatch serve` (one uvicorn worker, the default
``max_in_flight``) and measures: (1) `/healthz` latency while large requests (a 5,000-row
screening, a deal excluding 1,000 ids) are in flight; (2) 64 concurrent clients on
`POST /v1/recommendations`: p99 of the answered (200) requests, how many were shed (503) and
how fast a 503 came back; with ``--polite``, (3) the same clients waiting each 503's
``Retry-After`` before their next request. The client shares the 2-core machine with the
server.

    python -m bench.overload --partners 10000 --polite  # the prepared 10k home of bench.http_load

Results: bench/results/overload.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import httpx

from bench.http_load import _free_port, _serve, _wait_ready
from bench.recommend_latency import prepare_home
from bench.results import percentiles, provenance, results_path
from matcher import keys
from matcher.settings import Settings
from matcher.store import Store
from training.evaluate import read_judged

SCREEN_ROWS = 5_000


async def _healthz_under_big_requests(
    base_url: str, seller: str, recruiter: str
) -> dict[str, object]:
    """Poll /healthz every 20 ms while a big screening and a big deal are being served."""
    prospects = [
        {"partner_id": f"N-{n}", "name": f"Prospect {n}", "partner_type": "msp", "countries": "DE"}
        for n in range(SCREEN_ROWS)
    ]
    deal = {"description": "ERP data migration", "exclude": [f"P-{n}" for n in range(1000)]}
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        big = [
            asyncio.create_task(
                client.post(
                    "/v1/prospects/screen",
                    json=prospects,
                    headers={"Authorization": f"Bearer {recruiter}"},
                )
            ),
            asyncio.create_task(
                client.post(
                    "/v1/recommendations", json=deal, headers={"Authorization": f"Bearer {seller}"}
                )
            ),
        ]
        while not all(task.done() for task in big):
            started = time.perf_counter()
            await client.get("/healthz")
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.02)
        statuses = [task.result().status_code for task in big]
    return {
        "big_request_statuses": statuses,
        "healthz_ms": percentiles(latencies, (50, 99), digits=1),
    }


async def _many_clients(
    base_url: str,
    seller: str,
    deals: list[dict[str, object]],
    requests: int,
    concurrency: int,
    polite: bool = False,
) -> dict[str, object]:
    """``requests`` recommendations from ``concurrency`` clients: answered vs shed latencies.

    ``polite`` clients wait the ``Retry-After`` of a 503 before their next request, as a
    client library with back-off does; the others send it at once."""
    answered: list[float] = []
    shed: list[float] = []
    other = 0
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency)
    headers = {"Authorization": f"Bearer {seller}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60
    ) as client:

        async def worker() -> None:
            nonlocal other
            for number in counter:
                started = time.perf_counter()
                response = await client.post("/v1/recommendations", json=deals[number % len(deals)])
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code == 200:
                    answered.append(elapsed)
                elif response.status_code == 503:
                    shed.append(elapsed)
                    if polite:
                        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                else:
                    other += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {
        "concurrency": concurrency,
        "requests": requests,
        "clients_wait_retry_after": polite,
        "answered": percentiles(answered, (50, 99), digits=1) if answered else None,
        "shed_503": percentiles(shed, (50, 99), digits=1) if shed else {"count": 0},
        "other_statuses": other,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--real-vectors", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=640)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--out", type=Path, default=results_path("overload.json", False))
    parser.add_argument(
        "--polite",
        action="store_true",
        help="also run the 64 clients waiting each 503's Retry-After before their next request",
    )
    args = parser.parse_args(argv)

    home, judged = prepare_home(args.partners, args.work, args.real_vectors)
    deals = [j.deal.model_dump(mode="json", exclude_none=True) for j in read_judged(judged)]
    store = Store.from_settings(Settings(home=home))
    seller = keys.create_key(store, "seller", "overload-bench")[1]
    recruiter = keys.create_key(store, "recruiter", "overload-bench")[1]
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = _serve(home, port)
    try:
        _wait_ready(base_url, server)
        health = asyncio.run(_healthz_under_big_requests(base_url, seller, recruiter))
        print(json.dumps(health), file=sys.stderr)
        load = asyncio.run(_many_clients(base_url, seller, deals, args.requests, args.concurrency))
        print(json.dumps(load), file=sys.stderr)
        polite = None
        if args.polite:
            polite = asyncio.run(
                _many_clients(base_url, seller, deals, args.requests, args.concurrency, True)
            )
            print(json.dumps(polite), file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        **provenance("bench.overload"),
        "server": "partnermatch serve (uvicorn, 1 worker, default max_in_flight), loopback",
        "partners": args.partners,
        "healthz_while_big_requests": health,
        "many_clients": load,
        **({"many_polite_clients": polite} if polite is not None else {}),
        "targets": "healthz < 100 ms during any single request; 64 clients: p99 answered <= 1 s",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
