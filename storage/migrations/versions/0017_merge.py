"""One schema again: answer tallies and staff notices joined

Both branched from 0015_merge while they were built in parallel (the participation index's trigger-kept
answer tallies; notices to staff through the outbox); this revision joins them so `civicbot db upgrade`
has a single head to reach.

Revision ID: 0017_merge
Revises: 0016_answer_tallies, 0016_staff_notices
Create Date: 2026-12-04 09:35:00
"""

from collections.abc import Sequence

revision: str = "0017_merge"
down_revision: str | Sequence[str] | None = ("0016_answer_tallies", "0016_staff_notices")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the join itself is the point."""


def downgrade() -> None:
    """Splitting the branches again needs no schema change either."""
