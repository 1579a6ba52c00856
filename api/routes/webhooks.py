"""Webhooks (admin): register a receiver for events, list, delete, rotate its secret, and read
its delivery history. Sending is the background worker's job (``matcher.webhooks``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from api.deps import AdminKey, SettingsDep, StoreDep
from api.errors import Problem, problem_responses
from matcher.webhooks import (
    EVENTS,
    WebhookError,
    create_webhook,
    delete_webhook,
    list_deliveries,
    list_webhooks,
    rotate_secret,
)

router = APIRouter(
    prefix="/webhooks",
    tags=["webhooks"],
    responses=problem_responses(400, 401, 403, 404, 413, 422),
)
WebhookIdPath = Annotated[str, Path(max_length=40)]


class WebhookCreate(BaseModel):
    """A receiver to register: where to POST and which events."""

    url: Annotated[str, Field(max_length=2000, examples=["https://crm.example.com/hooks/pm"])]
    events: Annotated[
        list[Annotated[str, Field(max_length=64)]],
        Field(min_length=1, max_length=len(EVENTS), examples=[list(EVENTS[:2])]),
    ]


def _missing(webhook_id: str) -> Problem:
    return Problem(404, f"no webhook with id {webhook_id!r}")


@router.post("", status_code=201)
def register(body: WebhookCreate, store: StoreDep, settings: SettingsDep, _key: AdminKey) -> Any:
    """Register a receiver; the answer holds its signing `secret`, shown only this once."""
    try:
        return create_webhook(store, body.url, body.events, settings.webhook_allowed_hosts)
    except WebhookError as error:
        raise Problem(
            422, str(error), errors=[{"field": error.field, "message": str(error)}]
        ) from None


@router.get("")
def webhooks(store: StoreDep, _key: AdminKey) -> list[dict[str, Any]]:
    """Every registered receiver (secrets are never shown again)."""
    return list_webhooks(store)


@router.delete("/{webhook_id}", status_code=204)
def remove(webhook_id: WebhookIdPath, store: StoreDep, _key: AdminKey) -> Response:
    """Delete a receiver; its pending deliveries are dropped."""
    if not delete_webhook(store, webhook_id):
        raise _missing(webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate")
def rotate(webhook_id: WebhookIdPath, store: StoreDep, _key: AdminKey) -> dict[str, str]:
    """A new signing secret (shown once); the old one stops signing at once."""
    secret = rotate_secret(store, webhook_id)
    if secret is None:
        raise _missing(webhook_id)
    return {"webhook_id": webhook_id, "secret": secret}


@router.get("/{webhook_id}/deliveries")
def deliveries(webhook_id: WebhookIdPath, store: StoreDep, _key: AdminKey) -> list[dict[str, Any]]:
    """The latest deliveries, newest first: event, status, attempts, last status code/error."""
    if not any(w["webhook_id"] == webhook_id for w in list_webhooks(store)):
        raise _missing(webhook_id)
    return list_deliveries(store, webhook_id)
