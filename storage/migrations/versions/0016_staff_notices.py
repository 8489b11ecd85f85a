"""Staff notices: a language per staff member, why a campaign came back from review, and outbox rows
addressed to a staff member instead of a contact

Coordinators are told on Telegram when a campaign waits for them; authors when it is approved, returned
(with the reason) or finished sending. Those messages go through the outbox like every other, addressed
by `deliveries.staff_id` (no contact, no campaign id: citizen counts never see them). Campaigns already
done are marked as reported, so the upgrade does not tell anyone about last month's campaigns.

Revision ID: 0016_staff_notices
Revises: 0015_merge
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_staff_notices"
down_revision: str | None = "0015_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="ka", nullable=False))
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rejected_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rejection_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("finish_reported_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_campaigns_rejected_by_id_staff_members"),
            "staff_members",
            ["rejected_by_id"],
            ["id"],
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_staff_id_staff_members"), "staff_members", ["staff_id"], ["id"]
        )
    op.execute("UPDATE campaigns SET finish_reported_at = finished_at WHERE status = 'done'")


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deliveries_staff_id_staff_members"), type_="foreignkey")
        batch_op.drop_column("staff_id")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_campaigns_rejected_by_id_staff_members"), type_="foreignkey")
        batch_op.drop_column("finish_reported_at")
        batch_op.drop_column("rejected_at")
        batch_op.drop_column("rejection_reason")
        batch_op.drop_column("rejected_by_id")
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_column("language")
