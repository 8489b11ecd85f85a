"""Answer tallies: the benchmarking index sums a few thousand counts instead of a million answers.

`answer_tally_rows` (a view) says which answers count and under which key: not declined and not empty,
from a real person whose response names a municipality, answered on a Tbilisi day inside a benchmark
period; a text that cannot be an option's value is keyed as `{}`. `answer_tallies` holds those rows
counted per period, municipality, survey, question, reading language, value and shard (response id
mod 8, so that concurrent answers of one value rarely wait on one row lock until their commit).
Triggers keep it exact in the transaction of every write that can change the view: an answer
inserted, changed (erasure blanks free text) or deleted; a response's facets changed or the response
deleted; a person's `simulated` flag flipped; a period added or its dates moved (its tallies are
rebuilt). The pattern is the same for each: take the affected rows out of the counts before the change
and put them back after it. Not followed: a simulated person deleted outright while their responses
stay (their answers would turn "real"); `contacts.simulated.purge_simulated` deletes the responses first.

Why triggers rather than an upsert in `surveys.responses.store_answer`: the counts must equal the
answers whatever writes them (erasure, cascades, the simulator's purge, bulk loads, tests and fixes
made in SQL), and a trigger cannot be forgotten by the next writer. SQLite has no stored functions, so
each of its triggers spells out the statements that PostgreSQL's triggers call as functions.
Asia/Tbilisi has kept UTC+4 without daylight saving since 2005, which SQLite's `+4 hours` relies on.

Adding a period on PostgreSQL takes a SHARE lock on survey_answers while it counts the period's answers,
so an answer written concurrently is either counted by the backfill or sees the new period itself
(answer writes wait for the backfill: a few seconds for half a million answers).

Revision ID: 0016_answer_tallies
Revises: 0015_merge
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_answer_tallies"
down_revision: str | None = "0015_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "period_id, municipality_id, survey_id, question, language, value, shard"
SHARDS = 8  # one row per key and shard: concurrent answers of one value rarely wait on the same row
JOIN = " AND ".join(f"answer_tallies.{c} = s.{c}" for c in KEY.split(", "))
OPTION_VALUE = "^[a-z0-9][a-z0-9_-]{0,19}$"  # surveys.definition.CHOICE_VALUE_PATTERN

PG_VIEW = f"""
CREATE VIEW answer_tally_rows AS
SELECT a.id AS answer_id, a.response_id, p.id AS period_id, r.municipality_id, r.survey_id, a.question,
       r.language,
       CASE WHEN jsonb_typeof(a.value) = 'string' AND (a.value #>> '{{}}') !~ '{OPTION_VALUE}'
            THEN '{{}}'::jsonb ELSE a.value END AS value,
       a.response_id % {SHARDS} AS shard
FROM survey_answers a
JOIN survey_responses r ON r.id = a.response_id
JOIN benchmark_periods p
  ON (a.answered_at AT TIME ZONE 'Asia/Tbilisi')::date BETWEEN p.starts_on AND p.ends_on
WHERE NOT a.declined AND a.value IS NOT NULL AND a.value NOT IN ('null'::jsonb, '[]'::jsonb)
  AND r.municipality_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = r.contact_id AND c.simulated)
"""

SQLITE_VIEW = f"""
CREATE VIEW answer_tally_rows AS
SELECT a.id AS answer_id, a.response_id, p.id AS period_id, r.municipality_id, r.survey_id, a.question,
       r.language,
       CASE WHEN json_type(a.value) = 'text' AND NOT (
                 length(json_extract(a.value, '$')) BETWEEN 1 AND 20
                 AND json_extract(a.value, '$') GLOB '[a-z0-9]*'
                 AND json_extract(a.value, '$') NOT GLOB '*[^-a-z0-9_]*')
            THEN '{{}}' ELSE a.value END AS value,
       a.response_id % {SHARDS} AS shard
FROM survey_answers a
JOIN survey_responses r ON r.id = a.response_id
JOIN benchmark_periods p ON date(a.answered_at, '+4 hours') BETWEEN p.starts_on AND p.ends_on
WHERE NOT a.declined AND a.value IS NOT NULL AND a.value NOT IN ('null', '[]')
  AND r.municipality_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = r.contact_id AND c.simulated)
"""


def _add(where: str) -> str:
    """Count the view's rows matching `where` into the tallies."""
    return (
        f"INSERT INTO answer_tallies ({KEY}, answers) "
        f"SELECT {KEY}, count(*) FROM answer_tally_rows WHERE {where} GROUP BY {KEY} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET answers = answer_tallies.answers + excluded.answers"
    )


def _remove(where: str) -> str:
    """Take the view's rows matching `where` out of the tallies (a row left at 0 stays: it holds no
    personal data, and keeping it spares a delete)."""
    return (
        "UPDATE answer_tallies SET answers = answer_tallies.answers - s.n "
        f"FROM (SELECT {KEY}, count(*) AS n FROM answer_tally_rows WHERE {where} GROUP BY {KEY}) AS s "
        f"WHERE {JOIN}"
    )


