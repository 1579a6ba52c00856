"""baseline: partners, outcomes, embeddings, api keys, feedback, served log

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-03 11:41:27.357767

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_id"),
    )
    op.create_table(
        "embeddings",
        sa.Column("model_id", sa.String(length=128), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "content_hash"),
    )
    op.create_table(
        "feedback_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("recommendation_id", sa.String(length=64), nullable=True),
        sa.Column("deal_id", sa.String(length=64), nullable=True),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("won", sa.Boolean(), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_events_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_feedback_events_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_events_recommendation_id"), ["recommendation_id"], unique=False
        )

    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("industry", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("segment", sa.String(length=16), nullable=True),
        sa.Column("deal_size", sa.Float(), nullable=True),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("cycle_days", sa.Integer(), nullable=True),
        sa.Column("csat", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id", "partner_id", name="uq_outcome_deal_partner"),
    )
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcomes_closed_on"), ["closed_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_outcomes_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("partner_type", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("profile_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner_id"),
    )
    op.create_table(
        "recommendations_served",
        sa.Column("recommendation_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("index_version", sa.String(length=64), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("recommendation_id"),
    )
    with op.batch_alter_table("recommendations_served", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendations_served_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "partner_facets",
        sa.Column("partner_row", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["partner_row"], ["partners.id"], ondelete="CASCADE"),
    )
    with op.batch_alter_table("partner_facets", schema=None) as batch_op:
        batch_op.create_index("ix_partner_facets_lookup", ["facet", "value"], unique=False)
        batch_op.create_index("ix_partner_facets_partner", ["partner_row"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("partner_facets", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_facets_partner")
        batch_op.drop_index("ix_partner_facets_lookup")

    op.drop_table("partner_facets")
    with op.batch_alter_table("recommendations_served", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendations_served_created_at"))

    op.drop_table("recommendations_served")
    op.drop_table("partners")
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcomes_partner_id"))
        batch_op.drop_index(batch_op.f("ix_outcomes_closed_on"))

    op.drop_table("outcomes")
    with op.batch_alter_table("feedback_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_events_recommendation_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_events_partner_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_events_deal_id"))

    op.drop_table("feedback_events")
    op.drop_table("embeddings")
    op.drop_table("api_keys")
