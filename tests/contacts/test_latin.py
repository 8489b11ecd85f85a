"""Latin SMS: a municipality's default, a person's own choice above it, and what it saves."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from channels.claims import claim, recheck
from channels.message import Literal, Outgoing
from channels.outbox import OutboxItem, enqueue
from channels.sms.cost import message_cost, text_cost
from contacts import latin
from storage.models import AuditEntry, Channel, Contact, Municipality
from tests.surveys.people import add_person

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_keys = count()
NOTICE = "საჯარო განხილვა ბიუჯეტზე ხვალ, 15:00 საათზე, მერიის დიდ დარბაზში. გელოდებით!"


async def _latin_at_send_time(session: AsyncSession, contact: Contact) -> bool:
    """What the delivery workers decide for this person, right before sending."""
    address = contact.identities[0].address
    item = OutboxItem(
        f"t:{contact.id}:{next(_keys)}",
        contact.id,
        Channel.SMS,
        address,
        "ka",
        Outgoing(parts=(Literal(NOTICE),)),
    )
    await enqueue(session, [item], now=NOW)
    rows = await claim(
        session, channel=Channel.SMS, limit=10, now=NOW, lease=timedelta(minutes=1), deadline=1e12
    )
    await recheck(session, rows)
    (row,) = [r for r in rows if r.contact_id == contact.id]
    return row.sms_latin


async def test_a_persons_choice_wins_over_the_municipality(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        follows = await add_person(session, channel=Channel.SMS)
        refuses = await add_person(session, channel=Channel.SMS)
        _, following = await latin.set_municipality_latin(session, "marneuli", True, actor="t", now=NOW)
        await latin.set_contact_latin(session, refuses.identities[0].address, False, actor="t", now=NOW)

        assert following == 2  # counted before the second person's own choice
        assert await _latin_at_send_time(session, follows) is True
        assert await _latin_at_send_time(session, refuses) is False

        await latin.set_contact_latin(session, refuses.identities[0].address, None, actor="t", now=NOW)
        assert await _latin_at_send_time(session, refuses) is True
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions.count("municipality.sms_latin") == 1
    assert actions.count("contact.sms_latin") == 2


async def test_unknown_municipality_or_number(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        with pytest.raises(latin.NotFound):
            await latin.set_municipality_latin(session, "tbilisi", True, actor="t", now=NOW)
        with pytest.raises(latin.NotFound):
            await latin.set_contact_latin(session, "+995555000000", True, actor="t", now=NOW)


def test_the_saving_of_latin_mode() -> None:
    cost = text_cost(NOTICE, "ka", Decimal("0.05"))

    assert (cost.native.segments, cost.latin.segments, cost.saved_segments) == (2, 1, 1)
    assert (cost.cost, cost.latin_cost) == (Decimal("0.10"), Decimal("0.05"))
    assert cost.latin_text.startswith("sajaro gankhilva biujet'ze")


def test_a_messages_cost_includes_its_choices_and_hint() -> None:
    short = message_cost(Outgoing(parts=(Literal("Hello"),)), "en")
    assert (short.native.segments, short.text) == (1, "Hello")


async def test_the_cli_switches_a_municipality_and_a_person(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: Path
) -> None:
    async with sessions() as session, session.begin():
        person = await add_person(session, channel=Channel.SMS)
    number = person.identities[0].address
    env = {"DATABASE_URL": migrated_url}

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["contacts", "latin", *args], env=env)
        return result.exit_code, result.output

    on = await asyncio.to_thread(run, "on", "--municipality", "marneuli")
    mine = await asyncio.to_thread(run, "off", "--phone", number)
    both = await asyncio.to_thread(run, "on")
    cost = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["contacts", "sms-cost", NOTICE, "--language", "ka", "--people", "400"],
        env=env,
    )

    assert on[0] == 0 and "1 SMS contact(s) follow it" in on[1]
    assert mine[0] == 0
    assert both[0] != 0
    assert cost.exit_code == 0 and "ka: 2 segment(s) (UCS-2), Latin 1 (GSM-7)" in cost.output
    assert "800 vs 400 segments" in cost.output
    async with sessions() as session:
        place = await session.scalar(select(Municipality).where(Municipality.code == "marneuli"))
        stored = await session.get_one(Contact, person.id)
    assert place is not None and place.sms_latin is True
    assert stored.sms_latin is False
