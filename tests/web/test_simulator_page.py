"""The newcomer's path in a real browser against `civicbot serve`: /try -> sign up in Armenian -> answer
a demo poll -> the public page counts the answer once this municipality's group reaches 5."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import t
from channels.sms.segments import count_segments
from storage.base import utcnow
from storage.models import Contact, ContactStatus, Municipality
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyResponse
from surveys import lifecycle
from surveys.engine import THANKS
from surveys.publication import publish
from tests.web.conftest import WebServer, assert_accessible, start_server, stop_server

pytestmark = pytest.mark.slow
POLL = Path(__file__).resolve().parents[2] / "surveys" / "examples" / "budget_flash_poll.yaml"
ROADS_HY = "Ճանապարհներ և փողոցներ"


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The public pages cache their data for a second here, so the page can be read before and after."""
    server = start_server(tmp_path_factory.mktemp("web"), env={"PUBLIC_PAGES_CACHE_SECONDS": "1"})
    try:
        yield server
    finally:
        stop_server(server)


def _open_poll_with_four_answers(server: WebServer) -> None:
    async def work(session: AsyncSession) -> None:
        survey, source = lifecycle.load_survey_file(POLL)
        record, _ = await lifecycle.import_survey(session, survey, source)
        if record.status == "draft":
            await lifecycle.open_survey(session, record.code, municipalities=["marneuli", "dmanisi"])
        await publish(session, record.code, public=True, actor="test")
        place = await session.scalar(select(Municipality).where(Municipality.code == "marneuli"))
        assert place is not None
        now = utcnow()
        for _ in range(4):  # four real neighbours already answered "roads"
            person = Contact(
                language="az",
                status=ContactStatus.ACTIVE,
                municipality_id=place.id,
                consent_at=now,
                consent_version="2026-11",
                created_at=now,
                last_seen_at=now,
            )
            session.add(person)
            await session.flush()
            response = SurveyResponse(
                survey_id=record.id,
                contact_id=person.id,
                channel="sms",
                language="az",
                status=ResponseStatus.COMPLETED,
                position=3,
                completed_at=now,
            )
            session.add(response)
            await session.flush()
            session.add(SurveyAnswer(response_id=response.id, question="priority", value="roads"))

    server.db(work)


def _press(page: Any, label: str) -> None:
    page.locator("#log button.tg-key", has_text=label).last.click()


def _results_text(page: Any) -> str:
    return str(page.locator("#survey-budget-flash-poll").inner_text())


def test_newcomer_signs_up_in_armenian_answers_and_sees_the_result(page: Any, web_server: WebServer) -> None:
    _open_poll_with_four_answers(web_server)
    page.goto("/m/marneuli?lang=hy")
    assert t(
        "hy", "Fewer than 5 people from this municipality have answered so far, so no results are shown yet."
    ) in _results_text(page)

    page.goto("/try?lang=hy")
    assert_accessible(page)
    page.locator("form:has(input[value='telegram']) button").click()
    _press(page, "Հայերեն")
    _press(page, "Մառնեուլի")
    _press(page, t("hy", "I agree"))
    _press(page, t("hy", "Done"))
    _press(page, t("hy", "Skip"))
    page.get_by_text(t("hy", "Welcome! You are signed up.")).wait_for()
    page.locator("#chat-text").fill("/polls")
    page.locator("form.chat-input button").click()
    _press(page, "Բյուջեի առաջնահերթություններ")
    _press(page, ROADS_HY)
    thanks = t("hy", THANKS.msgid)
    for _ in range(5):
        if page.get_by_text(thanks).count():
            break
        page.locator("#log .tg-keyboard").last.locator("button").first.click()
        page.wait_for_timeout(300)  # the next question replaces nothing: wait for htmx to append it
    page.get_by_text(thanks).wait_for()
    assert_accessible(page)

    page.wait_for_timeout(1100)  # the page's cached data has expired
    page.goto("/m/marneuli?lang=hy")
    text = _results_text(page)
    assert t("hy", "{n} person answered.").split("{n}")[0] in text or "5" in text
    row = page.locator("#survey-budget-flash-poll .result-bars").first.inner_text()
    assert re.search(rf"{ROADS_HY}\s+5 \(100%\)", row), row
    assert_accessible(page)


def test_sms_style_counts_segments_like_the_sms_channel(page: Any, web_server: WebServer) -> None:
    page.goto("/try?lang=en")
    page.locator("form:has(input[value='sms']) button").click()
    page.locator("#chat-text").fill("hello")
    page.locator("form.chat-input button").click()
    page.locator("#log .sms-text").first.wait_for()
    page.locator("#chat-text").fill("3")  # Armenian: UCS-2 from now on
    page.locator("form.chat-input button").click()
    page.locator("#log .sms-meta").nth(1).wait_for()
    bodies = page.locator("#log .sms-text").all()
    metas = page.locator("#log .sms-meta").all()
    assert len(bodies) == len(metas) >= 2
    for body, meta in zip(bodies, metas, strict=True):
        text = body.text_content().removeprefix("Bot: ")
        info = count_segments(text)
        assert meta.inner_text().startswith(f"{info.segments} SMS segment")
        assert meta.inner_text().endswith(info.encoding.value)
    assert "UCS-2" in metas[-1].inner_text()
    assert_accessible(page)
