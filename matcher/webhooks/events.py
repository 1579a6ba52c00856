"""The events a subscription may ask for, and queuing one delivery per subscriber.

``emit`` only inserts rows: the sending happens in :class:`matcher.webhooks.WebhookWorker`,
so a slow or dead receiver never adds to the latency of the request that caused the event.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from matcher.store import Store
from matcher.webhooks.tables import deliveries, ready, webhooks

EVENTS = (
    "recommendation.served",
    "feedback.recorded",
    "partner.updated",
    "partner.deleted",
    "partner.at_capacity",
    "model.promoted",
    "index.rebuilt",
)


def emit(store: Store, event: str, data: dict[str, Any]) -> str:
    """Queue ``event`` for every subscriber; returns its event id (the receiver's dedup key)."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    event_id = "evt_" + secrets.token_hex(12)
    now = datetime.now(UTC)
    body = {"id": event_id, "type": event, "created_at": now.isoformat(), "data": data}
    with ready(store).transaction() as connection:
        subscribers = [
            row.webhook_id
            for row in connection.execute(select(webhooks.c.webhook_id, webhooks.c.events))
            if event in row.events
        ]
        for webhook_id in subscribers:
            connection.execute(
                deliveries.insert().values(
                    event_id=event_id,
                    webhook_id=webhook_id,
                    event=event,
                    payload=body,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return event_id
