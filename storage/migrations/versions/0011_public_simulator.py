"""public pages and the chat simulator: surveys a coordinator made public; simulated people flagged

`surveys.public` (with when it was published) lets the public pages show a survey's protected results.
`contacts.simulated` marks the people of the web chat simulator (/try): they are kept out of every
audience, result and export, and purged a day after they were last seen.

Revision ID: 0011_public_simulator
Revises: 0006_merge
Create Date: 2026-12-04 05:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_public_simulator"
down_revision: str | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("simulated", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_contacts_simulated"), ["simulated"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_simulated"))
        batch_op.drop_column("simulated")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("published_at")
        batch_op.drop_column("public")
