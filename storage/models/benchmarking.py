"""Benchmarking as stored: the named periods an index is computed for, officers' self-assessment scores
and the resident counts that turn hearing figures into rates per 1,000 residents.

Self-assessment scores are never overwritten: each entry is a new row (who, when, evidence), and the
index reads the latest one of a municipality, period and indicator, so the history stays auditable.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow


class BenchmarkPeriod(Base):
    """A named measurement period ("2026-baseline"), both dates inclusive, in Tbilisi time."""

    __tablename__ = "benchmark_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SelfAssessment(Base):
    """One score an officer or coordinator entered for one indicator, with the evidence behind it."""

    __tablename__ = "benchmark_self_assessments"
    __table_args__ = (
        Index("ix_benchmark_self_assessments_lookup", "municipality_id", "period_id", "indicator"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("benchmark_periods.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(60))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class MunicipalityPopulation(Base):
    """Residents of a municipality (census or official estimate), for rates per 1,000 residents."""

    __tablename__ = "municipality_populations"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    residents: Mapped[int]
    year: Mapped[int]
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AnswerTally(Base):
    """How many answers of one value a survey question got, per period, municipality and reading language.

    Kept by database triggers (migration 0016_answer_tallies) in the transaction that writes the answer,
    so the index sums a few thousand of these rows (over their 8 shards) instead of a million answers.
    The rows are defined by the view `answer_tally_rows`: not declined, not empty, from a real (not
    simulated) person whose response names a municipality, on a Tbilisi day inside a period. A text that
    cannot be an option's value is counted as `{}`: free text never sits here, and only an `otherwise`
    score can match it. Erasure, changed answers, moved periods and deleted responses update the counts
    in the same way.
    """

    __tablename__ = "answer_tallies"
    __table_args__ = (
        UniqueConstraint(
            "period_id",
            "municipality_id",
            "survey_id",
            "question",
            "language",
            "value",
            "shard",
            name="uq_answer_tallies_key",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("benchmark_periods.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    value: Mapped[Any] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    # The response id modulo 8: answers of one value come in bursts after a poll invitation, and the
    # row an answer adds to stays locked until its transaction commits; 8 rows per key share the load.
    shard: Mapped[int] = mapped_column(SmallInteger)
    answers: Mapped[int]
