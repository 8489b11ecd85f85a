"""Data for the benchmarking benchmark: four municipalities, 100,000 people, 1,000,000 survey answers
over a baseline and a follow-up survey, hearings with RSVPs and questions, notices, self-assessments and
action-plan items, written with PostgreSQL COPY. Seeded, so every run builds the same data.

Minority-language people (az, hy, ru) are made less aware of hearings, less trusting and more often
held back by language, so the inclusion gap has something to show. The generator keeps its own count of
the "aware of hearings" answers, which the benchmark checks the database's scores against.
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import asyncpg

from benchmarking.periods import add_period
from storage.db import create_engine, session_factory, unit_of_work
from storage.migrate import upgrade
from storage.seed import seed_municipalities
from surveys import lifecycle
from surveys.yaml_format import load_survey_yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "surveys" / "examples"
QUESTIONNAIRE = EXAMPLES / "participation_questionnaire.yaml"
PEOPLE = 100_000
ANSWERS = 1_000_000
PERIODS = (
    ("2026-baseline", date(2026, 1, 1), date(2026, 6, 30)),
    ("2027-followup", date(2027, 1, 1), date(2027, 6, 30)),
)
SURVEYS = ("participation-questionnaire", "participation-followup")
# Share of people, and of their reading languages, per municipality.
PLACES = {
    "batumi": (0.40, {"ka": 0.85, "ru": 0.10, "en": 0.05}),
    "chokhatauri": (0.15, {"ka": 0.97, "ru": 0.03}),
    "dmanisi": (0.15, {"ka": 0.50, "az": 0.30, "hy": 0.20}),
    "marneuli": (0.30, {"az": 0.55, "ka": 0.40, "ru": 0.05}),
}
MINORITY = {"az", "hy", "ru"}


@dataclass
class Generated:
    answers: int = 0
    responses: int = 0
    hearings: int = 0
    rsvps: int = 0
    questions: int = 0
    deliveries: int = 0
    items: int = 0
    # (period, municipality code) -> [yes, answered] of aware_hearings, counted here, not in SQL
    aware: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def prepare(url: str) -> dict[str, int]:
    """Migrate, seed, import and open both surveys; returns the ids of the surveys. The periods come
    after the answers (`add_periods`), so their triggers count a million answers in one statement each
    instead of a trigger firing per copied row."""
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            await seed_municipalities(session)
            text = QUESTIONNAIRE.read_text(encoding="utf-8")
            ids = {}
            for code in SURVEYS:
                survey = load_survey_yaml(text.replace("code: participation-questionnaire", f"code: {code}"))
                record, _ = await lifecycle.import_survey(session, survey, "yaml")
                ids[code] = (await lifecycle.open_survey(session, record.code)).id
            return ids
    finally:
        await engine.dispose()


async def add_periods(url: str) -> float:
    """Add both periods as a coordinator does; returns the seconds it took (the answer tallies of each
    period are counted by its trigger while answers wait)."""
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        async with unit_of_work(session_factory(engine)) as session:
            for name, start, end in PERIODS:
                await add_period(session, name, start, end, actor="bench")
        return time.perf_counter() - started
    finally:
        await engine.dispose()


@cache
def _choice_order() -> dict[str, list[str]]:
    """Each question's option values in the survey's order, the order the engine stores a list in."""
    survey = load_survey_yaml(QUESTIONNAIRE.read_text(encoding="utf-8"))
    return {question.name: [option.value for option in question.choices] for question in survey.questions}


def _as_stored(question: str, picked: list[str]) -> list[str]:
    order = _choice_order()[question]
    return sorted(picked, key=order.index)


def _moment(rng: random.Random, period: int) -> datetime:
    _, start, end = PERIODS[period]
    span = (end - start).days * 86400
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(seconds=rng.randrange(span))


def _answers(rng: random.Random, minority: bool) -> list[tuple[str, object, bool]]:
    """One person's way through the questionnaire, following its skip logic: (question, value, declined)."""
    aware = rng.random() < (0.35 if minority else 0.6)
    found: list[tuple[str, object, bool]] = [("aware_hearings", "yes" if aware else "no", False)]
    attended = None
    if aware:
        attended = rng.choices(["hearing", "session", "both", "neither"], [2, 1, 1, 4])[0]
        found.append(("attended", attended, False))
    found.append(
        ("submit_know", rng.choices(["both", "application", "petition", "neither"], [2, 3, 1, 3])[0], False)
    )
    declined = rng.random() < 0.08
    trust = (
        None
        if declined
        else rng.choices([1, 2, 3, 4, 5], [3, 3, 3, 2, 1] if minority else [1, 2, 3, 3, 2])[0]
    )
    found.append(("trust", trust, declined))
    channels = rng.sample(
        ["telegram", "sms", "meeting", "in_writing", "phone", "social_media"], rng.randint(1, 3)
    )
    found.append(("channels", _as_stored("channels", channels), False))
    barriers = rng.sample(["timing", "notice", "access", "no_effect"], rng.randint(0, 2))
    if rng.random() < (0.45 if minority else 0.05):
        barriers.append("language")
    found.append(("barriers", _as_stored("barriers", barriers or ["nothing"]), False))
    if attended and attended != "neither":
        found.append(("hearings_count", rng.randint(1, 6), False))
    if "language" in barriers:
        found.append(("interpretation", rng.choice(["yes", "no"]), False))
    if rng.random() < 0.3:
        found.append(("suggestion", "More hearings in the evening, please.", False))
    return found


