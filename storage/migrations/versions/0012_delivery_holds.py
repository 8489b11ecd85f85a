"""delivery holds: the learned pace and flood waits of each delivering process, per channel

Revision ID: 0012_delivery_holds
Revises: 0006_merge
Create Date: 2026-12-04 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_delivery_holds"
down_revision: str | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_holds",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("replica", sa.String(length=120), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pace", sa.Float(), nullable=False),
        sa.Column("configured", sa.Float(), nullable=False),
        sa.Column("held_chats", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "replica", name=op.f("pk_delivery_holds")),
    )


def downgrade() -> None:
    op.drop_table("delivery_holds")
