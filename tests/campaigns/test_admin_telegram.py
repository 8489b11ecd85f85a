"""/broadcast and /approve end to end: `civicbot serve` against the fake Bot API, from an officer's
first message to the citizens' phones (the scheduler and the delivery workers run in the service), with the
staff notices in between: the coordinators told of the submission, the officer of approval and the end.

On PostgreSQL only, like every end-to-end test (`tests/e2e/conftest.py`): who may approve and who receives
does not depend on the database; the storage and channel tests run on both."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import service, staff
from storage.db import unit_of_work
from storage.models import AuditEntry
from storage.models.campaigns import Campaign, CampaignStatus, Role
from tests.campaigns.people import add_person, add_staff, draft
from tests.e2e.conftest import CONVERSATION_PACE_ENV, CONVERSATION_PER_CHAT, database_url  # noqa: F401
from tests.e2e.service import civicbot_serve
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_state import BotMessage

pytestmark = pytest.mark.slow

TOKEN = "123456789:AAE_admin-test_abcdefghijklmnopqrstuv"
OFFICER, COORDINATOR, OTHER_COORDINATOR, CITIZEN = 9001, 9002, 9003, 9004


@dataclass
class Setting:
    telegram: FakeTelegram
    sessions: async_sessionmaker[AsyncSession]
    citizens: dict[int, str]  # Telegram id -> language, Marneuli only
    waiting: int  # a campaign submitted by the coordinator giorgi before the service started


@pytest.fixture
async def setting(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> AsyncIterator[Setting]:
    async with unit_of_work(sessions) as session:
        await staff.grant(
            session,
            Role.OFFICER,
            name="nino",
            telegram_id=OFFICER,
            municipality_code="marneuli",
            language="en",
        )
        giorgi = await staff.grant(
            session, Role.COORDINATOR, name="giorgi", telegram_id=COORDINATOR, language="en"
        )
        await add_staff(session, "eka", telegram_id=OTHER_COORDINATOR)
        people = [await add_person(session, language=lang) for lang in ("ka", "az", "az")]
        citizens = {int(p.identities[0].address): p.language for p in people}
        await add_person(session, municipality="batumi", language="ru")
        waiting = await service.create(session, draft(texts={"ka": "ა", "az": "b"}), giorgi)
        await service.submit(session, waiting.id, giorgi)
    # Staff and citizens converse at the end-to-end tests' pace, not Telegram's one message a second
    # to a chat: this test is about who may approve and who receives, not the per-chat limit.
    async with FakeTelegram(TOKEN, per_chat_limit=CONVERSATION_PER_CHAT) as fake:
        for user_id in (OFFICER, COORDINATOR, OTHER_COORDINATOR, CITIZEN, *citizens):
            fake.register_user(user_id, "Test", language_code="en")
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": fake.base_url,
            "DATABASE_URL": migrated_url,
            "QUIET_HOURS": "00:00-00:00",
            "SCHEDULER_RESYNC_SECONDS": "0.5",
            **CONVERSATION_PACE_ENV,
        }
        async with civicbot_serve(env, tmp_path):
            yield Setting(fake, sessions, citizens, waiting.id)


async def _say(fake: FakeTelegram, user: int, text: str, expect: int = 1) -> list[BotMessage]:
    before = len(fake.messages(user))
    fake.send_text(user, text)
    return (await fake.wait_for_messages(user, before + expect, timeout=15))[before:]


async def _press(fake: FakeTelegram, user: int, data: str, expect: int = 1) -> list[BotMessage]:
    before = len(fake.messages(user))
    message = next(m for m in reversed(fake.messages(user)) if data in m.buttons_data())
    fake.press(user, message.message_id, data)
    return (await fake.wait_for_messages(user, before + expect, timeout=15))[before:]


async def _notice(fake: FakeTelegram, user: int, text: str) -> BotMessage:
    """The staff notice containing `text`, once the delivery workers have sent it."""
    await fake.wait_for(lambda: any(text in (m.text or "") for m in fake.messages(user)), timeout=20)
    return next(m for m in fake.messages(user) if text in (m.text or ""))


async def _audit(sessions: async_sessionmaker[AsyncSession], action: str) -> list[AuditEntry]:
    async with sessions() as session:
        return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_officer_broadcast_reaches_citizens_after_approval(setting: Setting) -> None:
    fake = setting.telegram
    size, ask = await _say(fake, OFFICER, "/broadcast", expect=2)
    assert (size.text, ask.text) == ("This audience has 3 people.", "Type the message in ქართული.")
    [ask_az] = await _say(fake, OFFICER, "<b>ხვალ</b> წყალი არ იქნება & ბოდიში")
    assert ask_az.text == "Type the message in Azərbaycanca."
    preview = await _say(fake, OFFICER, "Sabah su <olmayacaq>", expect=6)
    assert [m.text for m in preview] == [
        "This is how people will see it:",
        "In ქართული:",
        "<b>ხვალ</b> წყალი არ იქნება & ბოდიში",
        "In Azərbaycanca:",
        "Sabah su <olmayacaq>",
        "Submit it for approval by a coordinator?",
    ]
    assert preview[2].source == html.escape("<b>ხვალ</b> წყალი არ იქნება & ბოდიში", quote=False)
    assert preview[2].entities == []  # typed tags are shown, never interpreted
    [done] = await _press(fake, OFFICER, "adm:sub")
    new_id = setting.waiting + 1
    assert done.text == f"Submitted as campaign {new_id}. A coordinator will review it with /approve."

    told = await _notice(fake, COORDINATOR, "is waiting for your approval")
    assert (told.text or "").startswith(f"Campaign {new_id} “Telegram broadcast by nino")
    assert told.buttons_data() == {f"adm:rv:{new_id}"}
    summary, step, decision = await _press(fake, COORDINATOR, f"adm:rv:{new_id}", expect=3)
    assert "People: 3 (Telegram 3, SMS 0)" in (summary.text or "") and "Written by: nino" in (
        summary.text or ""
    )
    assert step.text == (
        "Step 1 of 1: as soon as it is scheduled\n\nქართული:\n<b>ხვალ</b> წყალი არ იქნება & ბოდიში"
        "\n\nAzərbaycanca:\nSabah su <olmayacaq>"
    )
    assert decision.buttons_data() == {f"adm:ap:{new_id}", f"adm:rj:{new_id}"}
    [approved] = await _press(fake, COORDINATOR, f"adm:ap:{new_id}")
    assert approved.text == f"Campaign {new_id} is approved."
    [scheduled] = await _press(fake, COORDINATOR, f"adm:sc:{new_id}")
    assert (scheduled.text or "").startswith(f"Campaign {new_id} is scheduled")

    expected = {"ka": "<b>ხვალ</b> წყალი არ იქნება & ბოდიში", "az": "Sabah su <olmayacaq>"}
    for citizen, lang in setting.citizens.items():
        [received] = await fake.wait_for_messages(citizen, 1, timeout=20)
        assert received.text == expected[lang]
    async with setting.sessions() as session:
        campaign = await session.get_one(Campaign, new_id)
        assert campaign.status == CampaignStatus.DONE
        assert campaign.steps[0].texts == expected
    await _notice(fake, OFFICER, f"Your campaign {new_id} “Telegram broadcast by nino")
    finished = await _notice(fake, OFFICER, "has finished sending")
    assert (finished.text or "").endswith("has finished sending: 3 sent, 0 not delivered.")


async def test_refusals_are_polite_and_audited(setting: Setting) -> None:
    fake = setting.telegram
    for command in ("/broadcast", "/approve"):
        [answer] = await _say(fake, CITIZEN, command)
        assert answer.text == "Sorry, this command is only for municipality staff."
    [answer] = await _say(fake, OFFICER, "/broadcast batumi")
    assert answer.text == "Officers can only reach people in their own municipality (Marneuli)."
    [entry] = await _audit(setting.sessions, "campaign.scope_denied")
    assert (entry.actor, entry.details) == ("nino", {"action": "broadcast", "requested": ["batumi"]})

    [listing] = await _say(fake, OFFICER, "/approve")
    assert listing.text == "Only coordinators can approve campaigns."
    user = fake.user(OFFICER)
    before = len(fake.messages(OFFICER))
    fake.inject_raw(
        {
            "callback_query": {  # a hand-made button press: the service decides, not the keyboard
                "id": "77",
                "from": user.to_api(),
                "chat_instance": "1",
                "data": f"adm:ap:{setting.waiting}",
                "message": listing.to_api(fake.state.bot, user.chat_api()),
            }
        }
    )
    [refused] = (await fake.wait_for_messages(OFFICER, before + 1, timeout=15))[before:]
    assert refused.text == "Only coordinators can approve campaigns."
    [entry] = await _audit(setting.sessions, "campaign.approval_denied")
    assert (entry.actor, entry.details) == ("nino", {"reason": "role"})


async def test_coordinator_menu_and_no_self_approval(setting: Setting) -> None:
    fake = setting.telegram
    review = f"adm:rv:{setting.waiting}"  # eka is told of giorgi's campaign, in Georgian (her language)
    await fake.wait_for(lambda: any(review in m.buttons_data() for m in fake.messages(OTHER_COORDINATOR)), 20)
    [menu] = await _say(fake, OTHER_COORDINATOR, "/broadcast")
    assert menu.buttons_data() == {
        "adm:m:batumi",
        "adm:m:chokhatauri",
        "adm:m:dmanisi",
        "adm:m:marneuli",
        "adm:m:*",
        "adm:x",
    }
    size, ask = await _press(fake, OTHER_COORDINATOR, "adm:m:batumi", expect=2)
    assert (size.text, ask.text) == ("This audience has 1 person.", "Type the message in Русский.")
    [cancelled] = await _press(fake, OTHER_COORDINATOR, "adm:x")
    assert cancelled.text == "Cancelled. Nothing was sent."

    view = await _say(fake, COORDINATOR, "/approve", expect=3)  # his own: summary, step, no decision
    assert all(m.buttons_data() == set() for m in view)
    assert view[-1].text == "You wrote or submitted this campaign, so another coordinator must approve it."
    async with setting.sessions() as session:
        assert (await service.get(session, setting.waiting)).status == CampaignStatus.SUBMITTED
