"""hearings: public hearings, RSVPs, questions sent in advance, feedback published afterwards

Revision ID: 0005_hearings
Revises: 0001_foundation
Create Date: 2026-11-25 18:59:12.441084
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_hearings"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "hearings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("title", _json(), nullable=False),
        sa.Column("description", _json(), nullable=False),
        sa.Column("place", _json(), nullable=False),
        sa.Column("accessibility", _json(), nullable=False),
        sa.Column("fallback_language", sa.String(length=8), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("interpretation", _json(), nullable=False),
        sa.Column("names_required", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_hearings_municipality_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearings")),
    )
    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hearings_municipality_id"), ["municipality_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hearings_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_hearings_status"), ["status"], unique=False)

    op.create_table(
        "hearing_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hearing_id", sa.Integer(), nullable=False),
        sa.Column("texts", _json(), nullable=False),
        sa.Column("fallback_language", sa.String(length=8), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_hearing_feedback_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_feedback")),
    )
    with op.batch_alter_table("hearing_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hearing_feedback_hearing_id"), ["hearing_id"], unique=False)

    op.create_table(
        "hearing_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hearing_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_hearing_questions_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_hearing_questions_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_questions")),
    )
    with op.batch_alter_table("hearing_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hearing_questions_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hearing_questions_hearing_id"), ["hearing_id"], unique=False)

    op.create_table(
        "hearing_rsvps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hearing_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_hearing_rsvps_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_hearing_rsvps_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_rsvps")),
        sa.UniqueConstraint("hearing_id", "contact_id", name=op.f("uq_hearing_rsvps_hearing_id_contact_id")),
    )
    with op.batch_alter_table("hearing_rsvps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hearing_rsvps_contact_id"), ["contact_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hearing_rsvps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hearing_rsvps_contact_id"))

    op.drop_table("hearing_rsvps")
    with op.batch_alter_table("hearing_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hearing_questions_hearing_id"))
        batch_op.drop_index(batch_op.f("ix_hearing_questions_contact_id"))

    op.drop_table("hearing_questions")
    with op.batch_alter_table("hearing_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hearing_feedback_hearing_id"))

    op.drop_table("hearing_feedback")
    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hearings_status"))
        batch_op.drop_index(batch_op.f("ix_hearings_starts_at"))
        batch_op.drop_index(batch_op.f("ix_hearings_municipality_id"))

    op.drop_table("hearings")
