"""The rights of /mydata by SMS: see (DATA), withdraw the sensitive answers (WITHDRAW), erase (DELETE,
confirmed first), and HELP / INFO at any time after sign-up, in the person's language."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from channels.i18n import t
from channels.sms.segments import count_segments
from contacts.conversation import NOTHING_TO_WITHDRAW, WITHDRAWN
from contacts.privacy import PrivacyPolicy, save_special
from contacts.reference import reference_code
from handlers.sms import texts
from storage.models import AuditEntry, ChannelIdentity, Contact, ContactStatus, SpecialProfile
from tests.handlers.sms.harness import DPO, PUBLIC_BASE, SmsHarness
from tests.handlers.sms.test_conversation import PHONE, opted_out, sign_up


async def test_data_lists_what_is_kept_and_what_can_be_done(sms: SmsHarness) -> None:
    await sign_up(sms)  # az, Marneuli, topics 1 and 2

    data, actions = await sms.text(PHONE, "məlumatlarım")

    assert PHONE in data and "Marneuli" in data and "Azərbaycanca" in data
    assert t("az", "Public hearings") in data
    assert "DELETE" in actions and f"{PUBLIC_BASE}/privacy" in actions
    assert "WITHDRAW" not in actions  # no sensitive answers stored: nothing to withdraw
    assert count_segments(actions).segments <= 2
    async with sms.sessions() as session:
        actions_logged = (await session.scalars(select(AuditEntry.action))).all()
    assert "contact.data_access" in actions_logged


async def test_delete_asks_first_and_erases_only_on_yes(sms: SmsHarness) -> None:
    await sign_up(sms)

    (question,) = await sms.text(PHONE, "sil")
    assert t("az", texts.DELETE_CONFIRM) in question and "1 " in question
    assert await sms.text(PHONE, "xeyr") == [t("az", "Nothing was deleted.")]
    assert await sms.contact(PHONE) is not None

    await sms.text(PHONE, "DELETE")
    (farewell,) = await sms.text(PHONE, "1")

    assert farewell == t("az", texts.DELETED)
    assert sms.fake.sent_to(PHONE)[-1].direction == "outbound-reply"  # inline: no outbox row names them
    assert await sms.contact(PHONE) is None
    assert await opted_out(sms)
    async with sms.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == 0
        erased = await session.scalar(select(Contact))
    assert erased is not None and erased.status == ContactStatus.ERASED


async def test_withdraw_deletes_the_sensitive_answers(sms: SmsHarness) -> None:
    await sign_up(sms, language="4")  # ru
    async with sms.sessions() as session, session.begin():
        contact = await session.scalar(select(Contact))
        assert contact is not None
        policy = PrivacyPolicy("2026-11", DPO)
        now = datetime(2026, 12, 4, tzinfo=UTC)
        await save_special(session, sms.service.context.vault, contact, {"disability": "yes"}, policy, now)

    _, actions = await sms.text(PHONE, "данные")
    assert "WITHDRAW" in actions
    assert await sms.text(PHONE, "отозвать") == [t("ru", WITHDRAWN)]
    assert await sms.text(PHONE, "WITHDRAW") == [t("ru", texts.NOTHING_TO_WITHDRAW)]
    async with sms.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SpecialProfile)) == 0
        assert "contact.special_data_withdrawn" in (await session.scalars(select(AuditEntry.action))).all()
    assert texts.TELEGRAM_ONLY[NOTHING_TO_WITHDRAW] == texts.NOTHING_TO_WITHDRAW


async def test_help_and_info_answer_at_any_time_after_sign_up(sms: SmsHarness) -> None:
    await sign_up(sms, language="3")  # hy

    for word in ("HELP", "info", "օգնություն"):
        (help_text,) = await sms.text(PHONE, word)
        assert help_text.startswith(t("hy", texts.HELP)) and DPO in help_text
    contact = await sms.contact(PHONE)
    assert contact is not None
    assert reference_code(sms.service.context.vault, contact.id)  # the code staff would ask for exists
