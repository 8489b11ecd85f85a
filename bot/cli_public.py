"""`civicbot survey publish|unpublish` and `civicbot campaign preview`: what the public and a citizen see.

Registered on the existing `survey` and `campaign` groups (`register`), so they sit beside their kin.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_transaction import run_refusable
from campaigns.firing import can_read, message_for
from channels.i18n import LANGUAGES
from channels.simulator import PageMessage, render_for_page
from storage.models import Channel
from storage.models.campaigns import Campaign
from surveys.publication import NotFound, publish


def _publish(code: str, actor: str, public: bool) -> None:
    async def work(session: AsyncSession) -> str:
        try:
            record = await publish(session, code, public=public, actor=f"staff:{actor}")
        except NotFound:
            typer.echo(f"no survey {code!r}", err=True)
            raise typer.Exit(1) from None
        where = "shown on the public pages" if record.public else "no longer shown on the public pages"
        return f"survey {record.code}: results {where}"

    typer.echo(run_refusable(work))


def survey_publish(
    code: Annotated[str, typer.Argument(help="Survey code or number.")],
    actor: Annotated[str, typer.Option("--as", help="Coordinator acting (audited).")],
) -> None:
    """Show the survey's protected results on the public page of each municipality it was open to.

    \b
    Example:
      civicbot survey publish budget-flash-poll --as nino
    """
    _publish(code, actor, True)


def survey_unpublish(
    code: Annotated[str, typer.Argument(help="Survey code or number.")],
    actor: Annotated[str, typer.Option("--as", help="Coordinator acting (audited).")],
) -> None:
    """Stop showing the survey's results on the public pages."""
    _publish(code, actor, False)


def _describe(shown: PageMessage) -> str:
    if shown.channel is Channel.SMS:
        encoding = shown.encoding.value if shown.encoding else ""
        return f"{shown.text}\n[{shown.segments} segment(s), {encoding}, {len(shown.text)} characters]"
    lines = [shown.html]
    lines += [
        "  " + " | ".join(f"[{b.label}]" + (f" -> {b.url}" if b.url else "") for b in row)
        for row in shown.buttons
    ]
    return "\n".join(lines)


def campaign_preview(
    campaign_id: Annotated[int, typer.Argument(help="Campaign id.")],
    language: Annotated[str, typer.Option("--language", help="ka, az, hy, ru or en.")] = "ka",
    channel: Annotated[str, typer.Option("--channel", help="telegram or sms.")] = "telegram",
    latin: Annotated[
        bool, typer.Option("--latin", help="SMS in the official Latin transliteration.")
    ] = False,
) -> None:
    """Print each step of a campaign exactly as a citizen reading LANGUAGE on CHANNEL gets it.

    \b
    Example:
      civicbot campaign preview 12 --language az --channel sms
    """
    if language not in LANGUAGES or channel not in ("telegram", "sms"):
        typer.echo("--language must be one of ka, az, hy, ru, en and --channel telegram or sms", err=True)
        raise typer.Exit(2)
    style = Channel(channel)

    async def work(session: AsyncSession) -> str:
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None:
            typer.echo(f"no campaign {campaign_id}", err=True)
            raise typer.Exit(1)
        blocks = []
        for number, step in enumerate(campaign.steps, 1):
            header = f"-- step {number} ({channel}, {language}) --"
            if not can_read(campaign, step, language):
                blocks.append(
                    f"{header}\n(no text in this language and no fallback: not sent to this reader)"
                )
                continue
            shown = render_for_page(message_for(campaign, step), style, language, latin=latin)
            blocks.append(f"{header}\n{_describe(shown)}")
        return "\n\n".join(blocks) or "the campaign has no steps"

    typer.echo(run_refusable(work))


def register() -> None:
    from bot.cli_campaigns import campaign_app
    from bot.cli_surveys import survey_app

    survey_app.command("publish")(survey_publish)
    survey_app.command("unpublish")(survey_unpublish)
    campaign_app.command("preview")(campaign_preview)
