"""`civicbot municipality`: list the municipalities, show and change their settings (audited)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_transaction import run_refusable
from bot.scheduler import SchedulerSettings
from bot.settings import Settings
from campaigns import municipalities as places
from campaigns import staff
from campaigns.errors import ScopeDenied
from contacts.registry import municipalities
from storage.models.places import Municipality

app = typer.Typer(help="Municipalities and their settings.", no_args_is_help=True)

Code = Annotated[str, typer.Argument(help="Municipality code, in any case (civicbot municipality list).")]


def _rows(place: Municipality) -> list[tuple[str, str]]:
    """Each setting with its value; one left to the service's default says so, and what it is."""
    service = Settings()
    default_quiet = SchedulerSettings().quiet_hours
    contact = service.privacy.controller_contact
    return [
        ("code", place.code),
        ("name", " / ".join(f"{lang}: {name}" for lang, name in place.names.items())),
        ("default-language", place.default_language),
        ("privacy-contact", place.privacy_contact or f"{contact or '(not set)'} (service default)"),
        ("quiet-hours", place.quiet_hours or f"{default_quiet} (service default)"),
        ("latin-sms", "yes" if place.sms_latin else "no"),
        ("sms-sender", place.sms_sender or f"{service.twilio.twilio_from or '(not set)'} (service default)"),
        ("time zone", place.timezone),
    ]


@app.command("list")
def list_municipalities() -> None:
    """List every municipality: code, default language, quiet hours, name.

    Example: civicbot municipality list
    """
    default_quiet = SchedulerSettings().quiet_hours

    async def _list(session: AsyncSession) -> list[Municipality]:
        return await municipalities(session)

    found = run_refusable(_list)
    if not found:
        typer.echo("no municipalities yet; add the four pilot municipalities with: civicbot seed")
    for place in found:
        quiet = place.quiet_hours or f"{default_quiet}*"
        typer.echo(f"{place.code:<14} {place.default_language:<3} {quiet:<13} {place.name_in('en')}")
    if found:
        typer.echo("* the service's default quiet hours (QUIET_HOURS)")


@app.command()
def show(code: Code) -> None:
    """Show one municipality's settings and where each comes from.

    Example: civicbot municipality show marneuli
    """

    async def _show(session: AsyncSession) -> Municipality:
        return await places.find(session, code)

    for name, value in _rows(run_refusable(_show)):
        typer.echo(f"{name:<17} {value}")


@app.command("set")
def set_setting(
    code: Code,
    setting: Annotated[str, typer.Argument(help=f"One of: {', '.join(places.SETTINGS)}.")],
    value: Annotated[str, typer.Argument(help='The new value; "default" returns to the service\'s.')],
    as_: Annotated[str, typer.Option("--as", help="The staff member acting; officers change their own.")],
) -> None:
    """Change one setting (audited).

    \b
    Examples:
      civicbot municipality set marneuli quiet-hours 21:00-09:00 --as nino
      civicbot municipality set marneuli latin-sms yes --as nino
      civicbot municipality set dmanisi privacy-contact dpo@dmanisi.gov.ge --as nino
      civicbot municipality set dmanisi quiet-hours default --as nino
    """

    async def _set(session: AsyncSession) -> places.Change:
        member = await staff.by_ref(session, as_)
        return await places.change(session, member, code, setting.strip().lower(), value)

    done = run_refusable(_set, commit_refusals=(ScopeDenied,))
    shown = {True: "yes", False: "no", None: "(service default)"}
    before = shown.get(done.before, done.before) if isinstance(done.before, bool | None) else done.before
    after = shown.get(done.after, done.after) if isinstance(done.after, bool | None) else done.after
    typer.echo(f"{code.lower()} {done.setting}: {before} -> {after}")
    typer.echo(f"next: civicbot municipality show {code.lower()}")
