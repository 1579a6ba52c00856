"""Signed webhooks: subscriptions, events queued as deliveries, a background sender."""

from matcher.webhooks.events import EVENTS, emit
from matcher.webhooks.signing import SIGNATURE_HEADER, sign, verify
from matcher.webhooks.subscriptions import (
    WebhookError,
    create_webhook,
    delete_webhook,
    list_deliveries,
    list_webhooks,
    rotate_secret,
)
from matcher.webhooks.worker import WebhookWorker

__all__ = [
    "EVENTS",
    "SIGNATURE_HEADER",
    "WebhookError",
    "WebhookWorker",
    "create_webhook",
    "delete_webhook",
    "emit",
    "list_deliveries",
    "list_webhooks",
    "rotate_secret",
    "sign",
    "verify",
]
