"""The tables of the saved screening batches (:mod:`matcher.recruiting.batches`).

Kept apart from the code that reads and writes them, and light to import (SQLAlchemy and the
store's MetaData only), because the migrations' ``env.py`` imports it on every store open.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from matcher.store import metadata

PROSPECT_STATUSES: tuple[str, ...] = ("new", "contacted", "onboarding", "declined")
MAX_NOTE_CHARS = 500

screening_batches = Table(
    "screening_batches",
    metadata,
    Column("batch_id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("key_id", String(32)),
    Column("weights", JSON, nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("problems", JSON, nullable=False),
)

screening_prospects = Table(
    "screening_prospects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "batch_id",
        String(32),
        ForeignKey("screening_batches.batch_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("line", Integer, nullable=False),
    Column("partner_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("overall", Float, nullable=False),
    Column("band", String(16), nullable=False),
    Column("capacity", Float, nullable=False),
    Column("capability", Float, nullable=False),
    Column("commitment", Float, nullable=False),
    Column("customer_fit", Float, nullable=False),
    Column("gap_count", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_changed_at", DateTime(timezone=True)),
    Column("note", String(MAX_NOTE_CHARS)),
    Column("profile", JSON, nullable=False),
    Column("score", JSON, nullable=False),
    UniqueConstraint("batch_id", "partner_id", name="uq_screening_prospect"),
    Index("ix_screening_prospects_batch_overall", "batch_id", "overall"),
)
