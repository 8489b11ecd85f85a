"""Whole sign-up conversations through `civicbot serve` and the fake Bot API, in each of the five languages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from channels.i18n import LANGUAGES, t
from storage.db import create_engine, session_factory
from storage.models import AuditEntry, ChannelIdentity, Contact, ContactStatus
from tests.e2e.people import Person
from tests.e2e.service import RunningService
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow


def said(lang: str, msgid: str, **params: object) -> str:
    return t(lang, msgid, **params)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_sign_up_in_each_language(
    service: RunningService, telegram: FakeTelegram, lang: str, database_url: str
) -> None:
    person = Person(telegram, 7001, language_code=lang)
    first = await person.say("/start")
    assert said(lang, "Please choose your language.") in first[0]
    assert said(lang, "Which municipality do you live in?") in (await person.press(f"lang:{lang}"))[0]
    notice = (await person.press("mun:marneuli"))[0]
    assert said(lang, "Do you agree to us storing and using your data this way?") in notice
    answers = await person.press("cons:yes", expect=2)
    assert said(lang, "Thank you! Your consent is recorded.") in answers[0]
    await person.press("top:hearings", expect=0)
    await telegram.state.wait_until(lambda: "✅" in str(telegram.messages(person.id)[-1].reply_markup), 15)
    assert (
        said(
            lang,
            "Would you like to tell us your age group and gender? It is optional and helps "
            "the municipality hear from everyone.",
        )
        in (await person.press("topd:"))[0]
    )
    welcome = (await person.press("prof:skip"))[0]
    assert said(lang, "Welcome! You are signed up.") in welcome

    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        contact = await session.scalar(select(Contact))
        assert contact is not None
        assert (contact.language, contact.status, contact.topics) == (
            lang,
            ContactStatus.ACTIVE,
            ["hearings"],
        )
        assert contact.consent_at is not None and contact.consent_version
    await engine.dispose()


async def test_azerbaijani_client_then_armenian_choice(
    service: RunningService, telegram: FakeTelegram, database_url: str
) -> None:
    """The check in the issue: language_code az gets Azerbaijani; choosing Հայերեն switches everything."""
    person = Person(telegram, 7002, language_code="az")
    assert said("az", "Please choose your language.") in (await person.say("/start"))[0]
    assert said("hy", "Which municipality do you live in?") in (await person.press("lang:hy"))[0]
    await person.press("mun:dmanisi")
    await person.press("cons:yes", expect=2)
    await person.press("topd:")
    await person.press("prof:skip")
    help_text = (await person.say("/help"))[0]
    assert help_text == said(
        "hy",
        t(
            "en",
            "Here is what I can do:\n/polls – open surveys and votes\n"
            "/hearings – upcoming public hearings\n/topics – choose what you follow\n"
            "/language – change the language\n/municipality – change your municipality\n"
            "/profile – optional information about you\n/privacy – how we use your data\n"
            "/mydata – see everything we store about you\n/stop – stop all messages\n"
            "/delete – delete your personal data",
        ),
    )
    assert telegram.commands("hy"), "commands are registered per language"


async def test_delete_leaves_no_identifier(
    service: RunningService, telegram: FakeTelegram, database_url: str
) -> None:
    person = Person(telegram, 7003, language_code="ru")
    await person.say("/start")
    await person.press("lang:ru")
    await person.press("mun:batumi")
    await person.press("cons:yes", expect=2)
    await person.press("topd:")
    await person.press("prof:skip")
    mydata = (await person.say("/mydata"))[0]
    assert "7003" in mydata
    await person.say("/delete")
    goodbye = (await person.press("del:yes"))[0]
    assert (
        said("ru", "Your personal data has been deleted. Goodbye! If you want to come back, send /start.")
        in goodbye
    )

    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == 0
        contact = await session.scalar(select(Contact))
        assert contact is not None and contact.status == ContactStatus.ERASED
        assert "7003" not in repr(contact.__dict__)
        assert await session.scalar(select(AuditEntry.action).where(AuditEntry.action == "contact.erased"))
    await engine.dispose()


async def test_typed_html_is_escaped_and_stray_text_gets_help(
    service: RunningService, telegram: FakeTelegram
) -> None:
    person = Person(telegram, 7004, language_code="en")
    answer = (await person.say("<b>hi</b> & bye"))[0]
    assert answer == said("en", "Hello! Send /start to sign up.")
    await person.say("/start")
    stray = await person.say("what is this <script>", expect=2)
    assert said("en", "Please choose one of the options below.") in stray[0]


async def test_unknown_callback_and_malformed_update_do_not_stop_the_bot(
    service: RunningService, telegram: FakeTelegram
) -> None:
    person = Person(telegram, 7005, language_code="ka")
    await person.say("/start")
    message = telegram.messages(person.id)[-1]
    telegram.inject_raw(
        {
            "callback_query": {
                "id": "1",
                "from": {"id": 7005, "is_bot": False, "first_name": "N"},
                "chat_instance": "1",
                "data": "zz:unknown",
                "message": {
                    "message_id": message.message_id,
                    "date": 0,
                    "chat": {"id": 7005, "type": "private"},
                },
            }
        }
    )
    stale = await person.answers(1, 2)
    assert said("ka", "This button is no longer active.") in stale[0]
    assert said("ka", "Please choose your language.") in stale[1]
    telegram.inject_raw({"weird": True})
    answer = (await person.press("lang:ka"))[0]
    assert said("ka", "Which municipality do you live in?") in answer
    assert "Traceback" not in service.log()


async def test_blocking_marks_unreachable_and_unblocking_restores(
    service: RunningService, telegram: FakeTelegram, database_url: str
) -> None:
    person = Person(telegram, 7006, language_code="en")
    await person.say("/start")
    await person.press("lang:en")
    await person.press("mun:other")
    await person.press("cons:yes", expect=2)
    telegram.block(person.id)
    await telegram.wait_idle()
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        identity = await session.scalar(select(ChannelIdentity))
        assert identity is not None and identity.status == "unreachable"
    telegram.unblock(person.id)
    await telegram.wait_idle()
    async with session_factory(engine)() as session:
        identity = await session.scalar(select(ChannelIdentity))
        assert identity is not None and identity.status == "active"
    await engine.dispose()
