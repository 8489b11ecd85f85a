"""benchmarking: measurement periods, self-assessment scores, residents per municipality

Revision ID: 0007_benchmarking
Revises: 0006_merge
Create Date: 2026-12-04 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_benchmarking"
down_revision: str | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "benchmark_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_periods")),
        sa.UniqueConstraint("name", name=op.f("uq_benchmark_periods_name")),
    )
    op.create_table(
        "benchmark_self_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_benchmark_self_assessments_municipality_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["benchmark_periods.id"],
            name=op.f("fk_benchmark_self_assessments_period_id_benchmark_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_self_assessments")),
    )
    op.create_index(
        "ix_benchmark_self_assessments_lookup",
        "benchmark_self_assessments",
        ["municipality_id", "period_id", "indicator"],
        unique=False,
    )
    op.create_table(
        "municipality_populations",
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_municipality_populations_municipality_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("municipality_id", name=op.f("pk_municipality_populations")),
    )


def downgrade() -> None:
    op.drop_table("municipality_populations")
    op.drop_index("ix_benchmark_self_assessments_lookup", table_name="benchmark_self_assessments")
    op.drop_table("benchmark_self_assessments")
    op.drop_table("benchmark_periods")
