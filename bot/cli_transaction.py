"""One CLI command, one transaction: refusals print `refused: …`, exit 1 and keep their audit entry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from campaigns.errors import CampaignError
from storage.db import create_engine_unpooled, session_factory

T = TypeVar("T")


def run_refusable(
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    commit_refusals: tuple[type[CampaignError], ...] = (CampaignError,),
) -> T:
    """Run `work` and commit. A refusal in `commit_refusals` still commits (only its audit entry was
    written); any other refusal rolls back. Every refusal is printed and exits with status 1."""

    async def _run() -> T:
        engine = create_engine_unpooled(Settings().db.database_url)
        try:
            async with session_factory(engine)() as session:
                try:
                    result = await work(session)
                except commit_refusals:
                    await session.commit()
                    raise
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(_run())
    except CampaignError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
