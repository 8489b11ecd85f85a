"""The simulator adapter walks the real conversations: sign-up and a poll in every language, in both
styles; STOP and /delete; simulated people never reach audiences, results or exports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns.audience import AudienceSpec, recipients
from channels.i18n import LANGUAGES, t
from channels.simulator import PageMessage
from channels.sms.segments import count_segments
from contacts.privacy import PrivacyPolicy
from contacts.simulated import new_address, purge_simulated
from contacts.vault import DataVault
from handlers.context import AppContext
from handlers.simulator.invitations import receive
from handlers.simulator.turn import Turn, play
from storage.base import utcnow
from storage.identities import find_identity
from storage.models import Channel, Contact, ContactStatus, Municipality
from storage.models.hearings import Hearing, HearingRsvp, HearingStatus
from storage.models.surveys import ResponseStatus, SurveyResponse
from surveys import lifecycle
from surveys.engine import THANKS
from surveys.export import export_rows
from surveys.results import survey_results

POLL = Path(__file__).resolve().parents[3] / "surveys" / "examples" / "budget_flash_poll.yaml"


@pytest.fixture
async def app(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy
) -> AppContext:
    async with sessions() as session, session.begin():
        survey, source = lifecycle.load_survey_file(POLL)
        record, _ = await lifecycle.import_survey(session, survey, source)
        await lifecycle.open_survey(session, record.code, municipalities=["marneuli"])
    return AppContext(sessions, vault, policy)


def _last_buttons(shown: list[PageMessage]) -> list[str]:
    for message in reversed(shown):
        data = [b.data for row in message.buttons for b in row if b.data]
        if data:
            return data
    return []


async def _contact(app: AppContext, channel: Channel, address: str) -> Contact | None:
    async with app.sessions() as session:
        identity = await find_identity(session, channel, address)
        return None if identity is None else await session.get(Contact, identity.contact_id)


async def _telegram_signup(app: AppContext, address: str, lang: str) -> list[PageMessage]:
    tg = Channel.TELEGRAM
    await play(app, Turn(tg, address, text="/start", language="en"))
    await play(app, Turn(tg, address, data=f"lang:{lang}"))
    await play(app, Turn(tg, address, data="mun:marneuli"))
    await play(app, Turn(tg, address, data="cons:yes"))
    await play(app, Turn(tg, address, data="topd:"))
    return await play(app, Turn(tg, address, data="prof:skip"))


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_telegram_style_signup_and_poll(app: AppContext, lang: str) -> None:
    address = new_address()
    welcome = await _telegram_signup(app, address, lang)
    assert t(lang, "Welcome! You are signed up.") in welcome[0].html
    shown = await play(app, Turn(Channel.TELEGRAM, address, text="/polls"))
    for _ in range(8):
        buttons = _last_buttons(shown)
        assert buttons, [m.html for m in shown]
        shown = await play(app, Turn(Channel.TELEGRAM, address, data=buttons[0]))
        if any(t(lang, THANKS.msgid) in m.html for m in shown):
            break
    else:
        pytest.fail("the poll never finished")
    contact = await _contact(app, Channel.TELEGRAM, address)
    assert contact is not None and contact.simulated and contact.language == lang
    async with app.sessions() as session:
        response = await session.scalar(select(SurveyResponse).where(SurveyResponse.contact_id == contact.id))
    assert response is not None and response.status == ResponseStatus.COMPLETED and response.language == lang


def _sms_number(shown: list[PageMessage], label: str) -> str:
    for message in shown:
        for line in message.text.splitlines():
            number, _, rest = line.partition(" ")
            if rest.startswith(label):
                return number
    raise AssertionError(f"{label!r} not offered in {[m.text for m in shown]}")


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_sms_style_signup_poll_and_segments(app: AppContext, lang: str) -> None:
    sms, address = Channel.SMS, new_address()
    shown = await play(app, Turn(sms, address, text="hello"))
    number = str(LANGUAGES.index(lang) + 1)
    shown = await play(app, Turn(sms, address, text=number))
    assert all(m.segments == count_segments(m.text).segments for m in shown)
    shown = await play(
        app,
        Turn(
            sms,
            address,
            text=_sms_number(
                shown,
                {"ka": "მარნეული", "az": "Marneuli", "hy": "Մառնեուլի", "ru": "Марнеули", "en": "Marneuli"}[
                    lang
                ],
            ),
        ),
    )
    shown = await play(app, Turn(sms, address, text="1"))  # consent
    shown = await play(app, Turn(sms, address, text="1"))  # one topic; the profile is not asked by SMS
    contact = await _contact(app, sms, address)
    assert contact is not None and contact.simulated and contact.has_consent and contact.language == lang
    invitation = await receive(app, sms, address, "polls")
    assert invitation and "1 " in invitation[0].text
    shown = await play(app, Turn(sms, address, text="1"))
    for _ in range(6):
        if any(t(lang, THANKS.msgid) in m.text for m in shown):
            break
        shown = await play(app, Turn(sms, address, text="1"))
    async with app.sessions() as session:
        response = await session.scalar(select(SurveyResponse).where(SurveyResponse.contact_id == contact.id))
    assert response is not None and response.status == ResponseStatus.COMPLETED


async def test_stop_and_delete(app: AppContext) -> None:
    address = new_address()
    await _telegram_signup(app, address, "hy")
    shown = await play(app, Turn(Channel.TELEGRAM, address, text="/stop"))
    assert shown and (await _contact(app, Channel.TELEGRAM, address)).status == ContactStatus.UNSUBSCRIBED  # type: ignore[union-attr]
    await play(app, Turn(Channel.TELEGRAM, address, text="/delete"))
    shown = await play(app, Turn(Channel.TELEGRAM, address, data="del:yes"))
    assert (
        t("hy", "Your personal data has been deleted. Goodbye! If you want to come back, send /start.")
        in shown[0].html
    )
    assert await _contact(app, Channel.TELEGRAM, address) is None
    async with app.sessions() as session:
        erased = await session.scalar(
            select(func.count()).where(Contact.simulated.is_(True), Contact.status == ContactStatus.ERASED)
        )
    assert erased == 1

    sms_address = new_address()
    await play(app, Turn(Channel.SMS, sms_address, text="hello"))
    shown = await play(app, Turn(Channel.SMS, sms_address, text="STOP"))
    assert shown  # the confirmation, inline: the person never consented, so no record is left
    assert await _contact(app, Channel.SMS, sms_address) is None


async def test_simulated_people_are_in_no_audience_result_or_export(app: AppContext) -> None:
    address = new_address()
    await _telegram_signup(app, address, "ka")
    shown = await play(app, Turn(Channel.TELEGRAM, address, text="/polls"))
    for _ in range(4):
        shown = await play(app, Turn(Channel.TELEGRAM, address, data=_last_buttons(shown)[0]))
    async with app.sessions() as session:
        people = [r async for r in recipients(session, AudienceSpec.from_dict({}))]
        assert people == []
        record = await lifecycle.survey_by_code(session, "budget-flash-poll")
        assert record is not None
        assert await lifecycle.response_counts(session, record.id)  # the answers are stored...
        results = await survey_results(session, record)
        assert results.questions[0].overall.total == 0  # ...and counted nowhere
        _, rows = await export_rows(session, record, app.vault)
        assert rows == []


async def test_purged_a_day_after_last_seen(app: AppContext) -> None:
    address = new_address()
    await _telegram_signup(app, address, "az")
    shown = await play(app, Turn(Channel.TELEGRAM, address, text="/polls"))
    shown = await play(app, Turn(Channel.TELEGRAM, address, data=_last_buttons(shown)[0]))
    await play(app, Turn(Channel.TELEGRAM, address, data=_last_buttons(shown)[0]))
    contact = await _contact(app, Channel.TELEGRAM, address)
    assert contact is not None and contact.last_seen_at is not None
    async with app.sessions() as session, session.begin():
        assert await purge_simulated(session, now=contact.last_seen_at + timedelta(hours=23)) == 0
        assert await purge_simulated(session, now=contact.last_seen_at + timedelta(hours=25)) == 1
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
        assert await session.scalar(select(func.count()).select_from(Contact).where(Contact.simulated)) == 0


async def _announced_hearing(app: AppContext) -> int:
    async with app.sessions() as session, session.begin():
        place = await session.scalar(select(Municipality).where(Municipality.code == "marneuli"))
        assert place is not None
        hearing = Hearing(
            municipality_id=place.id,
            title={"en": "Budget hearing"},
            description={},
            place={"en": "Hall"},
            accessibility={},
            fallback_language="en",
            starts_at=utcnow() + timedelta(days=3),
            duration_minutes=60,
            interpretation=[],
            status=HearingStatus.ANNOUNCED,
            created_by="test",
        )
        session.add(hearing)
        await session.flush()
        return hearing.id


async def _rsvp(app: AppContext, contact: Contact, hearing_id: int) -> str | None:
    async with app.sessions() as session:
        return await session.scalar(
            select(HearingRsvp.answer).where(
                HearingRsvp.contact_id == contact.id, HearingRsvp.hearing_id == hearing_id
            )
        )


@pytest.mark.parametrize("lang", ["hy", "az"])
async def test_hearing_rsvp_in_both_styles(app: AppContext, lang: str) -> None:
    hearing_id = await _announced_hearing(app)
    address = new_address()
    await _telegram_signup(app, address, lang)
    shown = await play(app, Turn(Channel.TELEGRAM, address, text="/hearings"))
    assert f"hr:{hearing_id}:go" in _last_buttons(shown)
    await play(app, Turn(Channel.TELEGRAM, address, data=f"hr:{hearing_id}:go"))
    contact = await _contact(app, Channel.TELEGRAM, address)
    assert contact is not None and await _rsvp(app, contact, hearing_id) == "going"

    sms = new_address()
    await play(app, Turn(Channel.SMS, sms, text="hello"))
    shown = await play(app, Turn(Channel.SMS, sms, text=str(LANGUAGES.index(lang) + 1)))
    await play(
        app, Turn(Channel.SMS, sms, text=_sms_number(shown, {"hy": "Մառնեուլի", "az": "Marneuli"}[lang]))
    )
    await play(app, Turn(Channel.SMS, sms, text="1"))
    await play(app, Turn(Channel.SMS, sms, text="1"))
    notices = await receive(app, Channel.SMS, sms, "hearings")
    assert notices and "Budget hearing" in notices[0].text
    await play(app, Turn(Channel.SMS, sms, text="3"))  # 1 I will come, 2 maybe, 3 I will not come
    person = await _contact(app, Channel.SMS, sms)
    assert person is not None and await _rsvp(app, person, hearing_id) == "not_going"


async def _sms_signup(app: AppContext, address: str, lang: str) -> None:
    await play(app, Turn(Channel.SMS, address, text="hello"))
    shown = await play(app, Turn(Channel.SMS, address, text=str(LANGUAGES.index(lang) + 1)))
    names = {"ka": "მარნეული", "az": "Marneuli", "hy": "Մառնեուլի", "ru": "Марнеули", "en": "Marneuli"}
    await play(app, Turn(Channel.SMS, address, text=_sms_number(shown, names[lang])))
    await play(app, Turn(Channel.SMS, address, text="1"))
    await play(app, Turn(Channel.SMS, address, text="1"))


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_sms_style_stop_then_delete(app: AppContext, lang: str) -> None:
    address = new_address()
    await _sms_signup(app, address, lang)
    shown = await play(app, Turn(Channel.SMS, address, text="STOP"))
    contact = await _contact(app, Channel.SMS, address)
    assert shown and contact is not None and contact.status == ContactStatus.UNSUBSCRIBED
    await play(app, Turn(Channel.SMS, address, text="START"))
    await play(app, Turn(Channel.SMS, address, text="DELETE"))  # asks to confirm
    await play(app, Turn(Channel.SMS, address, text="1"))
    assert await _contact(app, Channel.SMS, address) is None  # the address is gone; the row is anonymous
    async with app.sessions() as session:
        erased = await session.get(Contact, contact.id)
    assert erased is not None and erased.status == ContactStatus.ERASED and erased.simulated
