"""`civicbot hearing preview`: the notice exactly as each reader will get it, with SMS segments and cost.

Registered on `civicbot hearing` by `bot.cli_hearings`. The texts come from `hearings.preview`, which
renders with the senders' own renderers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_transaction import run_refusable
from bot.settings import HttpSettings, TwilioSettings
from campaigns.errors import ScopeDenied
from hearings import officers, sms_notice
from hearings.preview import Reading, preview
from storage.models import Channel


def describe(readings: list[Reading], fallback_language: str) -> list[str]:
    lines: list[str] = []
    for reading in readings:
        head = f"{reading.channel} · {reading.language} · {reading.readers} " + (
            "reader" if reading.readers == 1 else "readers"
        )
        if reading.channel == Channel.SMS:
            head += f" · {reading.segments} SMS segments each · cost {reading.cost}"
            if reading.shortened:
                head += " · short notice with a link to the full one (the full notice is over "
                head += f"{sms_notice.MAX_SEGMENTS} segments)"
        if reading.fallback:
            head += f" · no text in {reading.language}: they read {fallback_language}"
        lines.append(head)
        if reading.refused:
            lines.append(
                f"  REFUSED: over {sms_notice.MAX_SEGMENTS} segments even shortened; shorten the "
                "title or the place before announcing"
            )
        lines.extend(f"  | {line}" for line in reading.text.split("\n"))
        lines.append("")
    fallback = sum(r.readers for r in readings if r.fallback)
    total_cost = sum((r.cost for r in readings), Decimal(0))
    lines.append(
        f"{fallback} {'reader gets' if fallback == 1 else 'readers get'} the fallback language "
        f"({fallback_language}); SMS cost in all {total_cost}"
    )
    return lines


def preview_command(
    hearing_id: Annotated[int, typer.Argument(help="The hearing's id (civicbot hearing list).")],
    language: Annotated[str | None, typer.Option(help="Only this language (ka, az, hy, ru, en).")] = None,
    channel: Annotated[Channel | None, typer.Option(help="Only this channel (telegram or sms).")] = None,
) -> None:
    """Print the notice exactly as each reader will get it, per channel and language, with SMS
    segments and cost, and how many readers get the fallback language. Nothing is sent.

    \b
    Examples:
      civicbot hearing preview 3
      civicbot hearing preview 3 --language az --channel sms
    """
    price = Decimal(str(TwilioSettings().sms_price_per_segment))
    base = HttpSettings().public_base_url

    async def _preview(session: AsyncSession) -> tuple[list[Reading], str]:
        hearing = await officers.get(session, hearing_id)
        found = await preview(
            session,
            hearing,
            language=language,
            channel=channel,
            price_per_segment=price,
            public_base_url=base,
        )
        return found, hearing.fallback_language

    readings, fallback = run_refusable(_preview, commit_refusals=(ScopeDenied,))
    for line in describe(readings, fallback):
        typer.echo(line)