async def generate(url: str, survey_ids: dict[str, int], seed: int = 8) -> Generated:
    rng, made = random.Random(seed), Generated()
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        places = {code: mid for mid, code in await conn.fetch("SELECT id, code FROM municipalities")}
        people = _people(rng, places)
        now = datetime(2026, 12, 1, tzinfo=UTC)
        await conn.copy_records_to_table(
            "contacts",
            columns=[
                "id",
                "language",
                "municipality_id",
                "status",
                "consent_at",
                "consent_version",
                "topics",
                "tags",
                "dialog_data",
                "created_at",
                "updated_at",
            ],
            records=[
                (
                    pid,
                    lang,
                    places[code],
                    "active",
                    datetime(2025, 12, 1, tzinfo=UTC),
                    "bench",
                    "[]",
                    "[]",
                    "{}",
                    now,
                    now,
                )
                for pid, (code, lang) in enumerate(people, 1)
            ],
        )
        await _survey_rows(conn, rng, people, places, list(survey_ids.values()), made)
        await _hearing_rows(conn, rng, people, places, made)
        await _notices(conn, rng, people, made)
        for table in (
            "contacts",
            "survey_responses",
            "survey_answers",
            "hearings",
            "hearing_rsvps",
            "hearing_questions",
            "deliveries",
        ):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    finally:
        await conn.close()
    return made


async def add_plans(url: str, made: Generated, seed: int = 8) -> None:
    """Self-assessments and action-plan items for the periods, then a VACUUM with fresh planner
    statistics: the state autovacuum keeps a live database in. Without it the visibility map is empty
    after the bulk load, no index-only scan pays, and the figures' merge joins over 0017_index_figures
    are never chosen (measured: the two figure statements 453 ms at load 6.5, 226 ms vacuumed at 5.5)."""
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        places = {code: mid for mid, code in await conn.fetch("SELECT id, code FROM municipalities")}
        await _plans(conn, random.Random(seed), places, made)
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


def _people(rng: random.Random, places: dict[str, int]) -> list[tuple[str, str]]:
    codes = list(PLACES)
    chosen = rng.choices(codes, [PLACES[c][0] for c in codes], k=PEOPLE)
    return [(code, rng.choices(list(PLACES[code][1]), list(PLACES[code][1].values()))[0]) for code in chosen]


async def _survey_rows(
    conn: asyncpg.Connection,
    rng: random.Random,
    people: list[tuple[str, str]],
    places: dict[str, int],
    surveys: list[int],
    made: Generated,
) -> None:
    responses, answers = [], []
    order = [(period, pid) for period in (0, 1) for pid in range(1, PEOPLE + 1)]
    rng.shuffle(order)
    for period, pid in order:
        if made.answers >= ANSWERS:
            break
        code, lang = people[pid - 1]
        at = _moment(rng, period)
        made.responses += 1
        responses.append(
            (
                made.responses,
                surveys[period],
                pid,
                places[code],
                "telegram",
                lang,
                "completed",
                9,
                "[]",
                at,
                at,
                at,
            )
        )
        for question, value, declined in _answers(rng, lang in MINORITY)[: ANSWERS - made.answers]:
            answers.append((made.responses, question, json.dumps(value), declined, at))
            made.answers += 1
            if question == "aware_hearings":
                counts = made.aware[(PERIODS[period][0], code)]
                counts[0] += value == "yes"
                counts[1] += 1
    await conn.copy_records_to_table(
        "survey_responses",
        records=responses,
        columns=[
            "id",
            "survey_id",
            "contact_id",
            "municipality_id",
            "channel",
            "language",
            "status",
            "position",
            "draft",
            "started_at",
            "completed_at",
            "updated_at",
        ],
    )
    await conn.copy_records_to_table(
        "survey_answers",
        records=answers,
        columns=["response_id", "question", "value", "declined", "answered_at"],
    )


