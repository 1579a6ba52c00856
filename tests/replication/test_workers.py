"""``partnermatch serve --workers N``: N processes, each with its engine, all following one log."""

from __future__ import annotations

import time

import httpx
import pytest

from api.limits import TokenBucket
from tests.replication.servers import Deployment, resident_mb
from tests.replication.test_two_servers import (
    ITS_DEAL,
    PROPAGATION_S,
    new_partner,
    returned,
    version,
)


def test_two_workers_each_serve_a_write_made_through_either(deployment: Deployment) -> None:
    server = deployment.serve(workers=2)
    workers = server.pids()
    assert len(workers) == 2
    assert all(resident_mb(pid) > 0 for pid in workers)
    put = httpx.put(
        f"{server.url}/v1/partners/P-ZEP-1",
        json=new_partner("P-ZEP-1"),
        headers=deployment.admin,
        timeout=30,
    )
    assert put.status_code == 200, put.text

    # answers at the write's version or later must hold it; a worker still behind may answer
    # only within the propagation bound of the write
    deadline = time.monotonic() + PROPAGATION_S
    fresh = 0
    while fresh < 12:  # a new connection per request: the kernel hands them to either worker
        answer = httpx.post(
            f"{server.url}/v1/recommendations",
            json=ITS_DEAL,
            headers=deployment.seller,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        if version(answer) >= version(put):
            assert returned(answer, "P-ZEP-1"), answer.headers["x-partnermatch-version"]
            fresh += 1
        else:
            assert time.monotonic() < deadline, f"a worker was behind after {PROPAGATION_S} s"
            time.sleep(0.05)


def test_each_worker_enforces_its_share_of_the_widget_rate() -> None:
    bucket = TokenBucket.worker_share(60, workers=2)
    assert [bucket.take("key", now=0.0) == 0 for _ in range(31)].count(True) == 30
    assert TokenBucket.worker_share(1, workers=4).capacity == 1  # never below one request
    with pytest.raises(ValueError, match="workers"):
        TokenBucket.worker_share(60, workers=0)
