"""Figures the system computes itself, per municipality and period, each by one aggregate query (the
outbox and the people are read once for every period together: they are the big tables here).

A figure that counts people is hidden when 1 to 4 people are behind it (as survey results are), and one
with nothing to count (no hearing, no question, no action-plan item in the period) is missing; neither
is ever zero. The people a rate is computed over are today's consenting subscribers; the outbox counts
every message the municipality's people received (notices, broadcasts, reminders).
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Table, and_, case, cast, func, inspect, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.framework import Figure
from benchmarking.periods import Window, populations
from benchmarking.survey_scores import MINORITY, OTHERS, group_of
from contacts.simulated import real_person
from storage.base import Base
from storage.models import Contact, ContactStatus
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.hearings import Hearing, HearingQuestion, HearingRsvp, HearingStatus, QuestionStatus, Rsvp
from storage.models.surveys import SurveyResponse
from surveys.disclosure import MIN_GROUP


def _action_plan_items() -> Table | None:
    """The action-plan items table when its model is part of this installation, else None."""
    try:
        importlib.import_module("storage.models.actionplans")
    except ModuleNotFoundError:
        return None
    return Base.metadata.tables.get("action_plan_items")


ACTION_PLAN_ITEMS = _action_plan_items()
MERGING = ("enable_hashjoin", "max_parallel_workers_per_gather")  # set to 0 (off) for the joins over people


@dataclass(frozen=True)
class FigureValue:
    """A computed figure: `value`, or None with `hidden` True when fewer than 5 people are behind it."""

    value: float | None
    hidden: bool = False


Figures = dict[tuple[str, int, Figure], FigureValue]


def _small(count: int) -> bool:
    return 0 < count < MIN_GROUP


def _days(later: Any, earlier: Any, dialect: str) -> Any:
    """Days between two timestamps, as the database computes them."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


async def system_figures(session: AsyncSession, windows: Sequence[Window]) -> Figures:
    found: Figures = {}
    people = await populations(session)
    items = ACTION_PLAN_ITEMS
    if items is not None and not await session.run_sync(
        lambda sync: inspect(sync.connection()).has_table("action_plan_items")
    ):
        items = None
    for window in windows:
        for step in (_notice_days, _hearing_rates, _questions_answered):
            await step(session, window, found, people)
        if items is not None:
            await _on_time(session, window, found, items)
    if windows:  # one pass over the outbox and one over the people serve every period
        merging = session.get_bind().dialect.name == "postgresql"
        # Both join every real person to their rows, all read from indexes in person order (migration
        # 0017_index_figures): merged, not hashed, they take 0.6 of the time once the tables are
        # vacuumed; parallel workers would each aggregate every person's responses again.
        before = await _planner(session, dict.fromkeys(MERGING, "0")) if merging else {}
        await _own_language(session, windows, found)
        await _response_rates(session, windows, found)
        if merging:
            await _planner(session, before)
    return found


async def _planner(session: AsyncSession, settings: dict[str, str]) -> dict[str, str]:
    """Set planner settings for the rest of this transaction only (a pooled connection never keeps
    them); returns the values they had, which the caller puts back: `RESET` would set them for the
    whole session, over whatever the caller had set in this transaction."""
    before = {}
    for name, value in settings.items():
        before[name] = str(await session.scalar(text("SELECT current_setting(:name)"), {"name": name}))
        await session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
    return before


def _period(column: Any, windows: Sequence[Window]) -> Any:
    """The name of the period an instant falls in (periods never overlap), else NULL."""
    return case(*[(_in(column, window), window.name) for window in windows], else_=None)


def _in(column: Any, window: Window) -> ColumnElement[bool]:
    return and_(column >= window.start, column < window.end)


async def _notice_days(session: AsyncSession, window: Window, found: Figures, _: dict[int, int]) -> None:
    days = _days(Hearing.starts_at, Hearing.announced_at, session.get_bind().dialect.name)
    rows = await session.execute(
        select(Hearing.municipality_id, func.avg(days))
        .where(
            _in(Hearing.starts_at, window),
            Hearing.announced_at.is_not(None),
            Hearing.status.in_((HearingStatus.ANNOUNCED, HearingStatus.HELD)),
        )
        .group_by(Hearing.municipality_id)
    )
    for municipality_id, mean in rows.all():
        found[(window.name, municipality_id, Figure.NOTICE_DAYS)] = FigureValue(max(0.0, float(mean)))


