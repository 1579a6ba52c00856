"""The webhook tables, in the store's database but in their own metadata.

Kept apart from ``matcher.store`` (whose schema is being migrated separately) and created on
first use, so a database that never had a webhook needs nothing new.
"""

from __future__ import annotations

from weakref import WeakSet

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from matcher.migrations import MIGRATION_LOCK
from matcher.store import Store

metadata = MetaData()
webhooks = Table(
    "webhooks",
    metadata,
    Column("webhook_id", String(40), primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),
    Column("secret", String(80), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(40), nullable=False, index=True),
    Column("webhook_id", String(40), nullable=False, index=True),
    Column("event", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
)
_created: WeakSet[Engine] = WeakSet()


def ready(store: Store) -> Store:
    """``store`` with the webhook tables created (once per engine)."""
    if store.engine not in _created:
        with store.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # workers or replicas starting at once on a new database would race to CREATE
                # the same tables; the migrations' lock makes them take turns
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            metadata.create_all(connection)
        _created.add(store.engine)
    return store