async def _hearing_rows(
    conn: asyncpg.Connection,
    rng: random.Random,
    people: list[tuple[str, str]],
    places: dict[str, int],
    made: Generated,
) -> None:
    residents: dict[str, list[int]] = defaultdict(list)
    for pid, (code, _) in enumerate(people, 1):
        residents[code].append(pid)
    hearings, rsvps, questions = [], [], []
    title = json.dumps({"ka": "ბიუჯეტის პროექტის საჯარო განხილვა"})
    for period in (0, 1):
        for code, mid in places.items():
            for _ in range(rng.randint(3, 8)):
                made.hearings += 1
                starts = _moment(rng, period)
                announced = starts - timedelta(days=rng.uniform(2, 20))
                hearings.append(
                    (
                        made.hearings,
                        mid,
                        title,
                        "{}",
                        "{}",
                        "{}",
                        "ka",
                        starts,
                        90,
                        "[]",
                        False,
                        "held",
                        "bench",
                        announced,
                        announced,
                        announced,
                    )
                )
                for pid in rng.sample(residents[code], k=min(len(residents[code]), rng.randint(50, 400))):
                    made.rsvps += 1
                    rsvps.append(
                        (
                            made.rsvps,
                            made.hearings,
                            pid,
                            rng.choice(["going", "maybe", "not_going"]),
                            "telegram",
                            announced,
                            announced,
                        )
                    )
                    if rng.random() < 0.1:
                        made.questions += 1
                        status = "considered" if rng.random() < 0.6 else "received"
                        questions.append(
                            (
                                made.questions,
                                made.hearings,
                                pid,
                                "When will the road be fixed?",
                                announced,
                                status,
                            )
                        )
    await conn.copy_records_to_table(
        "hearings",
        records=hearings,
        columns=[
            "id",
            "municipality_id",
            "title",
            "description",
            "place",
            "accessibility",
            "fallback_language",
            "starts_at",
            "duration_minutes",
            "interpretation",
            "names_required",
            "status",
            "created_by",
            "created_at",
            "announced_at",
            "updated_at",
        ],
    )
    await conn.copy_records_to_table(
        "hearing_rsvps",
        records=rsvps,
        columns=["id", "hearing_id", "contact_id", "answer", "channel", "created_at", "updated_at"],
    )
    await conn.copy_records_to_table(
        "hearing_questions",
        records=questions,
        columns=["id", "hearing_id", "contact_id", "text", "received_at", "status"],
    )


async def _notices(
    conn: asyncpg.Connection, rng: random.Random, people: list[tuple[str, str]], made: Generated
) -> None:
    """One notice per person and period, in their own language except for some minority readers."""
    rows = []
    for period in (0, 1):
        for pid, (_, lang) in enumerate(people, 1):
            sent_in = lang if lang not in MINORITY or rng.random() < 0.8 else "ka"
            at = _moment(rng, period)
            made.deliveries += 1
            rows.append(
                (
                    made.deliveries,
                    f"bench:{period}:{pid}",
                    pid,
                    "telegram",
                    sent_in,
                    "{}",
                    "normal",
                    "sent",
                    1,
                    at,
                    at,
                    at,
                    at,
                )
            )
    await conn.copy_records_to_table(
        "deliveries",
        records=rows,
        columns=[
            "id",
            "dedupe_key",
            "contact_id",
            "channel",
            "language",
            "payload",
            "urgency",
            "status",
            "attempts",
            "not_before",
            "created_at",
            "sent_at",
            "updated_at",
        ],
    )


async def _plans(
    conn: asyncpg.Connection, rng: random.Random, places: dict[str, int], made: Generated
) -> None:
    """Self-assessments for every municipality and period; action-plan items when that table exists."""
    periods = {name: pid for pid, name in await conn.fetch("SELECT id, name FROM benchmark_periods")}
    now = datetime(2026, 12, 1, tzinfo=UTC)
    codes = (
        "information_published",
        "consultation_practice",
        "co_decision",
        "accessibility_measures",
        "feedback_published",
    )
    await conn.executemany(
        "INSERT INTO benchmark_self_assessments (municipality_id, period_id, indicator, score, evidence, "
        "link, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, NULL, 'bench', $6)",
        [
            (mid, pid, code, float(rng.randint(0, 4)), "minutes and published decisions", now)
            for mid in places.values()
            for pid in periods.values()
            for code in codes
        ],
    )
    if not await conn.fetchval("SELECT to_regclass('action_plan_items') IS NOT NULL"):
        return
    columns = {
        r[0]
        for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'action_plan_items'"
        )
    }
    who = [c for c in ("updated_by", "created_by") if c in columns]  # the plan's schema is still moving
    staff, by = ", ".join(who), ", ".join("'bench'" for _ in who)
    for code, mid in places.items():
        plan = await conn.fetchval(
            "INSERT INTO action_plans (municipality_id, title, base_language, created_by, created_at, "
            "updated_at) VALUES ($1, $2, 'ka', 'bench', $3, $3) RETURNING id",
            mid,
            json.dumps({"ka": code}),
            now,
        )
        for n in range(24):
            due = PERIODS[n % 2][1] + timedelta(days=rng.randrange(170))
            status = rng.choice(["planned", "in_progress", "done", "done", "delayed", "dropped"])
            done_on = due + timedelta(days=rng.randint(-30, 20)) if status == "done" else None
            made.items += 1
            await conn.execute(
                "INSERT INTO action_plan_items (plan_id, municipality_id, title, base_language, indicators, "
                f"responsible_unit, due_on, status, progress, done_on, created_at, updated_at, {staff}) "
                f"VALUES ($1, $2, $3, 'ka', '[]', 'mayor''s office', $4, $5, $6, $7, $8, $8, {by})",
                plan,
                mid,
                json.dumps({"ka": f"item {n}"}),
                due,
                status,
                100 if status == "done" else 40,
                done_on,
                now,
            )
