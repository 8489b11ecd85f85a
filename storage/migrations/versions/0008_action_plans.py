"""action plans: plans per municipality, their items, each status change, links to the input behind them

Revision ID: 0008_action_plans
Revises: 0006_merge
Create Date: 2026-12-04 05:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_action_plans"
down_revision: str | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "action_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("title", _json(), nullable=False),
        sa.Column("base_language", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_action_plans_municipality_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plans")),
        sa.UniqueConstraint("municipality_id", name=op.f("uq_action_plans_municipality_id")),
    )
    op.create_table(
        "action_plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("title", _json(), nullable=False),
        sa.Column("base_language", sa.String(length=8), nullable=False),
        sa.Column("indicators", _json(), nullable=False),
        sa.Column("responsible_unit", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evidence_link", sa.String(length=500), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        _at("approved_at", nullable=True),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_action_plan_items_progress_percent")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["action_plans.id"],
            name=op.f("fk_action_plan_items_plan_id_action_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_action_plan_items_municipality_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan_items")),
    )
    with op.batch_alter_table("action_plan_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_plan_items_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_action_plan_items_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_action_plan_items_status"), ["status"], unique=False)
    op.create_table(
        "action_plan_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        _at("at"),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["action_plan_items.id"],
            name=op.f("fk_action_plan_changes_item_id_action_plan_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan_changes")),
    )
    with op.batch_alter_table("action_plan_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_plan_changes_item_id"), ["item_id"], unique=False)
    op.create_table(
        "action_plan_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("survey_code", sa.String(length=40), nullable=True),
        sa.Column("question", sa.String(length=40), nullable=True),
        sa.Column("hearing_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["action_plan_items.id"],
            name=op.f("fk_action_plan_links_item_id_action_plan_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_action_plan_links_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan_links")),
    )
    with op.batch_alter_table("action_plan_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_plan_links_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_table("action_plan_links")
    op.drop_table("action_plan_changes")
    op.drop_table("action_plan_items")
    op.drop_table("action_plans")
