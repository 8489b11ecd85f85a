"""A coordinator's approval through the real dispatcher: the notice's Review button opens every step in every
language (a text too long for one message arrives whole, in several), Return asks for the reason, and the
typed reason sends the campaign back to its author, who is told why."""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import service, staff
from channels.i18n import render
from channels.payload import load_outgoing
from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault
from storage.base import utcnow
from storage.models.campaigns import Campaign, CampaignStatus, Role
from storage.models.deliveries import Delivery
from tests.campaigns.people import add_person, draft
from tests.handlers.telegram.test_actionplan import Chat, buttons

OFFICER, COORDINATOR, OTHER = 5201, 5202, 5203
# Near the 4000-character limit of a campaign text, and longer than a Telegram message once escaped.
LONG_AZ = "\n".join(f"{n}. Su <kəsintisi> & təmir işləri: sabah 10:00-dan 18:00-dək." for n in range(58))


async def test_review_return_with_a_reason_and_the_author_is_told(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy
) -> None:
    chat = Chat(sessions, vault, policy)
    async with sessions() as session, session.begin():
        for lang in ("ka", "az"):
            await add_person(session, language=lang)
        nino = await staff.grant(
            session,
            Role.OFFICER,
            name="nino",
            telegram_id=OFFICER,
            municipality_code="marneuli",
            language="en",
        )
        await staff.grant(session, Role.COORDINATOR, name="giorgi", telegram_id=COORDINATOR, language="en")
        await staff.grant(session, Role.COORDINATOR, name="eka", telegram_id=OTHER)
        at = (utcnow() + timedelta(days=2)).isoformat()
        plan = draft(texts={"ka": "ხვალ წყალი არ იქნება.", "az": LONG_AZ}, schedule={"at": at})
        campaign = await service.create(session, plan, nino)
        await service.submit(session, campaign.id, nino)
        notices = (await session.scalars(select(Delivery).where(Delivery.staff_id.is_not(None)))).all()
    assert {row.address for row in notices} == {str(COORDINATOR), str(OTHER)}
    review = f"adm:rv:{campaign.id}"
    assert all(load_outgoing(row.payload).choices[0].data == review for row in notices)

    view = await chat.press(COORDINATOR, review)
    texts = [m.text for m in view]
    assert all(len(text.encode("utf-16-le")) // 2 <= 4096 for text in texts)
    assert len(texts) >= 4  # summary, the step in two messages, the decision
    assert "Submitted by: nino" in texts[0] and "Municipalities: Marneuli" in texts[0]
    shown = "\n".join(texts[1:-1])
    assert "ქართული:\nხვალ წყალი არ იქნება." in shown
    assert all(html.escape(line, quote=False) in shown for line in LONG_AZ.splitlines())  # nothing cut
    assert buttons(view) == [f"adm:ap:{campaign.id}", f"adm:rj:{campaign.id}"]
    assert buttons(view[-1:]) == buttons(view)  # the decision comes after everything it is about

    [ask] = await chat.press(COORDINATOR, f"adm:rj:{campaign.id}")
    assert ask.text.startswith(f"Why are you returning campaign {campaign.id}?") and buttons([ask]) == [
        "adm:x"
    ]
    [done] = await chat.say(COORDINATOR, "The Azerbaijani text gives the wrong hours.")
    assert done.text == f"Campaign {campaign.id} is back with its author as a draft, with your reason."
    [none] = await chat.say(COORDINATOR, "/approve")
    assert none.text == "No campaigns are waiting for approval."
    [refused] = await chat.press(OFFICER, review)
    assert refused.text == "Only coordinators can approve campaigns."

    async with sessions() as session:
        stored = await session.get_one(Campaign, campaign.id)
        told = await session.scalar(
            select(Delivery).where(Delivery.dedupe_key.like(f"staff:c{campaign.id}:returned%"))
        )
    assert (stored.status, stored.rejection_reason) == (
        CampaignStatus.DRAFT,
        "The Azerbaijani text gives the wrong hours.",
    )
    assert told is not None and told.address == str(OFFICER)
    said = render(load_outgoing(told.payload).parts[0], told.language)
    assert "returned by giorgi" in said and "The Azerbaijani text gives the wrong hours." in said
