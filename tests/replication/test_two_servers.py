"""Issue 15's "done when": two ``serve`` processes on different ports and one PostgreSQL.

A partner PUT through A is returned by B within 2 s at the same index_version; a DELETE
likewise; B catches up after the server killed its database connections
(``pg_terminate_backend``); a model promoted through A is used by B; and 8 concurrent clients
see no failed request meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg

from tests.pg_cluster import Cluster
from tests.replication.servers import Deployment, Server

PROPAGATION_S = 2.0
CLIENTS = 8
LOAD_DEAL = {"description": "ERP roll-out and data migration for a retailer", "top_k": 5}


def new_partner(partner_id: str) -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "name": f"Zeppelin Hangar Works {partner_id}",
        "partner_type": "system_integrator",
        "description": "Airship hangar maintenance and zeppelin envelope inspection software",
        "specialisms": ["airship hangar maintenance", "zeppelin envelope inspection"],
        "countries": ["DE"],
    }


ITS_DEAL = {
    "description": "Zeppelin envelope inspection and airship hangar maintenance",
    "top_k": 10,
}


class Load:
    """``CLIENTS`` threads sending recommendations to both servers until stopped."""

    def __init__(self, servers: list[Server], headers: dict[str, str]) -> None:
        self.servers = servers
        self.headers = headers
        self.done = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(CLIENTS)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self, client: int) -> None:
        with httpx.Client(headers=self.headers, timeout=30) as http:
            turn = client
            while not self._stop.is_set():
                server = self.servers[turn % len(self.servers)]
                turn += 1
                try:
                    response = http.post(f"{server.url}/v1/recommendations", json=LOAD_DEAL)
                    failed = None if response.status_code == 200 else response.text[:300]
                except httpx.HTTPError as error:
                    failed = f"{type(error).__name__}: {error}"
                with self._lock:
                    self.done += 1
                    if failed is not None:
                        self.failures.append(f"{server.url}: {failed}")


def recommend(server: Server, headers: dict[str, str], deal: dict[str, Any]) -> httpx.Response:
    response = httpx.post(
        f"{server.url}/v1/recommendations", json=deal, headers=headers, timeout=30
    )
    assert response.status_code == 200, response.text
    return response


def returned(response: httpx.Response, partner_id: str) -> bool:
    return partner_id in {result["partner_id"] for result in response.json()["results"]}


def within(seconds: float, condition: Callable[[], bool]) -> float:
    """Seconds until ``condition()`` held (failing the test after ``seconds``)."""
    started = time.monotonic()
    while not condition():
        elapsed = time.monotonic() - started
        assert elapsed < seconds, f"not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - started


def version(response: httpx.Response) -> int:
    return int(response.headers["x-partnermatch-version"])


def caught_up(server: Server, target: int) -> float:
    """Seconds until ``server`` has applied change-log version ``target``, read from the
    version header of its ``/healthz`` (answered on the event loop, so a slow recommendation
    under the clients' load does not blur the bound); fails after :data:`PROPAGATION_S`."""
    return within(
        PROPAGATION_S, lambda: version(httpx.get(f"{server.url}/healthz", timeout=30)) >= target
    )


def test_two_servers_on_one_postgresql_serve_each_other_s_writes(
    deployment: Deployment, postgres_cluster: Cluster
) -> None:
    a = deployment.serve()
    b = deployment.serve()
    admin, seller = deployment.admin, deployment.seller
    first_a, first_b = recommend(a, seller, ITS_DEAL), recommend(b, seller, ITS_DEAL)
    assert first_a.json()["index_version"] == first_b.json()["index_version"]
    assert first_a.json()["model_version"] == "ipp-0001"

    with Load([a, b], seller) as load:
        # a PUT through A is returned by B within 2 s, at the same index_version
        put = httpx.put(f"{a.url}/v1/partners/P-ZEP-1", json=new_partner("P-ZEP-1"), headers=admin)
        assert put.status_code == 200, put.text
        assert returned(recommend(a, seller, ITS_DEAL), "P-ZEP-1")  # the writer, at once
        caught_up(b, version(put))
        assert returned(recommend(b, seller, ITS_DEAL), "P-ZEP-1")
        on_a, on_b = recommend(a, seller, ITS_DEAL), recommend(b, seller, ITS_DEAL)
        assert on_b.json()["index_version"] == on_a.json()["index_version"]
        assert version(on_b) >= version(put)

        # a DELETE likewise
        deleted = httpx.delete(f"{a.url}/v1/partners/P-ZEP-1", headers=admin)
        assert deleted.status_code == 204
        caught_up(b, version(deleted))
        assert not returned(recommend(b, seller, ITS_DEAL), "P-ZEP-1")
        assert version(recommend(b, seller, ITS_DEAL)) >= version(deleted)

        # the server drops every connection of B (its pool and its listener): B catches up
        with psycopg.connect(
            host="127.0.0.1", port=postgres_cluster.port, user=postgres_cluster.user,
            dbname="postgres", autocommit=True,
        ) as dba:  # fmt: skip
            killed = dba.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name LIKE %s",
                (f"% pid {b.process.pid}",),
            ).fetchone()
        assert killed is not None and killed[0] >= 2  # at least a pooled one and the listener
        put = httpx.put(f"{a.url}/v1/partners/P-ZEP-2", json=new_partner("P-ZEP-2"), headers=admin)
        assert put.status_code == 200, put.text
        caught_up(b, version(put))
        assert returned(recommend(b, seller, ITS_DEAL), "P-ZEP-2")

        # a model promoted through A is used by B
        promoted = httpx.post(f"{a.url}/v1/models/ipp-0002/promote", headers=admin, timeout=30)
        assert promoted.status_code == 200, promoted.text
        assert recommend(a, seller, LOAD_DEAL).json()["model_version"] == "ipp-0002"
        caught_up(b, version(httpx.get(f"{a.url}/healthz", timeout=30)))
        assert recommend(b, seller, LOAD_DEAL).json()["model_version"] == "ipp-0002"
        time.sleep(0.5)  # some load on the promoted model too

    assert load.failures == [], load.failures[:5]
    assert load.done > 50  # the clients really ran
    assert version(recommend(b, seller, LOAD_DEAL)) == version(recommend(a, seller, LOAD_DEAL))
