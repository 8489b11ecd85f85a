"""`civicbot contacts`: bring SMS contacts in from a municipality's sign-up sheets, Latin SMS, SMS costs."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from channels.i18n import LANGUAGES
from channels.sms.cost import text_cost
from contacts import importer, latin
from contacts.phones import InvalidPhone, normalize_phone
from contacts.registry import municipalities
from contacts.vault import DataVault
from storage.base import utcnow
from storage.db import create_engine_unpooled, session_factory, unit_of_work

T = TypeVar("T")

app = typer.Typer(help="SMS contacts: import from CSV, Latin SMS, SMS costs.", no_args_is_help=True)


class Switch(StrEnum):
    ON = "on"
    OFF = "off"
    DEFAULT = "default"  # a person follows their municipality again


def _run(settings: Settings, action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One transaction: committed when `action` returns, rolled back when it raises."""

    async def _go() -> T:
        engine = create_engine_unpooled(settings.db.database_url)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                return await action(session)
        finally:
            await engine.dispose()

    return asyncio.run(_go())


def _actor(given: str | None) -> str:
    return (given or f"cli:{getpass.getuser()}")[:64]


def _vault(settings: Settings) -> DataVault:
    key = settings.privacy.data_key.get_secret_value() if settings.privacy.data_key else None
    return DataVault.from_key_or_file(key, settings.privacy.state_dir)


@app.command("import")
def import_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file.")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows even when others are invalid.")
    ] = False,
    actor: Annotated[str | None, typer.Option("--as", help="Who imports (for the audit log).")] = None,
) -> None:
    """Import SMS contacts. Columns: phone, language, municipality, consent_source, consent_date, topics.

    Every invalid row is listed with its line number and reason; a file with any invalid row imports
    nothing unless --skip-invalid is given. Numbers already known, and numbers that refused or were
    erased, are left alone, so importing the same file again changes nothing. Each import is audited.

    Example: civicbot contacts import dmanisi-signups.csv

    phone,language,municipality,consent_source,consent_date,topics
    555 12 34 56,az,dmanisi,paper form at the village meeting,2026-10-02,hearings;polls
    """
    settings = Settings()
    now = utcnow()

    async def _import(session: AsyncSession) -> tuple[importer.ImportPlan, importer.ImportResult | None]:
        plan = importer.read_contacts(file.read_bytes(), await municipalities(session), now=now)
        if plan.problems and not skip_invalid:
            return plan, None
        result = await importer.import_contacts(
            session,
            _vault(settings),
            plan,
            actor=_actor(actor),
            source=file.name,
            now=now,
            skip_invalid=skip_invalid,
        )
        return plan, result

    plan, result = _run(settings, _import)
    for problem in plan.problems:
        typer.echo(str(problem), err=True)
    if result is None:
        typer.echo(f"{len(plan.problems)} problem(s); nothing imported (fix them, or use --skip-invalid)")
        raise typer.Exit(1)
    typer.echo(
        f"imported {len(result.added)}; already known {len(result.known)}; "
        f"opted out, not imported {len(result.opted_out)}; invalid rows skipped {result.skipped_invalid}"
    )


@app.command("latin")
def latin_sms(
    switch: Annotated[Switch, typer.Argument(help="on, off, or (with --phone) default.")],
    municipality: Annotated[str | None, typer.Option(help="A municipality's code: its default.")] = None,
    phone: Annotated[str | None, typer.Option(help="One person's number: their own choice.")] = None,
    actor: Annotated[str | None, typer.Option("--as", help="Who decides (for the audit log).")] = None,
) -> None:
    """Send SMS in Latin letters (cheaper) for a municipality by default, or for one person who asked.

    A person's own choice wins over the municipality's; `default` makes them follow it again.

    Examples: civicbot contacts latin on --municipality marneuli
              civicbot contacts latin off --phone "555 12 34 56"
    """
    if (municipality is None) == (phone is None):
        raise typer.BadParameter("give exactly one of --municipality or --phone")
    settings, now = Settings(), utcnow()
    try:
        if municipality is not None:
            if switch is Switch.DEFAULT:
                raise typer.BadParameter("a municipality is on or off")
            on = switch is Switch.ON

            async def _place(session: AsyncSession) -> int:
                assert municipality is not None
                _, following = await latin.set_municipality_latin(
                    session, municipality, on, actor=_actor(actor), now=now
                )
                return following

            following = _run(settings, _place)
            typer.echo(f"Latin SMS {switch} for {municipality}; {following} SMS contact(s) follow it")
            return
        number = normalize_phone(str(phone))
        choice = None if switch is Switch.DEFAULT else switch is Switch.ON

        async def _person(session: AsyncSession) -> None:
            await latin.set_contact_latin(session, number, choice, actor=_actor(actor), now=now)

        _run(settings, _person)
        typer.echo(f"Latin SMS for {number}: {switch}")
    except InvalidPhone as exc:
        raise typer.BadParameter(f"invalid phone number ({exc.reason})") from exc
    except latin.NotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


@app.command("sms-cost")
def sms_cost(
    text: Annotated[str, typer.Argument(help="The message text.")],
    language: Annotated[list[str] | None, typer.Option(help="Language(s) of the text; default all.")] = None,
    people: Annotated[int, typer.Option(min=1, help="How many people receive it.")] = 1,
) -> None:
    """Segments and price of one SMS as written and in Latin letters (what Latin mode saves).

    Example: civicbot contacts sms-cost "საჯარო განხილვა ხვალ 15:00-ზე" --language ka --people 400
    """
    price = Decimal(str(Settings().twilio.sms_price_per_segment))
    for lang in language or list(LANGUAGES):
        if lang not in LANGUAGES:
            raise typer.BadParameter(f"unknown language {lang!r}")
        cost = text_cost(text, lang, price)
        typer.echo(
            f"{lang}: {cost.native.segments} segment(s) ({cost.native.encoding}), "
            f"Latin {cost.latin.segments} ({cost.latin.encoding}); "
            f"for {people}: {cost.native.segments * people} vs {cost.latin.segments * people} segments, "
            f"{cost.cost * people} vs {cost.latin_cost * people} USD; saves {cost.saved_segments * people}"
        )
