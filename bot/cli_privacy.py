"""`civicbot privacy`: the data-protection officer's tools for requests made outside the bot."""

from __future__ import annotations

import asyncio

import typer

from bot.settings import Settings
from channels.i18n import render
from contacts.phones import InvalidPhone, normalize_phone
from contacts.privacy import erase, my_data
from contacts.registry import find_identity
from contacts.retention import purge
from contacts.vault import DataVault
from storage.db import create_engine_unpooled, session_factory, unit_of_work
from storage.models import Channel, Contact, Municipality

app = typer.Typer(help="Rights requests and retention (PRIVACY.md).", no_args_is_help=True)


def _address(telegram_id: int | None, phone: str | None) -> tuple[Channel, str]:
    if (telegram_id is None) == (phone is None):
        raise typer.BadParameter("give exactly one of --telegram-id or --phone")
    if telegram_id is not None:
        return Channel.TELEGRAM, str(telegram_id)
    try:
        return Channel.SMS, normalize_phone(str(phone))
    except InvalidPhone as exc:
        raise typer.BadParameter(f"invalid phone number ({exc.reason})") from exc


def _vault(settings: Settings) -> DataVault:
    key = settings.privacy.data_key.get_secret_value() if settings.privacy.data_key else None
    return DataVault.from_key_or_file(key, settings.privacy.state_dir)


@app.command()
def show(
    telegram_id: int | None = typer.Option(None, help="Telegram user id."),
    phone: str | None = typer.Option(None, help="Phone number, any common Georgian format."),
    language: str = typer.Option("en", help="Language of the printout."),
) -> None:
    """Print everything stored about one person (an access request). The request is audited.

    Example: civicbot privacy show --phone "555 12 34 56" --language ka
    """
    channel, address = _address(telegram_id, phone)
    settings = Settings()

    async def _show() -> str | None:
        engine = create_engine_unpooled(settings.db.database_url)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                identity = await find_identity(session, channel, address)
                if identity is None:
                    return None
                contact = await session.get_one(Contact, identity.contact_id)
                municipality = (
                    await session.get(Municipality, contact.municipality_id)
                    if contact.municipality_id
                    else None
                )
                return render(await my_data(session, _vault(settings), contact, municipality), language)
        finally:
            await engine.dispose()

    text = asyncio.run(_show())
    if text is None:
        typer.echo("nobody with that address is stored")
        raise typer.Exit(1)
    typer.echo(text)


@app.command("erase")
def erase_person(
    telegram_id: int | None = typer.Option(None, help="Telegram user id."),
    phone: str | None = typer.Option(None, help="Phone number."),
    requested_by: str = typer.Option(..., "--as", help="Who handles the request (for the audit log)."),
) -> None:
    """Erase one person's personal data, as /delete does (a request received by letter or phone).

    Example: civicbot privacy erase --phone +995555123456 --as dpo@marneuli.gov.ge
    """
    channel, address = _address(telegram_id, phone)
    settings = Settings()

    async def _erase() -> bool:
        engine = create_engine_unpooled(settings.db.database_url)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                identity = await find_identity(session, channel, address)
                if identity is None:
                    return False
                contact = await session.get_one(Contact, identity.contact_id)
                await erase(session, _vault(settings), contact, actor=f"cli:{requested_by}")
                return True
        finally:
            await engine.dispose()

    if not asyncio.run(_erase()):
        typer.echo("nobody with that address is stored")
        raise typer.Exit(1)
    typer.echo("erased; the audit log records the request")


@app.command("purge")
def purge_now() -> None:
    """Apply the retention periods now (the service also does this every hour).

    Example: civicbot privacy purge
    """
    settings = Settings()

    async def _purge() -> str:
        engine = create_engine_unpooled(settings.db.database_url)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                report = await purge(session, _vault(settings))
        finally:
            await engine.dispose()
        return (
            f"erased {report.erased_inactive} inactive profiles, dropped {report.dropped_unfinished} "
            f"unfinished sign-ups, pruned {report.pruned_events} event ids"
        )

    typer.echo(asyncio.run(_purge()))
