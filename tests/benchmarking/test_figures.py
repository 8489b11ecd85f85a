"""The outbox and subscriber figures, computed for both periods at once, against counts made by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking.figures import FigureValue, system_figures
from benchmarking.framework import Figure
from benchmarking.periods import periods as stored_periods
from benchmarking.periods import window
from storage.models import Contact, Municipality
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.benchmarking.index_data import IN_BASELINE, IN_FOLLOWUP, answer_as, periods, two_surveys
from tests.surveys.people import add_person

Sessions = async_sessionmaker[AsyncSession]
_sent = iter(range(1, 10_000))


async def _received(
    session: AsyncSession,
    person: Contact,
    languages: list[str],
    at: datetime,
    status: DeliveryStatus = DeliveryStatus.SENT,
) -> None:
    for language in languages:
        n = next(_sent)
        session.add(
            Delivery(
                dedupe_key=f"test:{n}",
                contact_id=person.id,
                channel="telegram",
                language=language,
                payload={},
                status=status,
                sent_at=at + timedelta(minutes=n),
            )
        )
    await session.flush()


async def _figures(sessions: Sessions) -> dict[tuple[str, str, Figure], FigureValue]:
    """Every period's figures at once, keyed by municipality code."""
    async with sessions() as session:
        windows = [window(period) for period in await stored_periods(session)]
        found = await system_figures(session, windows)
        codes = dict((await session.execute(select(Municipality.id, Municipality.code))).all())
    return {(period, codes[mid], figure): value for (period, mid, figure), value in found.items()}


async def test_own_language_counts_messages_and_hides_fewer_than_five_people(sessions: Sessions) -> None:
    """Marneuli, baseline: 5 people got 7 messages, 5 in their own language: 71.4 %. Dmanisi: 4 people got
    12 messages, all in their own language: hidden, 4 people. Not counted: a message still waiting, one
    to a simulated person, and the follow-up period's, which make the follow-up's own figure (1 of 2)
    hidden too (1 person)."""
    async with sessions() as session, session.begin():
        await periods(session)
        marneuli = [await add_person(session, municipality="marneuli", language="az") for _ in range(5)]
        for person, languages in zip(
            marneuli, [["az", "az"], ["az"], ["az"], ["ka"], ["ka", "az"]], strict=True
        ):
            await _received(session, person, languages, IN_BASELINE)
        await _received(session, marneuli[0], ["ka"], IN_BASELINE, DeliveryStatus.PENDING)
        await _received(session, marneuli[1], ["az", "ka"], IN_FOLLOWUP)
        simulated = await add_person(session, municipality="marneuli", language="az")
        simulated.simulated = True
        await _received(session, simulated, ["ka", "ka"], IN_BASELINE)
        for _ in range(4):
            person = await add_person(session, municipality="dmanisi", language="hy")
            await _received(session, person, ["hy", "hy", "hy"], IN_BASELINE)
    found = await _figures(sessions)
    own = Figure.NOTICES_IN_OWN_LANGUAGE
    assert found[("2026-baseline", "marneuli", own)] == FigureValue(pytest.approx(100 * 5 / 7))
    assert found[("2026-baseline", "dmanisi", own)] == FigureValue(None, hidden=True)
    assert found[("2027-followup", "marneuli", own)] == FigureValue(None, hidden=True)


async def test_response_rates_of_both_periods_count_who_had_subscribed_by_each_end(
    sessions: Sessions,
) -> None:
    """Dmanisi: 10 Georgian readers subscribed before the baseline, 5 of them answered in it: 50 %, and no
    parity (no minority-language subscriber yet). 10 Azerbaijani readers subscribed in October 2026; in
    the follow-up 8 Georgian and 5 Azerbaijani readers answered: 13 of 20, parity 0.5 / 0.8."""
    async with sessions() as session, session.begin():
        await periods(session)
        baseline, followup = await two_surveys(session)
        georgian = [await add_person(session, municipality="dmanisi", language="ka") for _ in range(10)]
        azerbaijani = [await add_person(session, municipality="dmanisi", language="az") for _ in range(10)]
        for person in georgian:
            person.consent_at = datetime(2025, 11, 1, tzinfo=UTC)
        for person in azerbaijani:
            person.consent_at = datetime(2026, 10, 1, tzinfo=UTC)
        for person in georgian[:5]:
            await answer_as(session, baseline, person, {"aware_hearings": "yes"}, IN_BASELINE)
        for person in georgian[:8] + azerbaijani[:5]:
            await answer_as(session, followup, person, {"aware_hearings": "yes"}, IN_FOLLOWUP)
    found = await _figures(sessions)
    rate, parity = Figure.SURVEY_RESPONSE_RATE, Figure.RESPONSE_RATE_PARITY
    assert found[("2026-baseline", "dmanisi", rate)] == FigureValue(pytest.approx(50))
    assert ("2026-baseline", "dmanisi", parity) not in found
    assert found[("2027-followup", "dmanisi", rate)] == FigureValue(pytest.approx(65))
    assert found[("2027-followup", "dmanisi", parity)] == FigureValue(pytest.approx(62.5))


async def test_the_figures_give_back_the_planner_settings_they_change(sessions: Sessions) -> None:
    """On PostgreSQL two figures run with hash joins and parallel workers off, for the transaction only:
    afterwards it has the values its caller had set, and the next transaction the server's."""
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("planner settings are PostgreSQL's; SQLite has none to change")
    async with sessions() as session, session.begin():
        await periods(session)
    show = text(
        "SELECT current_setting('enable_hashjoin'), current_setting('max_parallel_workers_per_gather')"
    )
    async with sessions() as session:
        defaults = tuple((await session.execute(show)).one())
        await session.execute(text("SET LOCAL max_parallel_workers_per_gather = 1"))  # the caller's own
        await system_figures(session, [window(period) for period in await stored_periods(session)])
        assert tuple((await session.execute(show)).one()) == (defaults[0], "1")
        await session.commit()
        assert tuple((await session.execute(show)).one()) == defaults