async def _hearing_rates(
    session: AsyncSession, window: Window, found: Figures, people: dict[int, int]
) -> None:
    """RSVPs (going or maybe) and questions per 1,000 residents, for hearings held in the period."""
    held = _in(Hearing.starts_at, window)
    rsvps = (
        select(Hearing.municipality_id, func.count(HearingRsvp.id))
        .join(HearingRsvp, HearingRsvp.hearing_id == Hearing.id)
        .where(held, HearingRsvp.answer.in_((Rsvp.GOING, Rsvp.MAYBE)), real_person(HearingRsvp.contact_id))
        .group_by(Hearing.municipality_id)
    )
    questions = (
        select(Hearing.municipality_id, func.count(HearingQuestion.id))
        .join(HearingQuestion, HearingQuestion.hearing_id == Hearing.id)
        .where(held, real_person(HearingQuestion.contact_id))
        .group_by(Hearing.municipality_id)
    )
    hearings = (
        select(Hearing.municipality_id)
        .where(held, Hearing.status.in_((HearingStatus.ANNOUNCED, HearingStatus.HELD)))
        .distinct()
    )
    with_hearings = set((await session.scalars(hearings)).all())
    for figure, query in ((Figure.RSVPS_PER_1000, rsvps), (Figure.QUESTIONS_PER_1000, questions)):
        counts: dict[int, int] = dict((await session.execute(query)).all())
        for municipality_id in with_hearings:
            residents, count = people.get(municipality_id), counts.get(municipality_id, 0)
            if not residents:
                continue
            value = None if _small(count) else 1000 * count / residents
            found[(window.name, municipality_id, figure)] = FigureValue(value, hidden=_small(count))


async def _questions_answered(
    session: AsyncSession, window: Window, found: Figures, _: dict[int, int]
) -> None:
    answered = func.sum(case((HearingQuestion.status == QuestionStatus.CONSIDERED, 1), else_=0))
    rows = await session.execute(
        select(Hearing.municipality_id, func.count(HearingQuestion.id), answered)
        .join(HearingQuestion, HearingQuestion.hearing_id == Hearing.id)
        .where(
            _in(Hearing.starts_at, window),
            HearingQuestion.status != QuestionStatus.ERASED,
            real_person(HearingQuestion.contact_id),
        )
        .group_by(Hearing.municipality_id)
    )
    for municipality_id, total, done in rows.all():
        hidden = _small(int(total))
        value = None if hidden or not total else 100 * float(done or 0) / total
        found[(window.name, municipality_id, Figure.QUESTIONS_ANSWERED)] = FigureValue(value, hidden)


async def _own_language(session: AsyncSession, windows: Sequence[Window], found: Figures) -> None:
    """Messages received in the person's own language, of all received in the period. Hidden when 1 to
    4 people received them: the sums come from one pass over the outbox, and whether 5 people stand
    behind them from a look-up that stops at the fifth."""
    received = Delivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.DELIVERED))
    period = _period(Delivery.sent_at, windows)
    rows = await session.execute(
        select(
            period,
            Contact.municipality_id,
            func.count(),  # not count(id): the id is not in ix_deliveries_received
            func.sum(case((Delivery.language == Contact.language, 1), else_=0)),
        )
        .join(Contact, Contact.id == Delivery.contact_id)
        .where(or_(*[_in(Delivery.sent_at, w) for w in windows]), received, Contact.simulated.is_(False))
        .group_by(period, Contact.municipality_id)
    )
    by_name = {window.name: window for window in windows}
    for name, municipality_id, total, in_own in rows.all():
        if municipality_id is None or not total:
            continue
        window = by_name[name]
        got_one = (
            select(Delivery.id)
            .where(Delivery.contact_id == Contact.id, _in(Delivery.sent_at, window), received)
            .exists()
        )
        first_five = (
            select(Contact.id)
            .where(Contact.municipality_id == municipality_id, Contact.simulated.is_(False), got_one)
            .limit(MIN_GROUP)
            .subquery()
        )
        persons = int(await session.scalar(select(func.count()).select_from(first_five)) or 0)
        hidden = _small(persons)
        value = None if hidden else 100 * float(in_own or 0) / float(total)
        found[(name, municipality_id, Figure.NOTICES_IN_OWN_LANGUAGE)] = FigureValue(value, hidden)


