"""Webhook subscriptions (register, list, delete, rotate the secret) and their deliveries."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update

from matcher.store import Store
from matcher.webhooks.events import EVENTS
from matcher.webhooks.tables import deliveries, ready, webhooks


class WebhookError(ValueError):
    """A subscription that cannot be registered, with the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_target(url: str, allowed_hosts: list[str]) -> str:
    """``url`` if it is http(s) to an allowed host, so we never call arbitrary addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("url", "the url must be an absolute http or https URL")
    if parts.hostname.lower() not in {host.lower() for host in allowed_hosts}:
        allowed = ", ".join(allowed_hosts) or "none (set PARTNERMATCH_WEBHOOK_ALLOWED_HOSTS)"
        raise WebhookError("url", f"host {parts.hostname!r} is not allowed; allowed: {allowed}")
    return url


def _new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def create_webhook(
    store: Store, url: str, events: list[str], allowed_hosts: list[str]
) -> dict[str, Any]:
    """Register ``url`` for ``events``; the answer carries the secret, shown only this once."""
    check_target(url, allowed_hosts)
    unknown = sorted(set(events) - set(EVENTS))
    if not events or unknown:
        raise WebhookError(
            "events", f"unknown or no events {unknown}; allowed: {', '.join(EVENTS)}"
        )
    created_at = datetime.now(UTC)
    record: dict[str, Any] = {
        "webhook_id": "wh_" + secrets.token_hex(8),
        "url": url,
        "events": sorted(set(events)),
        "secret": _new_secret(),
        "created_at": created_at,
    }
    with ready(store).transaction() as connection:
        connection.execute(webhooks.insert().values(**record))
    return {**record, "created_at": created_at.isoformat()}


def list_webhooks(store: Store) -> list[dict[str, Any]]:
    """Every subscription, without its secret."""
    with ready(store).engine.connect() as connection:
        rows = connection.execute(select(webhooks).order_by(webhooks.c.created_at)).all()
    return [
        {
            "webhook_id": r.webhook_id,
            "url": r.url,
            "events": r.events,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


def delete_webhook(store: Store, webhook_id: str) -> bool:
    """Remove a subscription and its pending deliveries; ``False`` if there was none."""
    with ready(store).transaction() as connection:
        gone = connection.execute(delete(webhooks).where(webhooks.c.webhook_id == webhook_id))
        connection.execute(
            delete(deliveries).where(
                deliveries.c.webhook_id == webhook_id, deliveries.c.status == "pending"
            )
        )
    return gone.rowcount > 0


def rotate_secret(store: Store, webhook_id: str) -> str | None:
    """A new secret for the subscription (returned once), or ``None`` if there is none."""
    secret = _new_secret()
    with ready(store).transaction() as connection:
        done = connection.execute(
            update(webhooks).where(webhooks.c.webhook_id == webhook_id).values(secret=secret)
        )
    return secret if done.rowcount else None


def list_deliveries(store: Store, webhook_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The subscription's latest deliveries, newest first, with attempts and last result."""
    with ready(store).engine.connect() as connection:
        rows = connection.execute(
            select(deliveries)
            .where(deliveries.c.webhook_id == webhook_id)
            .order_by(deliveries.c.id.desc())
            .limit(limit)
        ).all()
    return [
        {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in row._mapping.items()
            if name != "id"
        }
        for row in rows
    ]
