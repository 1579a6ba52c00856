"""Webhooks end to end: a real API server, a real receiver on loopback, signed deliveries,
retries after the receiver was down, and the admin routes."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from matcher.webhooks import SIGNATURE_HEADER, verify
from tests.api.conftest import REPO
from tests.api.live import Served
from tests.api.test_server import free_port

DEAL = {"description": "Portfolio management roll-out for a German manufacturer", "top_k": 3}


class Receiver:
    """A loopback HTTP server that records each POST (headers and raw body); can be stopped
    and started again on the same port, as a receiver that goes down and comes back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def wait_for(condition: Callable[[], bool], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Served, Receiver]]:
    receiver = Receiver(free_port())
    receiver.start()
    with Served(
        tmp_path / "home", webhook_allowed_hosts=["127.0.0.1"], webhook_retry_base_s=0.2
    ) as served:
        yield served, receiver
    receiver.stop()


def test_events_arrive_signed_and_missed_ones_after_the_receiver_returns(
    setup: tuple[Served, Receiver],
) -> None:
    served, receiver = setup
    admin = {"Authorization": f"Bearer {served.keys['admin']}"}
    seller = {"Authorization": f"Bearer {served.keys['seller']}"}
    api = httpx.Client(base_url=served.url, timeout=30)
    created = api.post(
        "/v1/webhooks",
        json={
            "url": f"http://127.0.0.1:{receiver.port}/hook",
            "events": ["recommendation.served", "feedback.recorded"],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert "secret" not in api.get("/v1/webhooks", headers=admin).json()[0]

    answer = api.post("/v1/recommendations", json=DEAL, headers=seller).json()
    partner_id = answer["results"][0]["partner_id"]
    feedback = {
        "kind": "accepted",
        "recommendation_id": answer["recommendation_id"],
        "partner_id": partner_id,
    }
    assert api.post("/v1/feedback", json=feedback, headers=seller).status_code == 201
    wait_for(lambda: len(receiver.received) == 2)
    events = []
    for headers, body in receiver.received:
        assert verify(hook["secret"], body, headers[SIGNATURE_HEADER])
        assert not verify("whsec_wrong", body, headers[SIGNATURE_HEADER])
        event = json.loads(body)
        assert headers["Partnermatch-Event-Id"] == event["id"]
        events.append(event)
    assert [e["type"] for e in events] == ["recommendation.served", "feedback.recorded"]
    assert events[0]["data"]["recommendation_id"] == answer["recommendation_id"]
    assert events[1]["data"]["partner_id"] == partner_id

    receiver.stop()
    missed = api.post("/v1/recommendations", json=DEAL, headers=seller).json()
    history = f"/v1/webhooks/{hook['webhook_id']}/deliveries"
    wait_for(lambda: api.get(history, headers=admin).json()[0]["attempts"] >= 2)
    failing = api.get(history, headers=admin).json()[0]
    assert failing["status"] == "pending" and failing["last_error"]
    receiver.start()
    wait_for(lambda: len(receiver.received) == 3)
    headers, body = receiver.received[2]
    assert json.loads(body)["data"]["recommendation_id"] == missed["recommendation_id"]
    assert verify(hook["secret"], body, headers[SIGNATURE_HEADER])
    wait_for(lambda: api.get(history, headers=admin).json()[0]["status"] == "delivered")
    assert api.get(history, headers=admin).json()[0]["last_status_code"] == 204

    rotated = api.post(f"/v1/webhooks/{hook['webhook_id']}/rotate", headers=admin).json()
    assert rotated["secret"] != hook["secret"]
    assert api.delete(f"/v1/webhooks/{hook['webhook_id']}", headers=admin).status_code == 204
    assert api.get(history, headers=admin).status_code == 404


def test_registration_refuses_hosts_not_allowed_and_unknown_events(
    setup: tuple[Served, Receiver],
) -> None:
    served, _ = setup
    api = httpx.Client(base_url=served.url, timeout=30)
    admin = {"Authorization": f"Bearer {served.keys['admin']}"}
    internal = api.post(
        "/v1/webhooks",
        json={"url": "http://169.254.169.254/latest", "events": ["feedback.recorded"]},
        headers=admin,
    )
    assert internal.status_code == 422
    assert internal.headers["content-type"].startswith("application/problem+json")
    assert internal.json()["errors"][0]["field"] == "url"
    unknown = api.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["deal.won"]},
        headers=admin,
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "events"
    seller = {"Authorization": f"Bearer {served.keys['seller']}"}
    assert api.get("/v1/webhooks", headers=seller).status_code == 403


def test_partner_index_and_model_events_reach_the_receiver(
    setup: tuple[Served, Receiver],
) -> None:
    served, receiver = setup
    admin = {"Authorization": f"Bearer {served.keys['admin']}"}
    api = httpx.Client(base_url=served.url, timeout=60)
    events = ["partner.updated", "partner.at_capacity", "partner.deleted"]
    events += ["index.rebuilt", "model.promoted"]
    url = f"http://127.0.0.1:{receiver.port}/hook"
    hook = api.post("/v1/webhooks", json={"url": url, "events": events}, headers=admin).json()
    full = {"partner_id": "P-FULL", "name": "Booked Ltd", "partner_type": "isv"}
    full |= {"active_projects": 4, "max_projects": 4}
    assert api.put("/v1/partners/P-FULL", json=full, headers=admin).status_code == 200
    assert api.delete("/v1/partners/P-FULL", headers=admin).status_code == 204
    assert api.post("/v1/index/rebuild", headers=admin).status_code in (200, 202)
    models = served.app.state.settings.resolved_models_dir
    shutil.copytree(REPO / "models" / "ipp-0001", models / "ipp-0001")
    assert api.post("/v1/models/ipp-0001/promote", headers=admin).status_code == 200
    wait_for(lambda: len(receiver.received) == 5)
    got = {}
    for headers, body in receiver.received:
        assert verify(hook["secret"], body, headers[SIGNATURE_HEADER])
        event = json.loads(body)
        got[event["type"]] = event["data"]
    assert got["partner.updated"] == got["partner.at_capacity"] == {"partner_id": "P-FULL"}
    assert got["partner.deleted"] == {"partner_id": "P-FULL"}
    assert got["index.rebuilt"]["index_version"]
    assert got["model.promoted"] == {"model_version": "ipp-0001"}


def test_a_team_answer_and_its_verdict_reach_the_receiver(setup: tuple[Served, Receiver]) -> None:
    served, receiver = setup
    admin = {"Authorization": f"Bearer {served.keys['admin']}"}
    seller = {"Authorization": f"Bearer {served.keys['seller']}"}
    api = httpx.Client(base_url=served.url, timeout=30)
    hook = {
        "url": f"http://127.0.0.1:{receiver.port}/hook",
        "events": ["recommendation.served", "feedback.recorded"],
    }
    assert api.post("/v1/webhooks", json=hook, headers=admin).status_code == 201
    deal = {"industry": "manufacturing", "languages": ["zh", "pl"], "top_k": 1}
    answer = api.post("/v1/recommendations/teams", json=deal, headers=seller).json()
    members = [m["partner_id"] for m in answer["teams"][0]["members"]]
    verdict = {"kind": "accepted", "recommendation_id": answer["recommendation_id"], "team_rank": 1}
    assert api.post("/v1/feedback/teams", json=verdict, headers=seller).status_code == 201
    wait_for(lambda: len(receiver.received) == 1 + len(members))
    served_event, *verdicts = [json.loads(body) for _, body in receiver.received]
    assert served_event["type"] == "recommendation.served"
    assert served_event["data"]["channel"] == "teams"
    assert [r["partner_id"] for r in served_event["data"]["results"]] == members
    assert sorted(e["data"]["partner_id"] for e in verdicts) == sorted(members)
    assert {(e["type"], e["data"]["team_rank"]) for e in verdicts} == {("feedback.recorded", 1)}