async def _response_rates(session: AsyncSession, windows: Sequence[Window], found: Figures) -> None:
    """The share of consenting subscribers who answered a survey in the period, overall and per
    language group; parity is the minority-language group's rate over the others' (at most 100)."""
    # Each person's responses first, one row per person saying in which periods they started one
    # (read in person order from ix_survey_responses_contact_id_started_at), then one grouped pass over
    # the people for every period, per municipality and language (grouped further here).
    started = [
        func.max(case((_in(SurveyResponse.started_at, window), 1), else_=0)).label(f"in_{n}")
        for n, window in enumerate(windows)
    ]
    responders = (
        select(SurveyResponse.contact_id, *started)
        .where(or_(*[_in(SurveyResponse.started_at, window) for window in windows]))
        .group_by(SurveyResponse.contact_id)
        .subquery()
    )
    counted = []
    for n, window in enumerate(windows):
        subscribed = Contact.consent_at < window.end  # subscribed by the period's end
        counted += [
            func.sum(case((subscribed, 1), else_=0)),
            func.sum(case((and_(subscribed, responders.c[f"in_{n}"] == 1), 1), else_=0)),
        ]
    rows = await session.execute(
        select(Contact.municipality_id, Contact.language, *counted)
        .outerjoin(responders, responders.c.contact_id == Contact.id)
        .where(
            Contact.consent_at.is_not(None),
            Contact.status != ContactStatus.ERASED,
            Contact.municipality_id.is_not(None),
            Contact.simulated.is_(False),
        )
        .group_by(Contact.municipality_id, Contact.language)
    )
    rates: dict[tuple[str, int], dict[str, tuple[int, int]]] = defaultdict(dict)
    for municipality_id, language, *sizes in rows.all():
        for n, window in enumerate(windows):
            size, did = int(sizes[2 * n] or 0), int(sizes[2 * n + 1] or 0)
            if size:
                groups, grp = rates[(window.name, municipality_id)], group_of(language)
                before = groups.get(grp, (0, 0))
                groups[grp] = (before[0] + size, before[1] + did)
    for (name, municipality_id), groups in rates.items():
        size = sum(s for s, _ in groups.values())
        answered = sum(a for _, a in groups.values())
        hidden = _small(size) or _small(answered)
        found[(name, municipality_id, Figure.SURVEY_RESPONSE_RATE)] = FigureValue(
            None if hidden or not size else 100 * answered / size, hidden
        )
        if len(groups) < 2:
            continue  # parity needs both groups
        shares = {g: (a / s if s else 0.0) for g, (s, a) in groups.items()}
        hidden = any(_small(s) or _small(a) for s, a in groups.values())
        value = None if hidden or not shares[OTHERS] else 100 * min(1.0, shares[MINORITY] / shares[OTHERS])
        found[(name, municipality_id, Figure.RESPONSE_RATE_PARITY)] = FigureValue(value, hidden)


async def _on_time(session: AsyncSession, window: Window, found: Figures, items: Table) -> None:
    """Items due in the period (dropped ones aside): the share done by their due date."""
    c = items.c
    on_time = func.sum(
        case((and_(c.status == "done", c.done_on.is_not(None), c.done_on <= c.due_on), 1), else_=0)
    )
    rows = await session.execute(
        select(c.municipality_id, func.count(), cast(on_time, Float))
        .where(c.due_on >= window.starts_on, c.due_on <= window.ends_on, c.status != "dropped")
        .group_by(c.municipality_id)
    )
    for municipality_id, total, done in rows.all():
        if total:
            found[(window.name, municipality_id, Figure.ACTION_PLAN_ON_TIME)] = FigureValue(
                100 * float(done or 0) / total
            )
