"""The background sender: due deliveries POSTed, signed, retried with backoff and jitter.

One daemon thread per serving process polls the delivery table, so the request that caused
an event only ever inserts a row; a receiver that is down gets the missed events when it is
back, until ``max_attempts`` is spent. Every worker and replica runs a sender: each claims a
delivery before sending it (:meth:`WebhookWorker.claim`), so one event is sent once, not once
per process.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update

from matcher.store import Store
from matcher.webhooks.signing import SIGNATURE_HEADER, sign
from matcher.webhooks.subscriptions import WebhookError, check_target
from matcher.webhooks.tables import deliveries, ready, webhooks

log = logging.getLogger(__name__)


def backoff_s(attempts: int, base_s: float, cap_s: float = 3600.0) -> float:
    """Seconds before retry number ``attempts``: exponential, capped, with jitter in
    [half, full] so receivers coming back are not hit by every sender at once."""
    return min(cap_s, base_s * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)


class WebhookWorker:
    """Sends due deliveries from a daemon thread until :meth:`stop`."""

    def __init__(
        self,
        store: Store,
        allowed_hosts: list[str],
        retry_base_s: float = 2.0,
        max_attempts: int = 8,
        poll_s: float = 0.25,
        timeout_s: float = 5.0,
    ) -> None:
        self.store = ready(store)
        self.allowed_hosts = allowed_hosts
        self.retry_base_s = retry_base_s
        self.max_attempts = max_attempts
        self.poll_s = poll_s
        # a claimed delivery is another process's again after this (its sender died mid-send)
        self.lease_s = 2 * timeout_s + 5
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="partnermatch-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.send_due()
            except Exception:  # a broken poll must not end deliveries for the process
                log.exception("webhook delivery poll failed")
            self._stop.wait(self.poll_s)

    def send_due(self) -> int:
        """Attempt every delivery that is due now; returns how many were attempted."""
        now = datetime.now(UTC)
        with self.store.engine.connect() as connection:
            due = connection.execute(
                select(deliveries, webhooks.c.url, webhooks.c.secret)
                .join(webhooks, webhooks.c.webhook_id == deliveries.c.webhook_id)
                .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
                .order_by(deliveries.c.id)
                .limit(100)
            ).all()
        claimed = [row for row in due if self.claim(row.id, now)]
        for row in claimed:
            self._attempt(row.id, row.url, row.secret, row.event_id, row.payload, row.attempts)
        return len(claimed)

    def claim(self, row_id: int, now: datetime) -> bool:
        """Take a due delivery for this process: its next attempt moves a lease ahead, so the
        other processes polling the table skip it; ``False`` if another one took it first.

        The update's condition is re-checked under the row's write lock, so of two senders
        that read the same due row only one changes it.
        """
        with self.store.transaction() as connection:
            taken = connection.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == row_id,
                    deliveries.c.status == "pending",
                    deliveries.c.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + timedelta(seconds=self.lease_s))
            )
        return taken.rowcount == 1

    def _attempt(
        self, row_id: int, url: str, secret: str, event_id: str, payload: object, attempts: int
    ) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        code: int | None = None
        error: str | None = None
        try:
            check_target(url, self.allowed_hosts)
            response = self._client.post(
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(secret, body),
                    "Partnermatch-Event-Id": event_id,
                },
            )
            code = response.status_code
            if not response.is_success:
                error = f"HTTP {code}"
        except (httpx.HTTPError, WebhookError) as failure:
            error = str(failure) or type(failure).__name__
        attempts += 1
        now = datetime.now(UTC)
        if error is None:
            values = {"status": "delivered", "delivered_at": now}
        elif attempts >= self.max_attempts:
            values = {"status": "failed"}
        else:
            values = {
                "next_attempt_at": now + timedelta(seconds=backoff_s(attempts, self.retry_base_s))
            }
        with self.store.transaction() as connection:
            connection.execute(
                update(deliveries)
                .where(deliveries.c.id == row_id)
                .values(attempts=attempts, last_status_code=code, last_error=error, **values)
            )
