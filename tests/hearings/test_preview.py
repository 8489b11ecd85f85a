"""Preview and SMS limits: each reader's notice is the text the senders render from what `announce`
queues; SMS over three segments becomes the short notice with the public page's link; a short notice
still too long is refused at announce; fallback readers are counted; cost = segments x readers x price."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from campaigns.errors import InvalidDefinition
from channels.payload import load_outgoing
from channels.sms.render import render_sms
from channels.sms.segments import count_segments
from channels.telegram.render import render_telegram
from hearings import officers
from hearings.preview import preview
from hearings.sms_notice import MAX_SEGMENTS
from storage.models import Channel
from tests.campaigns.people import add_person
from tests.hearings.builders import NOW, coordinator, deliveries, hearing

BASE = "https://civic.example.ge"
LONG = "ბიუჯეტის პროექტის საჯარო განხილვა სოფლის გზების, წყალმომარაგებისა და სკოლების შესახებ"


@pytest.mark.parametrize(
    ("label", "description", "base"),
    [
        ("the full notice with its RSVP numbers is over three UCS-2 segments", None, BASE),
        ("a long description", {"ka": "ა" * 400, "az": "b" * 400}, BASE),
        ("no public address: the short notice without a link", None, None),
    ],
)
async def test_preview_is_what_announce_queues(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    description: dict[str, str] | None,
    base: str | None,
) -> None:
    extra = {"description": description} if description else {}
    async with sessions() as session, session.begin():
        for language, telegram in (("ka", False), ("az", False), ("ru", False), ("az", True)):
            await add_person(
                session, topics=("hearings",), language=language, telegram=telegram, sms=not telegram
            )
        found = await hearing(session, announced=False, **extra)
        readings = await preview(session, found, price_per_segment=Decimal("0.05"), public_base_url=base)
        await officers.announce(session, found.id, await coordinator(session), NOW, public_base_url=base)
        queued = {(r.channel, r.language): load_outgoing(r.payload) for r in await deliveries(session)}
    assert {(r.channel, r.language, r.readers) for r in readings} == {
        (Channel.SMS, "ka", 1),
        (Channel.SMS, "az", 1),
        (Channel.SMS, "ru", 1),
        (Channel.TELEGRAM, "az", 1),
    }, label
    for reading in readings:
        message = queued[(reading.channel, reading.language)]
        if reading.channel == Channel.SMS:
            assert reading.text == render_sms(message, reading.language), label
            assert reading.segments == count_segments(reading.text).segments <= MAX_SEGMENTS
            assert reading.cost == Decimal("0.05") * reading.segments
            assert reading.shortened, label
        else:
            assert reading.text == render_telegram(message, reading.language).text
    ru = next(r for r in readings if r.language == "ru")
    assert ru.fallback and not next(r for r in readings if r.language == "az").fallback
    sms_ka = next(r for r in readings if (r.channel, r.language) == (Channel.SMS, "ka"))
    page = f"{BASE}/m/marneuli#hearing-"
    assert (page in sms_ka.text) is (base is not None), (
        "the short notice links the full one on the public page"
    )


async def test_a_notice_too_long_even_shortened_is_refused_for_sms(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, topics=("hearings",), language="ka", telegram=False, sms=True)
        found = await hearing(session, announced=False, title={"ka": LONG * 2}, place={"ka": LONG})
        [reading] = await preview(session, found, public_base_url=BASE)
        assert reading.refused and reading.shortened
        with pytest.raises(InvalidDefinition):
            await officers.announce(session, found.id, await coordinator(session), NOW, public_base_url=BASE)


async def test_a_language_nobody_reads_yet_can_be_previewed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, announced=False)
        readings = await preview(session, found, language="hy", channel=Channel.SMS)
    assert [(r.language, r.readers, r.fallback) for r in readings] == [("hy", 0, True)]
    assert readings[0].text.startswith("Հանրային քննարկում")


async def test_cli_preview_prints_texts_segments_and_fallback(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, topics=("hearings",), language="hy", telegram=False, sms=True)
        found = await hearing(session, announced=False)
    args = ["hearing", "preview", str(found.id), "--channel", "sms"]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": migrated_url})
    assert result.exit_code == 0, result.output
    assert "sms · hy · 1 reader · " in result.output and "no text in hy: they read ka" in result.output
    assert "  | Հանրային քննարկում" in result.output
    assert "1 reader gets the fallback language (ka)" in result.output
