"""Indexes for the participation index's figures over people, responses and the outbox

The response rates and the own-language share join every real person to their survey responses and to
the messages they received. With these three indexes both joins read index-only scans in person order and
merge them, instead of hashing 100,000 people or 80,000 responders per period: `ix_contacts_figures`
(the person's municipality, language, consent and status, real people only), `ix_deliveries_received`
(recipient, sent time and language of sent or delivered messages only) and
`ix_survey_responses_contact_id_started_at`. No trigger: the outbox's hot path pays one index entry when
a message becomes sent or delivered, an update that already rewrites `ix_deliveries_due`.

Revision ID: 0017_index_figures
Revises: 0017_merge
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_index_figures"
down_revision: str | None = "0017_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECEIVED = "status IN ('sent', 'delivered')"


def upgrade() -> None:
    op.create_index(
        "ix_contacts_figures",
        "contacts",
        ["id"],
        postgresql_include=["municipality_id", "language", "consent_at", "status"],
        postgresql_where=sa.text("simulated IS false"),
        sqlite_where=sa.text("simulated IS 0"),
    )
    op.create_index(
        "ix_deliveries_received",
        "deliveries",
        ["contact_id", "sent_at", "language"],
        postgresql_where=sa.text(RECEIVED),
        sqlite_where=sa.text(RECEIVED),
    )
    op.create_index(
        "ix_survey_responses_contact_id_started_at", "survey_responses", ["contact_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_survey_responses_contact_id_started_at", table_name="survey_responses")
    op.drop_index("ix_deliveries_received", table_name="deliveries")
    op.drop_index("ix_contacts_figures", table_name="contacts")
