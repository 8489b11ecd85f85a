"""`civicbot keys`: a new DATA_KEY, and re-sealing special-category data after a key was added."""

from __future__ import annotations

import asyncio

import typer
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.settings import Settings
from contacts.vault import DataVault
from storage.db import create_engine_unpooled, session_factory, unit_of_work
from storage.models.contacts import SpecialProfile

app = typer.Typer(
    help="The key sealing special-category data (DATA_KEY): new keys and rotation.", no_args_is_help=True
)


@app.command("new")
def new_key() -> None:
    """Print a fresh key. Put it FIRST in DATA_KEY (DATA_KEY=NEW,OLD), restart, then run `keys rotate`.

    Keep the old keys listed: the oldest one derives the opt-out hashes and reference codes, which
    cannot be recomputed without the addresses they hide; it no longer encrypts anything after rotation.
    """
    typer.echo(Fernet.generate_key().decode())


@app.command("rotate")
def rotate() -> None:
    """Re-seal every special-category record with the newest key in DATA_KEY (safe to repeat).

    Run it after adding a key to the front of DATA_KEY and restarting the service.
    """
    settings = Settings()
    secret = settings.privacy.data_key.get_secret_value() if settings.privacy.data_key else None
    vault = DataVault.from_key_or_file(secret, settings.privacy.state_dir)
    if vault.key_count < 2:
        typer.echo(
            "DATA_KEY holds one key: add a new one first (civicbot keys new), as DATA_KEY=NEW,OLD", err=True
        )
        raise typer.Exit(1)
    count = asyncio.run(_reseal(settings.db.database_url, vault))
    typer.echo(f"{count} special-category records sealed again with the newest key")


async def _reseal(url: str, vault: DataVault) -> int:
    engine = create_engine_unpooled(url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            rows = (await session.scalars(select(SpecialProfile).with_for_update())).all()
            for row in rows:
                row.sealed = vault.rotate(row.sealed)
            return len(rows)
    finally:
        await engine.dispose()
