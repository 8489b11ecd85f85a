"""One schema: surveys, outbox, campaigns and hearings joined

The domains added their tables on branches from the foundation while they were built in parallel;
this revision joins them so `civicbot db upgrade` has a single head to reach.

Revision ID: 0006_merge
Revises: 0002_surveys, 0003_outbox, 0004_campaigns, 0005_hearings
Create Date: 2026-11-25 20:28:55
"""

from collections.abc import Sequence

revision: str = "0006_merge"
down_revision: str | Sequence[str] | None = ("0002_surveys", "0003_outbox", "0004_campaigns", "0005_hearings")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the join itself is the point."""


def downgrade() -> None:
    """Splitting the branches again needs no schema change either."""
