"""API keys with roles: created and revoked from the CLI, stored only as hashes.

A key reads ``pm_<key_id>_<secret>``: the public ``key_id`` finds the row, the secret is
checked against its SHA-256 hash in constant time. Keys are long random tokens, so a fast
hash is enough (no password stretching needed) and verification stays cheap per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from matcher.store import (
    API_KEY_CREATED,
    API_KEY_REVOKED,
    Store,
    api_keys,
    read_again_on_disconnect,
)

ROLES: tuple[str, ...] = ("admin", "seller", "recruiter", "widget")
_PREFIX = "pm"


@dataclass(frozen=True)
class ApiKey:
    """A stored key as the service sees it (never the secret)."""

    key_id: str
    role: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether the key may still be used."""
        return self.revoked_at is None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(store: Store, role: str, label: str | None = None) -> tuple[ApiKey, str]:
    """Create a key for ``role``; returns the stored record and the full key, shown only once."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; allowed: {', '.join(ROLES)}")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    created_at = datetime.now(UTC)
    with store.transaction() as connection:
        connection.execute(
            api_keys.insert().values(
                key_id=key_id,
                key_hash=_digest(secret),
                role=role,
                label=label,
                created_at=created_at,
            )
        )
        store.record_change(API_KEY_CREATED, key_id, connection)
    return ApiKey(key_id, role, label, created_at, None), f"{_PREFIX}_{key_id}_{secret}"


@read_again_on_disconnect
def verify_key(store: Store, presented: str) -> ApiKey | None:
    """The active key matching ``presented``, or ``None`` (unknown, malformed or revoked)."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != _PREFIX or not key_id or not secret:
        return None
    with store.engine.connect() as connection:
        row = connection.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, _digest(secret)):
        return None
    return ApiKey(row.key_id, row.role, row.label, row.created_at, row.revoked_at)


def revoke_key(store: Store, key_id: str) -> bool:
    """Revoke a key by its id; ``False`` if no active key has that id."""
    with store.transaction() as connection:
        result = connection.execute(
            update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        if result.rowcount == 1:
            store.record_change(API_KEY_REVOKED, key_id, connection)
    return result.rowcount == 1


DEMO_LABEL = "demo"


def rotate_demo_keys(store: Store) -> dict[str, str]:
    """Revoke the previous demo keys and create one per role: ``make demo`` prints them."""
    for record in list_keys(store):
        if record.label == DEMO_LABEL and record.active:
            revoke_key(store, record.key_id)
    return {role: create_key(store, role, DEMO_LABEL)[1] for role in ROLES}


@read_again_on_disconnect
def list_keys(store: Store) -> list[ApiKey]:
    """Every key ever created, oldest first (revoked ones included, marked)."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(api_keys).order_by(api_keys.c.id)).all()
    return [ApiKey(r.key_id, r.role, r.label, r.created_at, r.revoked_at) for r in rows]
