"""`civicbot staff password`: set a staff member's password for the web console (argon2, audited)."""

from __future__ import annotations

import sys

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_transaction import run_refusable
from campaigns import staff


def register(staff_app: typer.Typer) -> None:
    staff_app.command("password")(staff_password)


def staff_password(
    actor: str = typer.Option(..., "--as", help="Whose password: name or Telegram id."),
    stdin: bool = typer.Option(False, "--stdin", help="Read the password from standard input (scripts)."),
) -> None:
    """Set (or replace) the console password of a staff member; their open console sessions end.

    At least 12 characters. Example: civicbot staff password --as nino
    """
    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    from campaigns.staff_access import set_password

    async def _set(session: AsyncSession) -> str:
        member = await staff.by_ref(session, actor)
        await set_password(session, member, password, actor="cli")
        return member.label

    label = run_refusable(_set)
    typer.echo(f"console password set for {label}")
