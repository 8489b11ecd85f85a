"""What citizens and staff read: the plan in Telegram, the two-segment SMS, the report in a language."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking import actionplan_views, actionplans
from benchmarking.actionplans import Update
from channels.i18n import LANGUAGES, render
from channels.message import Reply, Text
from channels.sms.render import render_sms
from channels.sms.segments import count_segments
from storage.models.actionplans import ItemStatus
from tests.benchmarking.actionplan_builders import coordinator, item
from tests.campaigns.people import add_person

TODAY = date(2026, 12, 1)
PAGE = "https://civicbot.gov.ge/m/chokhatauri/plan"  # 42 characters, as a real PUBLIC_BASE_URL gives


def _text(reply: Reply, lang: str) -> str:
    return "\n\n".join(render(part, lang) for message in reply for part in message.parts)


async def _plan(session: AsyncSession, municipality: str = "chokhatauri", items: int = 3) -> list[int]:
    """Items: the first overdue and in progress, the second done, the rest planned."""
    by = await coordinator(session)
    made = [await item(session, municipality, due=TODAY + timedelta(days=30 * n - 10)) for n in range(items)]
    await actionplans.update_item(session, made[0].id, Update(status=ItemStatus.IN_PROGRESS, progress=40), by)
    await actionplans.update_item(session, made[1].id, Update(status=ItemStatus.DONE), by)
    return [m.id for m in made]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_citizen_view_lists_every_item_in_the_readers_language(
    sessions: async_sessionmaker[AsyncSession], lang: str
) -> None:
    async with sessions() as session, session.begin():
        await _plan(session)
        reader = await add_person(session, municipality="chokhatauri", language=lang)
        reply = await actionplan_views.citizen_plan(session, reader, TODAY, PAGE)
    text = _text(reply, lang)
    titles = {
        "ka": "გზის შეკეთება",
        "az": "Yolun təmiri",
        "hy": "Ճանապարհի վերանորոգում",
        "ru": "Ремонт дороги",
        "en": "Road repair",
    }
    overdue = render(Text("overdue"), lang)
    assert text.count(titles[lang]) == 3
    assert text.count(overdue) == 1 and "40%" in text
    assert [link.url for link in reply[0].links] == [PAGE]
    if lang != "en":
        assert "in progress" not in text and "overdue" not in text


async def test_people_without_a_plan_or_a_municipality_are_told_why(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        homeless = await add_person(session, municipality=None, language="en")
        batumi = await add_person(session, municipality="batumi", language="en")
        nowhere = await actionplan_views.citizen_plan(session, homeless, TODAY)
        no_plan = await actionplan_views.citizen_plan(session, batumi, TODAY)
    assert "/municipality" in _text(nowhere, "en")
    assert _text(no_plan, "en") == "Batumi has not published an action plan yet."


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_sms_summary_fits_two_segments_with_the_link(
    sessions: async_sessionmaker[AsyncSession], lang: str
) -> None:
    async with sessions() as session, session.begin():
        await _plan(session, items=12)
        reader = await add_person(
            session, municipality="chokhatauri", language=lang, telegram=False, sms=True
        )
        reply = await actionplan_views.sms_summary(session, reader, TODAY, PAGE)
    body = render_sms(reply[0], lang)
    assert PAGE in body and "12" in body
    assert count_segments(body).segments <= 2, (len(body), body)


async def test_a_link_that_would_cost_a_third_segment_is_left_out(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    long_page = "https://participation.chokhatauri-municipality.example.gov.ge/m/chokhatauri/plan"
    async with sessions() as session, session.begin():
        await _plan(session, items=12)
        reader = await add_person(
            session, municipality="chokhatauri", language="hy", telegram=False, sms=True
        )
        reply = await actionplan_views.sms_summary(session, reader, TODAY, long_page)
    body = render_sms(reply[0], "hy")
    assert long_page not in body and "12" in body
    assert count_segments(body).segments <= 2


@pytest.mark.parametrize(
    ("fmt", "lang", "words"),
    [("md", "hy", "կատարված է"), ("md", "ka", "ვადაგადაცილებულია"), ("csv", "ru", "в работе")],
)
async def test_the_report_is_in_the_language_asked_for(
    sessions: async_sessionmaker[AsyncSession], fmt: str, lang: str, words: str
) -> None:
    async with sessions() as session, session.begin():
        ids = await _plan(session)
        place = await actionplans.municipality(session, "chokhatauri")
        view = await actionplan_views.load(session, place, TODAY)
    text = actionplan_views.report(view, lang, fmt)
    assert words in text
    rows = [
        line
        for line in text.splitlines()
        if line.startswith(("| ", f"{ids[0]},", f"{ids[1]},", f"{ids[2]},"))
    ]
    assert len(rows) == 4 if fmt == "md" else len(rows) == 3


async def test_the_markdown_report_writes_dates_and_progress_as_the_reader_does(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Russian: "21 ноября 2026", "40 %" (Babel); the CSV keeps ISO dates and bare numbers for programs."""
    async with sessions() as session, session.begin():
        ids = await _plan(session)
        place = await actionplans.municipality(session, "chokhatauri")
        view = await actionplan_views.load(session, place, TODAY)
    row = next(
        line
        for line in actionplan_views.report(view, "ru", "md").splitlines()
        if line.startswith(f"| {ids[0]} |")
    )
    assert "| 21 ноября 2026 |" in row and "| 40\u00a0% |" in row and "2026-11-21" not in row
    csv_row = next(
        line
        for line in actionplan_views.report(view, "ru", "csv").splitlines()
        if line.startswith(f"{ids[0]},")
    )
    assert ",2026-11-21," in csv_row and ",40," in csv_row
