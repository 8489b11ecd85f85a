"""What the answer tallies add to storing one answer: `store_answer`'s INSERT with the tally trigger and
without it, in the benchmark's database (a million answers, both periods defined).

Two measures, alternating the trigger on and off twice so drift on the shared machine hits both: the
time per INSERT inside one transaction (the CPU the trigger adds: it looks the answer's response, person
and period up and upserts one tally row), and the latency of an INSERT committed on its own, as the
bot's unit of work commits each answer (that includes the WAL flush, which the trigger does not add
to). One connection: this does not measure two transactions waiting on the same tally row.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import asyncpg

from benchmarks.benchmarking_data import pg_dsn

TRIGGER = "answer_tallies_answer_added"
INSERT = (
    "INSERT INTO survey_answers (response_id, question, value, declined, answered_at) "
    "VALUES ($1, $2, $3::jsonb, false, $4) ON CONFLICT (response_id, question) DO NOTHING"
)
IN_BASELINE = datetime(2026, 3, 1, 10, tzinfo=UTC)


@dataclass(frozen=True)
class AnswerCost:
    answers: int
    in_transaction_with_us: float
    in_transaction_without_us: float
    committed_with_ms: float
    committed_without_ms: float

    def summary(self) -> str:
        added = self.in_transaction_with_us - self.in_transaction_without_us
        return (
            f"storing one answer ({self.answers:,} per round, 2 rounds each): inside a transaction "
            f"{self.in_transaction_with_us:.0f} µs with the tally trigger, "
            f"{self.in_transaction_without_us:.0f} µs without (+{added:.0f} µs); committed alone, "
            f"p50 {self.committed_with_ms:.2f} ms with, {self.committed_without_ms:.2f} ms without"
        )

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


async def answer_cost(url: str, answers: int) -> AnswerCost:
    conn = await asyncpg.connect(pg_dsn(url))
    in_transaction: dict[bool, list[float]] = {True: [], False: []}
    committed: dict[bool, list[float]] = {True: [], False: []}
    try:
        responses = [
            r[0] for r in await conn.fetch("SELECT id FROM survey_responses ORDER BY id LIMIT $1", answers)
        ]
        for round_, trigger in enumerate((True, False, True, False)):
            await conn.execute(
                f"ALTER TABLE survey_answers {'ENABLE' if trigger else 'DISABLE'} TRIGGER {TRIGGER}"
            )
            transaction = conn.transaction()
            await transaction.start()
            started = time.perf_counter()
            for response in responses:
                await conn.execute(INSERT, response, f"hot{round_}", '"yes"', IN_BASELINE)
            in_transaction[trigger].append((time.perf_counter() - started) / len(responses) * 1e6)
            await transaction.rollback()
            for response in responses[: max(1, len(responses) // 4)]:
                started = time.perf_counter()
                await conn.execute(INSERT, response, f"hot{round_}c", '"yes"', IN_BASELINE)
                committed[trigger].append((time.perf_counter() - started) * 1000)
    finally:
        await conn.execute(f"ALTER TABLE survey_answers ENABLE TRIGGER {TRIGGER}")
        await conn.close()
    return AnswerCost(
        len(responses),
        statistics.median(in_transaction[True]),
        statistics.median(in_transaction[False]),
        statistics.median(committed[True]),
        statistics.median(committed[False]),
    )
