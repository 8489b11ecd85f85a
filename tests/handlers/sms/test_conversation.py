"""Whole SMS conversations through the fake Twilio: sign-up by numbers, keywords in every language and
script, STOP confirmed exactly once, and bare numbers answering the last question asked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from channels.i18n import LANGUAGE_SELF_NAMES, t
from channels.sms.segments import count_segments
from contacts.registry import is_opted_out
from contacts.vault import DataVault
from handlers.sms import texts
from storage.models import Channel, Contact, ContactStatus
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.handlers.sms.harness import DPO, PUBLIC_BASE, SmsHarness

PHONE = "+995599123456"


async def sign_up(sms: SmsHarness, phone: str = PHONE, *, language: str = "2", consent: str = "1") -> None:
    """Language (2 = az by default), Marneuli (4), consent, topics 1 and 2."""
    await sms.text(phone, "salam")
    await sms.text(phone, language)
    await sms.text(phone, "4")
    await sms.text(phone, consent)
    await sms.text(phone, "1 2")


async def opted_out(sms: SmsHarness, phone: str = PHONE) -> bool:
    async with sms.sessions() as session:
        return await is_opted_out(session, vault_of(sms), Channel.SMS, phone)


def vault_of(sms: SmsHarness) -> DataVault:
    return sms.service.context.vault


async def test_a_new_number_is_greeted_then_gets_the_language_menu(sms: SmsHarness) -> None:
    (menu,) = await sms.text(PHONE, "Salam!")

    greeting, *names = menu.splitlines()
    assert greeting == t("ka", texts.GREETING)  # Latin letters: the default language until one is chosen
    assert names == [f"{n} {name}" for n, name in enumerate(LANGUAGE_SELF_NAMES.values(), 1)]
    assert count_segments(menu).segments <= 2
    (menu,) = await sms.text("+995599000002", "Здравствуйте")
    assert menu.splitlines()[0] == t("ru", texts.GREETING)


async def test_sign_up_in_azerbaijani_by_numbers(sms: SmsHarness) -> None:
    await sms.text(PHONE, "salam")
    (municipality,) = await sms.text(PHONE, "2")
    assert t("az", "Which municipality do you live in?") in municipality
    assert "4 Marneuli" in municipality.splitlines()
    (notice,) = await sms.text(PHONE, "4")
    assert "Marneuli bələdiyyəsi" in notice  # the controller, named in full
    (topics,) = await sms.text(PHONE, "bəli")  # thanks and the next question in one SMS
    assert topics.splitlines()[0] == t("az", "Thank you! Your consent is recorded.")
    assert "1 " + t("az", "Public hearings") in topics.splitlines()
    (welcome,) = await sms.text(PHONE, "1, 2")
    assert welcome == t("az", texts.WELCOME)

    contact = await sms.contact(PHONE)
    assert contact is not None
    assert (contact.language, contact.status, contact.consent_channel) == ("az", ContactStatus.ACTIVE, "sms")
    assert contact.consent_language == "az" and contact.consent_at is not None
    assert contact.topics == ["hearings", "polls"]
    assert contact.dialog_state is None


@pytest.mark.parametrize(
    ("language", "yes"),
    [
        pytest.param("1", "ki", id="ka-latin"),
        pytest.param("1", "კი", id="ka"),
        pytest.param("2", "бәли", id="az-cyrillic"),
        pytest.param("2", "he", id="az-no-diacritics"),
        pytest.param("3", "ayo", id="hy-latin"),
        pytest.param("3", "Այո՛", id="hy"),
        pytest.param("4", "da", id="ru-latin"),
        pytest.param("5", "YES", id="en"),
    ],
)
async def test_consent_accepts_yes_in_every_script(sms: SmsHarness, language: str, yes: str) -> None:
    await sign_up(sms, language=language, consent=yes)

    contact = await sms.contact(PHONE)
    assert contact is not None and contact.has_consent


async def test_refusing_consent_forgets_the_number_and_it_is_left_alone(sms: SmsHarness) -> None:
    await sms.text(PHONE, "salam")
    await sms.text(PHONE, "2")
    await sms.text(PHONE, "4")

    (farewell,) = await sms.text(PHONE, "xeyr")

    assert farewell == t("az", texts.DECLINED)
    assert sms.fake.sent_to(PHONE)[-1].direction == "outbound-reply"  # inline: no row may name them
    assert await sms.contact(PHONE) is None
    assert await opted_out(sms)
    assert await sms.text(PHONE, "salam") == []
    assert await sms.text(PHONE, "1") == []
    (menu,) = await sms.text(PHONE, "START")  # only START brings them back
    assert "1 ქართული" in menu.splitlines()
    assert not await opted_out(sms)


async def test_info_during_consent_links_the_full_notice(sms: SmsHarness) -> None:
    await sms.text(PHONE, "salam")
    await sms.text(PHONE, "5")
    (notice,) = await sms.text(PHONE, "4")
    assert "Marneuli Municipality" in notice and "INFO" in notice
    assert count_segments(notice).segments <= 2

    (details,) = await sms.text(PHONE, "info")

    assert f"{PUBLIC_BASE}/privacy" in details and DPO in details
    assert t("en", texts.CONSENT_PROMPT) in details
    contact = await sms.contact(PHONE)
    assert contact is not None and contact.dialog_state == "onboarding.consent"


@pytest.mark.parametrize(
    "stop",
    ["gaacheret", "სტოპ", "GAACHERET!", "dayan", "дајан", "стоп", "ստոպ", "otpisatsya", "Stop all"],
)
async def test_stop_in_any_language_is_confirmed_once_and_then_nothing(sms: SmsHarness, stop: str) -> None:
    await sign_up(sms)

    assert await sms.text(PHONE, stop) == [t("az", texts.STOPPED)]
    assert await sms.text(PHONE, stop) == []
    assert await sms.text(PHONE, "1") == []
    assert await sms.text(PHONE, "salam") == []
    contact = await sms.contact(PHONE)
    assert contact is not None and contact.status == ContactStatus.UNSUBSCRIBED


async def test_twilio_default_stop_leaves_twilios_confirmation_as_the_only_one(sms: SmsHarness) -> None:
    """Twilio opts the number out and answers STOP itself; ours is refused (21610), nothing else comes."""
    await sign_up(sms)

    assert await sms.text(PHONE, "STOP") == []
    assert await sms.text(PHONE, "STOP") == []
    assert await sms.text(PHONE, "1") == []

    stops = [r for r in sms.fake.auto_replies if "unsubscribed" in r.body]
    assert len(stops) == 2  # Twilio answers every STOP itself; we answered none of them
    contact = await sms.contact(PHONE)
    assert contact is not None and contact.status == ContactStatus.UNSUBSCRIBED


async def test_advanced_opt_out_stop_is_not_answered_a_second_time(sms: SmsHarness) -> None:
    sms.fake.advanced_opt_out = True
    await sign_up(sms)

    await sms.text(PHONE, "STOP")

    assert sms.fake.counters["rejected_21610"] == 0  # we did not even try
    async with sms.sessions() as session:
        stopped = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status != DeliveryStatus.DELIVERED)
        )
    assert stopped == 0


async def test_without_twilio_opt_out_handling_our_confirmation_is_the_one(sms: SmsHarness) -> None:
    sms.fake.opt_out_handling = False
    await sign_up(sms)

    assert await sms.text(PHONE, "STOP") == [t("az", texts.STOPPED)]
    assert await sms.text(PHONE, "stop") == []


async def test_stop_before_consent_forgets_the_number(sms: SmsHarness) -> None:
    await sms.text(PHONE, "salam")
    await sms.text(PHONE, "3")

    assert await sms.text(PHONE, "ստոպ") == [t("hy", texts.STOPPED)]
    assert await sms.contact(PHONE) is None
    assert await opted_out(sms)
    assert await sms.text(PHONE, "ստոպ") == []


async def test_a_strangers_stop_is_remembered(sms: SmsHarness) -> None:
    assert await sms.text(PHONE, "стоп") == [t("ru", texts.STOPPED)]
    assert await sms.contact(PHONE) is None
    assert await opted_out(sms)


async def test_start_after_stop_resumes_and_help_is_answered_while_stopped(sms: SmsHarness) -> None:
    await sign_up(sms)
    await sms.text(PHONE, "dayan")

    (help_text,) = await sms.text(PHONE, "kömək")
    assert DPO in help_text
    assert await sms.text(PHONE, "başla") == [t("az", "Welcome back! Messages are on again.")]
    contact = await sms.contact(PHONE)
    assert contact is not None and contact.status == ContactStatus.ACTIVE


async def test_lang_changes_the_language_by_number(sms: SmsHarness) -> None:
    await sign_up(sms)

    (menu,) = await sms.text(PHONE, "DİL")
    assert menu.splitlines()[0] == "1 ქართული"
    assert await sms.text(PHONE, "4") == [t("ru", "Language changed. I will write to you in English.")]
    contact = await sms.contact(PHONE)
    assert contact is not None and contact.language == "ru"


async def test_something_unclear_gets_one_short_answer_not_a_loop(sms: SmsHarness) -> None:
    await sign_up(sms)

    assert await sms.text(PHONE, "what is this?") == [t("az", texts.NOT_UNDERSTOOD)]
    assert await sms.text(PHONE, "hello??") == []
    assert await sms.text(PHONE, "7") == []


async def test_an_unclear_answer_during_sign_up_asks_again_once(sms: SmsHarness) -> None:
    await sms.text(PHONE, "salam")

    (again,) = await sms.text(PHONE, "Azerbaijani please")
    assert again.startswith(t("ka", "Please choose one of the options below.") + "\n1 ქართული")
    assert await sms.text(PHONE, "9") == []
    assert len(await sms.text(PHONE, "2")) == 1  # a valid answer is always answered


async def test_a_person_in_latin_mode_gets_gsm7_replies(sms: SmsHarness) -> None:
    await sign_up(sms, language="1")
    async with sms.sessions() as session, session.begin():
        contact = await session.scalar(select(Contact))
        assert contact is not None
        contact.sms_latin = True

    (answer,) = await sms.text(PHONE, "დახმარება")

    assert count_segments(answer).encoding.value == "GSM-7"


async def test_a_language_and_a_place_may_be_typed_by_name(sms: SmsHarness) -> None:
    await sms.text(PHONE, "salam")
    await sms.text(PHONE, "Azərbaycanca")
    await sms.text(PHONE, "marneuli")

    contact = await sms.contact(PHONE)
    assert contact is not None and contact.language == "az"
    assert contact.dialog_state == "onboarding.consent"
