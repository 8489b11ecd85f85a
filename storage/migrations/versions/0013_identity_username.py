"""Telegram usernames on channel identities: staff can find a Telegram-only citizen who calls

A person who writes to the municipality by phone can name their Telegram username (or the reference
code of /mydata); `civicbot privacy show|erase --username` looks it up here. Stored lower-case without
the @, refreshed whenever the person uses a sign-up or privacy command, deleted with the identity.

Revision ID: 0013_identity_username
Revises: 0006_merge
Create Date: 2026-12-04 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_identity_username"
down_revision: str | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_channel_identities_username"), ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_identities_username"))
        batch_op.drop_column("username")
