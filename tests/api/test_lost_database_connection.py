"""A database connection the server kills while a request uses it (a failover,
``pg_terminate_backend``): a read is answered anyway, a write gets 503 with ``Retry-After``
and leaves nothing half-written. Found by the two-server test: a key check in flight when its
connection was killed answered 500 and uvicorn reset the client's connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from matcher.store import Store
from tests.pg_cluster import Cluster

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

PROFILE = {
    "partner_id": "P-1",
    "name": "Acme Integration",
    "partner_type": "system_integrator",
    "countries": ["DE"],
}


class ConnectionKiller:
    """Terminates the server process behind the first statement that contains ``fragment``,
    just before that statement is sent: the statement then meets a dead connection."""

    def __init__(self, store: Store, cluster: Cluster, fragment: str) -> None:
        self.cluster = cluster
        self.fragment = fragment
        self.killed: list[int] = []
        event.listen(store.engine, "before_cursor_execute", self._before)

    def _before(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.killed or self.fragment not in statement:
            return
        pid = connection.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(
            host="127.0.0.1", port=self.cluster.port, user=self.cluster.user,
            dbname="postgres", autocommit=True,
        ) as dba:  # fmt: skip
            dba.execute("SELECT pg_terminate_backend(%s)", (pid,))
            deadline = time.monotonic() + 5
            while dba.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                assert time.monotonic() < deadline, "the backend did not end"
                time.sleep(0.01)
        self.killed.append(pid)


@pytest.fixture
def killer_of(
    client: TestClient, postgres_cluster: Cluster
) -> Iterator[type[ConnectionKiller] | Any]:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    yield lambda fragment: ConnectionKiller(store, postgres_cluster, fragment)


def test_a_key_check_whose_connection_dies_mid_query_is_read_again(
    client: TestClient, role_keys: dict[str, dict[str, str]], killer_of: Any
) -> None:
    killer = killer_of("FROM api_keys")
    response = client.get("/v1/partners", headers=role_keys["seller"])
    assert killer.killed, "the key check's connection was not killed"
    assert response.status_code == 200, response.text


def test_a_write_whose_connection_dies_answers_503_and_stores_nothing_half(
    client: TestClient, role_keys: dict[str, dict[str, str]], killer_of: Any
) -> None:
    killer = killer_of("INSERT INTO partners")
    response = client.put("/v1/partners/P-1", json=PROFILE, headers=role_keys["admin"])
    assert killer.killed, response.text
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert "connection was lost" in response.json()["detail"]
    assert client.get("/v1/partners/P-1", headers=role_keys["admin"]).status_code == 404
    again = client.put("/v1/partners/P-1", json=PROFILE, headers=role_keys["admin"])
    assert again.status_code == 200, again.text
    assert client.get("/v1/partners/P-1", headers=role_keys["admin"]).json()["name"] == (
        "Acme Integration"
    )