ANSWER_COLUMNS = "value, declined, answered_at, question, response_id"
RESPONSE_COLUMNS = "municipality_id, language, survey_id"
BY_CONTACT = "response_id IN (SELECT id FROM survey_responses WHERE contact_id = {row}.id)"
SIMULATED_FLIPPED = "OLD.simulated IS NOT NEW.simulated"

# What each kind of change does: BEFORE triggers take rows out, AFTER triggers put them back in.
CHANGES: dict[str, list[str]] = {
    "answer_tallies_answer_out": [_remove("answer_id = OLD.id")],
    "answer_tallies_answer_in": [_add("answer_id = NEW.id")],
    "answer_tallies_response_out": [_remove("response_id = OLD.id")],
    "answer_tallies_response_in": [_add("response_id = NEW.id")],
    "answer_tallies_person_out": [_remove(BY_CONTACT.format(row="OLD"))],
    "answer_tallies_person_in": [_add(BY_CONTACT.format(row="NEW"))],
    "answer_tallies_period_in": [_add("period_id = NEW.id")],
    "answer_tallies_period_moved": [
        "DELETE FROM answer_tallies WHERE period_id = OLD.id",
        _add("period_id = NEW.id"),
    ],
}
# (trigger, timing and event, table, WHEN condition or "", change)
TRIGGERS = [
    ("answer_tallies_answer_added", "AFTER INSERT", "survey_answers", "", "answer_tallies_answer_in"),
    ("answer_tallies_answer_deleted", "BEFORE DELETE", "survey_answers", "", "answer_tallies_answer_out"),
    (
        "answer_tallies_answer_leaving",
        f"BEFORE UPDATE OF {ANSWER_COLUMNS}",
        "survey_answers",
        "",
        "answer_tallies_answer_out",
    ),
    (
        "answer_tallies_answer_changed",
        f"AFTER UPDATE OF {ANSWER_COLUMNS}",
        "survey_answers",
        "",
        "answer_tallies_answer_in",
    ),
    (
        "answer_tallies_response_leaving",
        f"BEFORE UPDATE OF {RESPONSE_COLUMNS}",
        "survey_responses",
        "",
        "answer_tallies_response_out",
    ),
    (
        "answer_tallies_response_changed",
        f"AFTER UPDATE OF {RESPONSE_COLUMNS}",
        "survey_responses",
        "",
        "answer_tallies_response_in",
    ),
    (
        "answer_tallies_response_deleted",
        "BEFORE DELETE",
        "survey_responses",
        "",
        "answer_tallies_response_out",
    ),
    (
        "answer_tallies_person_leaving",
        "BEFORE UPDATE OF simulated",
        "contacts",
        SIMULATED_FLIPPED,
        "answer_tallies_person_out",
    ),
    (
        "answer_tallies_person_changed",
        "AFTER UPDATE OF simulated",
        "contacts",
        SIMULATED_FLIPPED,
        "answer_tallies_person_in",
    ),
    ("answer_tallies_period_added", "AFTER INSERT", "benchmark_periods", "", "answer_tallies_period_in"),
    (
        "answer_tallies_period_moved",
        "AFTER UPDATE OF starts_on, ends_on",
        "benchmark_periods",
        "",
        "answer_tallies_period_moved",
    ),
]


def _pg_function(name: str, statements: list[str]) -> str:
    if name.startswith("answer_tallies_period"):
        # Answers written meanwhile wait, so each is counted once: by this backfill or by its own trigger.
        statements = ["LOCK TABLE survey_answers IN SHARE MODE", *statements]
    body = "".join(f"  {statement};\n" for statement in statements)
    # A BEFORE trigger returns the row it lets through (OLD when deleting: NEW would be NULL and skip the
    # delete; NEW when updating: OLD would undo the update); an AFTER trigger's result is ignored.
    returned = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n  RETURN NEW"
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}  {returned};\nEND $$"
    )


def upgrade() -> None:
    op.create_table(
        "answer_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("value", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["benchmark_periods.id"],
            name=op.f("fk_answer_tallies_period_id_benchmark_periods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_answer_tallies_municipality_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_answer_tallies_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_tallies")),
        sa.UniqueConstraint(*KEY.split(", "), name="uq_answer_tallies_key"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_VIEW)
        for name, statements in CHANGES.items():
            op.execute(_pg_function(name, statements))
        for name, event, table, when, change in TRIGGERS:
            condition = f" WHEN ({when.replace(' IS NOT ', ' IS DISTINCT FROM ')})" if when else ""
            op.execute(
                f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW{condition} EXECUTE FUNCTION {change}()"
            )
    else:
        op.execute(SQLITE_VIEW)
        for name, event, table, when, change in TRIGGERS:
            condition = f" WHEN {when}" if when else ""
            body = "".join(f"  {statement};\n" for statement in CHANGES[change])
            op.execute(f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW{condition}\nBEGIN\n{body}END")
    # The backfill: every answer already stored, in the periods already defined.
    op.execute(_add("true"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _, table, _, _ in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in CHANGES:
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name, *_ in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP VIEW answer_tally_rows")
    op.drop_table("answer_tallies")
