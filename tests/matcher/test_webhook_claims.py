"""Every serving process runs a webhook sender over one delivery table: an event is sent once,
not once per process (before, two workers polling together both sent each due delivery)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from matcher.store import Store
from matcher.webhooks import WebhookWorker, create_webhook, emit, list_deliveries
from matcher.webhooks.tables import deliveries
from tests.api.test_server import free_port
from tests.api.test_webhooks import Receiver

pytestmark = pytest.mark.both_databases

SENDERS = 4


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(free_port())
    receiver.start()
    yield receiver
    receiver.stop()


def test_senders_polling_together_send_each_event_once(store: Store, receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.port}/hook"
    webhook = create_webhook(store, url, ["partner.updated"], ["127.0.0.1"])
    event_ids = [emit(store, "partner.updated", {"partner_id": f"P-{n}"}) for n in range(5)]
    senders = [WebhookWorker(store, ["127.0.0.1"]) for _ in range(SENDERS)]
    together = threading.Barrier(SENDERS)
    sent: list[int] = []

    def poll(sender: WebhookWorker) -> None:
        together.wait()
        sent.append(sender.send_due())

    threads = [threading.Thread(target=poll, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    received = sorted(headers["Partnermatch-Event-Id"] for headers, _ in receiver.received)
    assert received == sorted(event_ids)
    assert sum(sent) == len(event_ids)
    states = list_deliveries(store, webhook["webhook_id"])
    assert [d["status"] for d in states] == ["delivered"] * len(event_ids)
    assert [d["attempts"] for d in states] == [1] * len(event_ids)


def test_a_claimed_delivery_is_sent_again_once_its_lease_ran_out(
    store: Store, receiver: Receiver
) -> None:
    # a sender that claimed a delivery and died before sending: another sends it after the lease
    url = f"http://127.0.0.1:{receiver.port}/hook"
    create_webhook(store, url, ["partner.updated"], ["127.0.0.1"])
    event_id = emit(store, "partner.updated", {"partner_id": "P-1"})
    died, survivor = WebhookWorker(store, ["127.0.0.1"]), WebhookWorker(store, ["127.0.0.1"])
    with store.engine.connect() as connection:
        (row_id,) = connection.execute(select(deliveries.c.id)).scalars().all()
    died.lease_s = 0.0  # its lease is over at once
    assert died.claim(row_id, datetime.now(UTC))
    assert not died.claim(row_id, datetime.now(UTC) - timedelta(seconds=1))  # not due then
    assert survivor.send_due() == 1
    assert [headers["Partnermatch-Event-Id"] for headers, _ in receiver.received] == [event_id]
