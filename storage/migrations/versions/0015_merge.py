"""One schema again: benchmarking, action plans, console, offers, the public pages and simulator, delivery
holds, Telegram usernames, hearing officer tools and response facets joined

These domains added their tables on branches from 0006_merge while they were built in parallel; this
revision joins them so `civicbot db upgrade` has a single head to reach.

Revision ID: 0015_merge
Revises: 0007_benchmarking, 0008_action_plans, 0009_console, 0010_offers_municipalities,
    0011_public_simulator, 0012_delivery_holds, 0013_identity_username, 0014_hearing_officer_tools,
    0014_response_facets
Create Date: 2026-12-04 07:20:00
"""

from collections.abc import Sequence

revision: str = "0015_merge"
down_revision: str | Sequence[str] | None = (
    "0007_benchmarking",
    "0008_action_plans",
    "0009_console",
    "0010_offers_municipalities",
    "0011_public_simulator",
    "0012_delivery_holds",
    "0013_identity_username",
    "0014_hearing_officer_tools",
    "0014_response_facets",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the join itself is the point."""


def downgrade() -> None:
    """Splitting the branches again needs no schema change either."""
