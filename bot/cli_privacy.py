"""`civicbot privacy`: the data-protection officer's tools for requests made outside the bot.

A person is named by exactly one of: `--phone` (SMS), `--telegram-id`, `--username` (Telegram, as the
person spells it on the phone) or `--ref` (the reference code `/mydata` shows, e.g. `7KD4-M2QX`), so a
Telegram-only citizen who calls can be found without ever telling us a number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from channels.i18n import LANGUAGES, render
from contacts.phones import InvalidPhone, normalize_phone
from contacts.privacy import erase_on_request, my_data
from contacts.reference import find_by_reference, normalize_code
from contacts.registry import find_by_username
from contacts.retention import purge
from contacts.vault import DataVault
from storage.db import create_engine_unpooled, session_factory, unit_of_work
from storage.identities import find_identity
from storage.models import Channel, Contact, ContactStatus, Municipality

app = typer.Typer(help="Rights requests and retention (PRIVACY.md).", no_args_is_help=True)
T = TypeVar("T")

TELEGRAM_ID = typer.Option(None, help="Telegram user id.")
PHONE = typer.Option(None, help="Phone number, any common Georgian format.")
USERNAME = typer.Option(None, help="Telegram username, with or without @.")
REF = typer.Option(None, "--ref", help="Reference code shown by /mydata, e.g. 7KD4-M2QX.")
LANGUAGE = typer.Option("en", help=f"Language of the printout: {', '.join(LANGUAGES)}.")


class Who:
    """The one way a request names the person, checked before anything touches the database."""

    def __init__(self, telegram_id: int | None, phone: str | None, username: str | None, ref: str | None):
        given = [value for value in (telegram_id, phone, username, ref) if value is not None]
        if len(given) != 1:
            raise typer.BadParameter("give exactly one of --telegram-id, --phone, --username or --ref")
        self.telegram_id, self.username, self.ref = telegram_id, username, ref
        self.phone: str | None = None
        if phone is not None:
            try:
                self.phone = normalize_phone(phone)
            except InvalidPhone as exc:
                raise typer.BadParameter(f"invalid phone number ({exc.reason})") from exc
        if ref is not None and normalize_code(ref) is None:
            raise typer.BadParameter("a reference code has 8 letters and digits, e.g. 7KD4-M2QX")

    async def find(self, session: AsyncSession, vault: DataVault) -> Contact | None:
        if self.ref is not None:
            return await find_by_reference(session, vault, self.ref)
        if self.username is not None:
            identity = await find_by_username(session, self.username)
        elif self.phone is not None:
            identity = await find_identity(session, Channel.SMS, self.phone)
        else:
            identity = await find_identity(session, Channel.TELEGRAM, str(self.telegram_id))
        if identity is None:
            return None
        contact = await session.get_one(Contact, identity.contact_id)
        return None if contact.status == ContactStatus.ERASED else contact


def _vault(settings: Settings) -> DataVault:
    key = settings.privacy.data_key.get_secret_value() if settings.privacy.data_key else None
    return DataVault.from_key_or_file(key, settings.privacy.state_dir)


def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def _run() -> T:
        engine = create_engine_unpooled(settings.db.database_url)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(_run())


async def _printout(
    session: AsyncSession, vault: DataVault, contact: Contact, language: str, actor: str
) -> str:
    municipality = (
        await session.get(Municipality, contact.municipality_id) if contact.municipality_id else None
    )
    return render(await my_data(session, vault, contact, municipality, actor=actor), language)


def _nobody() -> typer.Exit:
    typer.echo("nobody with that address or code is stored")
    return typer.Exit(1)


@app.command()
def show(
    telegram_id: int | None = TELEGRAM_ID,
    phone: str | None = PHONE,
    username: str | None = USERNAME,
    ref: str | None = REF,
    language: str = LANGUAGE,
    requested_by: str = typer.Option("dpo", "--as", help="Who handles the request (for the audit log)."),
) -> None:
    """Print everything stored about one person (an access request). The request is audited.

    Example: civicbot privacy show --ref 7KD4-M2QX --language ka --as dpo@marneuli.gov.ge
    """
    who = Who(telegram_id, phone, username, ref)
    settings = Settings()
    vault = _vault(settings)

    async def _show(session: AsyncSession) -> str | None:
        contact = await who.find(session, vault)
        if contact is None:
            return None
        return await _printout(session, vault, contact, language, f"cli:{requested_by}")

    text = _in_transaction(settings, _show)
    if text is None:
        raise _nobody()
    typer.echo(text)


@app.command("erase")
def erase_person(
    telegram_id: int | None = TELEGRAM_ID,
    phone: str | None = PHONE,
    username: str | None = USERNAME,
    ref: str | None = REF,
    requested_by: str = typer.Option(..., "--as", help="Who handles the request (for the audit log)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask to confirm (scripts)."),
    language: str = LANGUAGE,
) -> None:
    """Erase one person's personal data, as /delete does (a request received by letter or phone).

    Shows what will go and asks to confirm; the person gets one confirmation in their language.

    Example: civicbot privacy erase --ref 7KD4-M2QX --as dpo@marneuli.gov.ge
    """
    who = Who(telegram_id, phone, username, ref)
    settings = Settings()
    vault = _vault(settings)
    actor = f"cli:{requested_by}"

    async def _preview(session: AsyncSession) -> tuple[int, str] | None:
        contact = await who.find(session, vault)
        if contact is None:
            return None
        return contact.id, await _printout(session, vault, contact, language, actor)

    found = _in_transaction(settings, _preview)
    if found is None:
        raise _nobody()
    contact_id, printout = found
    typer.echo("This will be erased (the last paragraph says what stays, anonymously):\n")
    typer.echo(printout)
    if not yes and not typer.confirm("\nErase this person's personal data now?", default=False):
        typer.echo("nothing was erased")
        raise typer.Exit(1)

    async def _erase(session: AsyncSession) -> bool | None:
        contact = await session.get(Contact, contact_id)
        if contact is None or contact.status == ContactStatus.ERASED:
            return None
        return await erase_on_request(session, vault, contact, actor=actor)

    told = _in_transaction(settings, _erase)
    if told is None:
        raise _nobody()
    typer.echo(
        "erased; the audit log records the request; "
        + ("the person will get one confirmation" if told else "no address left to confirm to")
    )


@app.command("purge")
def purge_now() -> None:
    """Apply the retention periods now (the service also does this every hour).

    Example: civicbot privacy purge
    """
    settings = Settings()

    async def _purge(session: AsyncSession) -> str:
        report = await purge(session, _vault(settings))
        return (
            f"erased {report.erased_inactive} inactive profiles, dropped {report.dropped_unfinished} "
            f"unfinished sign-ups, pruned {report.pruned_events} event ids, scrubbed "
            f"{report.scrubbed_farewells} sent erasure confirmations"
        )

    typer.echo(_in_transaction(settings, _purge))
