"""The PLAN keyword by SMS, in every language's spelling: the short summary, with the public page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.sms.render import render_sms
from channels.sms.segments import count_segments
from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault
from handlers.sms.conversation import Inbound, SmsConversation
from handlers.telegram import actionplan_site
from tests.benchmarking.actionplan_builders import item
from tests.campaigns.people import add_person

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "lang", "words"),
    [
        ("PLAN", "en", "Action plan: 2 items"),
        ("ᲒᲔᲒᲛᲐ", "ka", "სამოქმედო გეგმა: 2 ღონისძიება"),
        ("plan", "az", "Fəaliyyət planı: 2 tədbir"),
        ("Ծրագիր", "hy", "Գործողությունների ծրագիր. 2 միջոցառում"),
        ("План действий", "ru", "План действий: 2 мероприятия"),
    ],
)
async def test_plan_by_sms_gives_the_summary_and_the_link(
    sessions: async_sessionmaker[AsyncSession],
    vault: DataVault,
    policy: PrivacyPolicy,
    monkeypatch: pytest.MonkeyPatch,
    typed: str,
    lang: str,
    words: str,
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://civicbot.gov.ge/")
    actionplan_site._site.cache_clear()
    async with sessions() as session, session.begin():
        await item(session, "dmanisi")
        await item(session, "dmanisi")
        person = await add_person(session, municipality="dmanisi", language=lang, telegram=False, sms=True)
        phone = person.identities[0].address
        answer = await SmsConversation(session, vault, policy, NOW).handle(Inbound("SM1", phone, typed))
    actionplan_site._site.cache_clear()
    body = "\n".join(render_sms(reply, lang) for reply in answer.replies)
    assert words in body
    assert "https://civicbot.gov.ge/m/dmanisi/plan" in body
    assert count_segments(body).segments <= 2


async def test_a_sentence_with_the_word_is_not_the_keyword(
    sessions: async_sessionmaker[AsyncSession],
    vault: DataVault,
    policy: PrivacyPolicy,
) -> None:
    async with sessions() as session, session.begin():
        await item(session, "dmanisi")
        person = await add_person(session, municipality="dmanisi", language="en", telegram=False, sms=True)
        phone = person.identities[0].address
        answer = await SmsConversation(session, vault, policy, NOW).handle(
            Inbound("SM2", phone, "what is the plan for the road")
        )
    assert all("Action plan:" not in render_sms(reply, "en") for reply in answer.replies)
