"""console: staff passwords, one-time sign-in links, browser sessions and failed sign-in attempts

Revision ID: 0009_console
Revises: 0006_merge
Create Date: 2026-12-04 05:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_console"
down_revision: str | Sequence[str] | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_passwords",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_staff_passwords_staff_id_staff_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff_passwords")),
    )
    op.create_table(
        "console_sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_console_sign_in_links_staff_id_staff_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sign_in_links_token_hash")),
    )
    op.create_index(
        op.f("ix_console_sign_in_links_staff_id"), "console_sign_in_links", ["staff_id"], unique=False
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_console_sessions_staff_id_staff_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sessions_token_hash")),
    )
    op.create_index(op.f("ix_console_sessions_staff_id"), "console_sessions", ["staff_id"], unique=False)
    op.create_table(
        "console_sign_in_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sign_in_attempts")),
    )
    op.create_index(
        op.f("ix_console_sign_in_attempts_key"), "console_sign_in_attempts", ["key"], unique=False
    )
    op.create_index(op.f("ix_console_sign_in_attempts_at"), "console_sign_in_attempts", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_console_sign_in_attempts_at"), table_name="console_sign_in_attempts")
    op.drop_index(op.f("ix_console_sign_in_attempts_key"), table_name="console_sign_in_attempts")
    op.drop_table("console_sign_in_attempts")
    op.drop_index(op.f("ix_console_sessions_staff_id"), table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_index(op.f("ix_console_sign_in_links_staff_id"), table_name="console_sign_in_links")
    op.drop_table("console_sign_in_links")
    op.drop_table("staff_passwords")
