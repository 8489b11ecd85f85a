""" "Open as a citizen": a campaign's steps, a survey or a hearing notice delivered in the chat simulator to
a fresh simulated person of the chosen language and style, so staff see exactly what citizens will get.

The content goes through the outbox to the simulated address and is rendered by the simulator's real
render path (`channels.simulator`, as `civicbot campaign preview` prints it: SMS with its segments and
encoding). The person is flagged simulated before anything commits, so it stays out of every count, and
the browser becomes that person (the simulator's cookie), free to answer as a citizen would.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.firing import can_read, message_for
from campaigns.service import get as get_campaign
from channels.i18n import LANGUAGES
from channels.message import Outgoing
from channels.outbox import OutboxItem, enqueue
from channels.simulator import STYLES, deliver_to_page
from contacts.registry import municipality_by_code
from contacts.simulated import SIMULATED_PREFIX, new_address
from hearings import officers, sms_notice
from storage.base import utcnow
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, Municipality
from storage.models.surveys import SurveyRecord
from surveys import lifecycle, prompts, responses
from surveys.engine import SurveyConversation
from web.console.auth import Console, as_staff
from web.console.overview import ensure_campaign_scope
from web.service import running_service
from web.simulator.routes import COOKIE, COOKIE_AGE
from web.templating import render

router = APIRouter(prefix="/console/preview")
Kind = Literal["campaign", "survey", "hearing"]


async def _fresh_person(
    session: AsyncSession, style: Channel, language: str, place: Municipality | None
) -> Contact:
    """A new simulated person who signed up in `place`, reading `language`, following every topic."""
    contact = Contact(
        language=language,
        municipality_id=place.id if place is not None else None,
        status=ContactStatus.ACTIVE,
        consent_at=utcnow(),
        simulated=True,
    )
    contact.identities.append(ChannelIdentity(channel=style, address=new_address()))
    session.add(contact)
    await session.flush()
    return contact


async def _content(
    console: Console, kind: Kind, item_id: int, language: str, style: Channel
) -> tuple[Municipality | None, list[Outgoing] | None]:
    """The place to sign the person up in and the messages to send them (None: a survey, started through
    the survey conversation itself). Refuses (audited) what the staff member may not see."""
    session = console.session
    if kind == "campaign":
        campaign = await get_campaign(session, item_id)
        codes = list(campaign.audience.get("municipalities") or [])
        await ensure_campaign_scope(console, codes)
        place = await municipality_by_code(session, codes[0]) if codes else console.home
        readable = [s for s in campaign.steps if can_read(campaign, s, language)]
        return place, [message_for(campaign, step) for step in readable]
    if kind == "hearing":
        hearing = await officers.get(session, item_id)
        place = await session.get_one(Municipality, hearing.municipality_id)
        await console.ensure_municipality(place)
        base_url = running_service(console.request).settings.http.public_base_url
        return place, [sms_notice.notice_for(hearing, style, language, place.code, base_url)]
    survey = await session.get_one(SurveyRecord, item_id)
    targets = list(survey.target_municipalities or [])
    if targets or not console.coordinator:
        await ensure_campaign_scope(console, targets)
    place = await municipality_by_code(session, targets[0]) if targets else console.home
    return place, None


async def _survey_start(
    session: AsyncSession, survey_id: int, contact: Contact, channel: Channel
) -> list[Outgoing]:
    """An open survey starts through the survey conversation itself (the person can answer on); one not
    open yet (a draft) shows its introduction and first question as a citizen will read them."""
    now = utcnow()
    record = await session.get_one(SurveyRecord, survey_id)
    if await lifecycle.available_to(session, record, contact, now):
        return list(
            await SurveyConversation(session, contact, channel, now).choose(prompts.start_data(survey_id))
        )
    survey = lifecycle.definition(record)
    position, notes = responses.advance(survey, 0, {})
    shown = [prompts.intro_message(survey), *(prompts.note_message(survey.questions[i]) for i in notes)]
    if position < len(survey.questions):
        shown.append(
            prompts.question_message(
                survey.questions[position],
                response_id=0,
                index=position,
                channel=channel,
                progress=responses.progress(survey, position, {}),
            )
        )
    return shown


@router.post("/{kind}/{item_id}")
async def open_as_citizen(
    request: Request,
    kind: Kind,
    item_id: int,
    language: Annotated[str, Form()],
    style: Annotated[str, Form()],
) -> Response:
    async def _open(console: Console) -> Response:
        if language not in LANGUAGES or style not in {s.value for s in STYLES}:
            return RedirectResponse(request.headers.get("referer") or "/console", status_code=303)
        channel = Channel(style)
        place, messages = await _content(console, kind, item_id, language, channel)
        contact = await _fresh_person(console.session, channel, language, place)
        address = contact.identities[0].address
        now = utcnow()
        if messages is None:
            messages = await _survey_start(console.session, item_id, contact, channel)
        batch = secrets.token_hex(6)
        await enqueue(
            console.session,
            [
                OutboxItem(f"sim:preview:{contact.id}:{batch}:{n}", contact.id, channel, address, language, m)
                for n, m in enumerate(messages)
            ],
            now=now,
        )
        shown = await deliver_to_page(console.session, channel=channel, address=address, now=now)
        await console.record(
            "console.previewed_as_citizen", f"{kind}:{item_id}", language=language, channel=style
        )
        response = render(request, "simulator/try.html", style=style, messages=shown, said=None, notice=None)
        response.set_cookie(
            COOKIE,
            f"{style}.{address.removeprefix(SIMULATED_PREFIX)}",
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="lax",
        )
        return response

    return await as_staff(request, _open, form=True)
