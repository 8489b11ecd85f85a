"""The municipality of a response, stored on it: the benchmarking index groups a million answers by
municipality and reading language, and the join to the people for the municipality was a third of its
time. A response belongs to the municipality its person lived in when they started it (also the right
answer for a benchmark period: moving later does not move an old answer); the reading language was
already on the response. Existing rows take their person's municipality of today, the best there is.

Revision ID: 0014_response_facets
Revises: 0006_merge
Create Date: 2026-12-04 06:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_response_facets"
down_revision: str | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_survey_responses_municipality_id_municipalities",
            "municipalities",
            ["municipality_id"],
            ["id"],
        )
        batch_op.create_index("ix_survey_responses_municipality_id", ["municipality_id"], unique=False)
    # Plain SQL (a correlated subquery) that SQLite and PostgreSQL both run.
    op.execute(
        "UPDATE survey_responses SET municipality_id = "
        "(SELECT contacts.municipality_id FROM contacts WHERE contacts.id = survey_responses.contact_id) "
        "WHERE contact_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_responses_municipality_id")
        batch_op.drop_constraint("fk_survey_responses_municipality_id_municipalities", type_="foreignkey")
        batch_op.drop_column("municipality_id")
