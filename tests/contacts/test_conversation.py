"""The sign-up conversation, channel-neutral, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.i18n import render
from channels.message import Outgoing
from contacts.conversation import Conversation, Step
from contacts.privacy import PrivacyPolicy, special_groups
from contacts.registry import contact_for, is_opted_out
from contacts.vault import DataVault
from storage.models import (
    AuditEntry,
    Channel,
    ChannelIdentity,
    Contact,
    ContactStatus,
    OptOut,
    SpecialProfile,
)


async def _step(
    sessions: async_sessionmaker[AsyncSession],
    vault: DataVault,
    policy: PrivacyPolicy,
    address: str,
    action: str,
    value: str = "",
) -> tuple[list[Outgoing], Contact | None]:
    async with sessions() as session, session.begin():
        contact, _ = await contact_for(session, Channel.TELEGRAM, address, language="az")
        conversation = Conversation(session, vault, policy, contact, Channel.TELEGRAM)
        if action == "start":
            reply = await conversation.start()
        elif action == "command":
            reply = await conversation.command(value)
        elif action == "text":
            reply = await conversation.text(value)
        else:
            reply = await conversation.choose(value)
        return list(reply), None if conversation.erased else contact


async def _sign_up(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy, address: str = "1001"
) -> Contact:
    await _step(sessions, vault, policy, address, "start")
    await _step(sessions, vault, policy, address, "choose", "lang:hy")
    await _step(sessions, vault, policy, address, "choose", "mun:marneuli")
    await _step(sessions, vault, policy, address, "choose", "cons:yes")
    await _step(sessions, vault, policy, address, "choose", "top:hearings")
    await _step(sessions, vault, policy, address, "choose", "top:budget")
    await _step(sessions, vault, policy, address, "choose", "topd:")
    _, contact = await _step(sessions, vault, policy, address, "choose", "prof:skip")
    assert contact is not None
    return contact


async def test_start_asks_for_language_with_each_name_in_its_own_script(sessions, vault, policy) -> None:
    reply, contact = await _step(sessions, vault, policy, "1001", "start")
    assert contact is not None
    assert contact.dialog_state == Step.LANGUAGE
    labels = [render(choice.label, "en") for choice in reply[0].choices]
    assert labels == ["ქართული", "Azərbaycanca", "Հայերեն", "Русский", "English"]


async def test_full_sign_up_stores_language_municipality_consent_and_topics(sessions, vault, policy) -> None:
    contact = await _sign_up(sessions, vault, policy)
    assert contact.status == ContactStatus.ACTIVE
    assert contact.language == "hy"
    assert contact.consent_version == "2026-11"
    assert contact.consent_channel == "telegram"
    assert contact.consent_language == "hy"
    assert contact.topics == ["hearings", "budget"]
    assert contact.dialog_state is None


async def test_declining_consent_stores_nothing_but_the_refusal(sessions, vault, policy) -> None:
    await _step(sessions, vault, policy, "2002", "start")
    await _step(sessions, vault, policy, "2002", "choose", "lang:ka")
    await _step(sessions, vault, policy, "2002", "choose", "mun:batumi")
    reply, contact = await _step(sessions, vault, policy, "2002", "choose", "cons:no")
    assert contact is None
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 0
        assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == 0
        assert await is_opted_out(session, vault, Channel.TELEGRAM, "2002")
    assert "stored nothing" in render(reply[0].parts[0], "en")


async def test_delete_erases_identity_profile_and_special_data(sessions, vault, policy) -> None:
    await _sign_up(sessions, vault, policy, "3003")
    for data in ("prof:start", "age:25-34", "gen:woman", "spc:yes", "grp:yes", "grp:na", "grp:no"):
        if data == "prof:start":
            await _step(sessions, vault, policy, "3003", "command", "profile")
        await _step(sessions, vault, policy, "3003", "choose", data)
    async with sessions() as session:
        contact_id = await session.scalar(select(ChannelIdentity.contact_id))
        assert contact_id is not None
        assert await special_groups(session, vault, contact_id) == {
            "ethnic_minority": "yes",
            "disability": "na",
            "displaced": "no",
        }
    await _step(sessions, vault, policy, "3003", "command", "delete")
    _, contact = await _step(sessions, vault, policy, "3003", "choose", "del:yes")
    assert contact is None
    async with sessions() as session:
        row = await session.get_one(Contact, contact_id)
        assert row.status == ContactStatus.ERASED
        assert (row.age_band, row.gender, row.consent_at, row.topics) == (None, None, None, [])
        assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == 0
        assert await session.scalar(select(func.count()).select_from(SpecialProfile)) == 0
        assert await session.scalar(select(func.count()).select_from(OptOut)) == 1
        actions = set((await session.scalars(select(AuditEntry.action))).all())
        assert "contact.erased" in actions


async def test_stale_button_is_answered_not_obeyed(sessions, vault, policy) -> None:
    await _sign_up(sessions, vault, policy, "4004")
    reply, contact = await _step(sessions, vault, policy, "4004", "choose", "cons:no")
    assert contact is not None and contact.status == ContactStatus.ACTIVE
    assert "no longer active" in render(reply[0].parts[0], "en")


async def test_repeated_start_is_harmless(sessions, vault, policy) -> None:
    await _sign_up(sessions, vault, policy, "5005")
    reply, contact = await _step(sessions, vault, policy, "5005", "start")
    assert contact is not None and contact.consent_at is not None and contact.topics == ["hearings", "budget"]
    assert "already signed up" in render(reply[0].parts[0], "en")


async def test_stop_is_confirmed_once(sessions, vault, policy) -> None:
    await _sign_up(sessions, vault, policy, "6006")
    first, _ = await _step(sessions, vault, policy, "6006", "command", "stop")
    second, contact = await _step(sessions, vault, policy, "6006", "command", "stop")
    assert contact is not None and contact.status == ContactStatus.UNSUBSCRIBED
    assert render(first[0].parts[0], "en") != render(second[0].parts[0], "en")
