"""`civicbot` command line: run the service, migrate, seed, and the coordinators' tools."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer

from bot import (
    cli_actionplan,
    cli_benchmark,
    cli_campaigns,
    cli_console,
    cli_contacts,
    cli_hearings,
    cli_keys,
    cli_municipality,
    cli_privacy,
    cli_public,
    cli_surveys,
)
from bot.settings import Settings
from contacts.registry import AUDIT_ORIGIN

T = TypeVar("T")

app = typer.Typer(
    name="civicbot",
    help="Telegram + SMS bot through which municipalities reach their citizens and hear back from them.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def _record_origin(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error."),
) -> None:
    # `--as NAME` is typed by whoever has the shell: audit entries also record which login ran the command.
    # Not for `serve`: the running service's actions come from Telegram, the console or the scheduler.
    if ctx.invoked_subcommand == "serve":
        return
    token = AUDIT_ORIGIN.set(cli_origin())
    ctx.call_on_close(lambda: AUDIT_ORIGIN.reset(token))


def cli_origin() -> dict[str, str]:
    origin = {"surface": "cli", "os_user": getpass.getuser()}
    if sudo_user := os.environ.get("SUDO_USER"):
        origin["sudo_user"] = sudo_user
    return origin


def _register_subcommands() -> None:
    app.add_typer(cli_surveys.commands)  # survey ..., demo-data
    app.add_typer(cli_privacy.app, name="privacy")
    app.add_typer(cli_keys.app, name="keys")
    app.add_typer(cli_contacts.app, name="contacts")
    app.add_typer(cli_hearings.app, name="hearing")
    app.add_typer(cli_municipality.app, name="municipality")
    app.add_typer(cli_actionplan.app, name="actionplan")
    app.add_typer(cli_benchmark.app, name="benchmark")
    app.add_typer(cli_campaigns.audience_app, name="audience")
    app.add_typer(cli_campaigns.campaign_app, name="campaign")
    cli_public.register()  # survey publish, campaign preview
    cli_console.register(cli_campaigns.staff_app)  # staff password (web console)
    app.add_typer(cli_campaigns.staff_app, name="staff")


_register_subcommands()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def load_settings() -> Settings:
    return Settings()


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Listen address (default HTTP_HOST)."),
    port: int | None = typer.Option(None, help="Listen port (default HTTP_PORT)."),
) -> None:
    """Run the whole service: HTTP (health, metrics, webhooks), Telegram, delivery workers, scheduler.

    Long polling when TELEGRAM_WEBHOOK_URL is unset, a webhook otherwise; without TELEGRAM_BOT_TOKEN the
    Telegram channel is off. Stops cleanly on SIGTERM or Ctrl-C.
    """
    import uvicorn

    from bot.app import create_http_app, webhook_credentials
    from bot.logging import configure_logging
    from bot.setup_errors import check_database

    settings = load_settings()
    try:
        webhook = webhook_credentials(settings)
    except ValueError as exc:
        typer.echo(f"civicbot serve: {exc}", err=True)
        raise typer.Exit(2) from None
    run(check_database(settings.db.database_url))  # a set-up mistake becomes advice in main()
    secrets = [
        s.get_secret_value()
        for s in (
            settings.telegram.telegram_bot_token,
            settings.telegram.telegram_webhook_secret,
            settings.twilio.twilio_auth_token,
            settings.privacy.data_key,
        )
        if s is not None
    ]
    if webhook is not None:
        secrets += [webhook.secret, webhook.path_key]
    configure_logging(settings.log_level, secrets)
    uvicorn.run(
        create_http_app(settings),
        host=host or settings.http.http_host,
        port=port or settings.http.http_port,
        log_config=None,
        timeout_graceful_shutdown=15,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("heads", help="Target revision (default: every head)."),
) -> None:
    """Create or migrate the database schema (SQLite or PostgreSQL, from DATABASE_URL)."""
    from storage.migrate import current_revision, upgrade

    url = load_settings().db.database_url
    run(upgrade(url, revision))
    typer.echo(f"database at revision {run(current_revision(url))}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    from storage.migrate import current_revision

    typer.echo(run(current_revision(load_settings().db.database_url)) or "empty database")


@app.command()
def seed() -> None:
    """Add the four pilot municipalities (Batumi, Chokhatauri, Dmanisi, Marneuli); safe to repeat."""
    from storage.db import create_engine_unpooled, session_factory, unit_of_work
    from storage.seed import seed_municipalities

    async def _seed() -> int:
        engine = create_engine_unpooled(load_settings().db.database_url)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                return await seed_municipalities(session)
        finally:
            await engine.dispose()

    added = run(_seed())
    typer.echo(f"pilot municipalities ready ({added} added)")


def main() -> None:
    """Run the CLI; a set-up problem is one line of advice and exit status 2 (`--debug`: the traceback)."""
    try:
        app()
    except Exception as exc:
        if "--debug" in sys.argv[1:]:
            raise
        from bot.setup_errors import explain

        advice = explain(exc, os.environ.get("DATABASE_URL") or _database_url())
        if advice is None:
            raise
        typer.echo(f"civicbot: {advice}", err=True)
        raise SystemExit(2) from None


def _database_url() -> str:
    try:
        return load_settings().db.database_url
    except Exception:  # settings that do not parse are reported by the command itself
        return ""


if __name__ == "__main__":
    main()
