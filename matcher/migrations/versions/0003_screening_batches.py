"""screening batches: a recruiter's saved prospects with a status each

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 13:18:25.244368

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "screening_batches",
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    with op.batch_alter_table("screening_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_batches_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "screening_prospects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("overall", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Float(), nullable=False),
        sa.Column("capability", sa.Float(), nullable=False),
        sa.Column("commitment", sa.Float(), nullable=False),
        sa.Column("customer_fit", sa.Float(), nullable=False),
        sa.Column("gap_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("score", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["screening_batches.batch_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_id", "partner_id", name="uq_screening_prospect"),
    )
    with op.batch_alter_table("screening_prospects", schema=None) as batch_op:
        batch_op.create_index(
            "ix_screening_prospects_batch_overall", ["batch_id", "overall"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("screening_prospects", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_prospects_batch_overall")

    op.drop_table("screening_prospects")
    with op.batch_alter_table("screening_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_batches_created_at"))

    op.drop_table("screening_batches")
