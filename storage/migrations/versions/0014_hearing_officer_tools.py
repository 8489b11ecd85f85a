"""Hearing officers' tools: question moderation (new, shown, hidden) and an optional capacity with a
waiting list (an RSVP waits while `waiting_since` is set).

Revision ID: 0014_hearing_officer_tools
Revises: 0006_merge
Create Date: 2026-12-04 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_hearing_officer_tools"
down_revision: str | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hearing_questions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("moderation", sa.String(length=16), nullable=False, server_default="new")
        )
    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
    with op.batch_alter_table("hearing_rsvps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hearing_rsvps", schema=None) as batch_op:
        batch_op.drop_column("waiting_since")
    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.drop_column("capacity")
    with op.batch_alter_table("hearing_questions", schema=None) as batch_op:
        batch_op.drop_column("moderation")
