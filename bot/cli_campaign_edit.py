"""`civicbot campaign edit`: change a draft (name, audience, times, texts) from a file or simple flags.

Registered on `civicbot campaign` by `bot.cli_campaigns`. Prints each change, then the next command. A
refusal (not a draft, outside an officer's municipality, a time in the past) is printed and exits 1.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_transaction import run_refusable
from campaigns import editing, staff
from campaigns.definition import CampaignDraft
from campaigns.editing import Change
from campaigns.errors import CampaignError
from storage.base import utcnow
from storage.models.campaigns import Campaign

SHOWN = 70  # characters of a changed text shown on one line


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SHOWN else flat[: SHOWN - 1] + "…"


def _pairs(values: list[str] | None) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values or ():
        lang, sep, text = item.partition("=")
        if not sep:
            raise typer.BadParameter(
                f"write it as LANG=TEXT, e.g. --text ka=…, not {item!r}", param_hint="--text"
            )
        pairs[lang.strip().lower()] = text
    return pairs


def edit_command(
    campaign_id: Annotated[int, typer.Argument(help="Campaign id (civicbot campaign list).")],
    as_: Annotated[
        str, typer.Option("--as", help="Staff member acting: name or Telegram user id (audited).")
    ],
    file: Annotated[
        Path | None,
        typer.Option("--file", exists=True, dir_okay=False, help="A campaign file replacing the definition."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    step: Annotated[int, typer.Option(help="The step --at and --text change.")] = 1,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            "--starts-at",
            help="When it goes out (Tbilisi): 'now', 'YYYY-MM-DD HH:MM', 'tomorrow 10:00', 'in 2 hours'.",
        ),
    ] = None,
    text: Annotated[
        list[str] | None, typer.Option("--text", help="LANG=TEXT for the step; repeatable.")
    ] = None,
    municipality: Annotated[
        list[str] | None, typer.Option(help="Replaces the municipalities; repeatable.")
    ] = None,
    language: Annotated[list[str] | None, typer.Option(help="Replaces the languages; repeatable.")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="Replaces the channels; repeatable.")] = None,
    topic: Annotated[list[str] | None, typer.Option(help="Replaces the topics; repeatable.")] = None,
    fallback: Annotated[str | None, typer.Option(help="Fallback language for people without a text.")] = None,
) -> None:
    """Change a draft campaign (a returned one is a draft again): a whole new definition from a file
    (campaigns/FORMAT.md), and/or simple changes. Submitted, approved or sending campaigns cannot change.

    \b
    Examples:
      civicbot campaign edit 12 --file campaign.yaml --as nino
      civicbot campaign edit 12 --at "tomorrow 10:00" --as nino
      civicbot campaign edit 12 --step 2 --text az="Sabah saat 18:00-da." --as nino
    """
    now = utcnow()
    texts = _pairs(text)
    audience = {"municipalities": municipality, "languages": language, "channels": channel, "topics": topic}
    source = file.read_text(encoding="utf-8") if file is not None else None

    async def _edit(session: AsyncSession) -> tuple[Campaign, list[Change]]:
        member = await staff.by_ref(session, as_)
        campaign = await editing.editable(session, campaign_id, member, now)  # before reading the changes
        start = CampaignDraft.from_yaml(source, now) if source is not None else editing.as_draft(campaign)
        draft = editing.amended(
            start,
            name=name,
            step=step,
            at=at,
            texts=texts,
            audience={key: values for key, values in audience.items() if values},
            fallback=fallback,
            now=now,
        )
        return await editing.edit(session, campaign_id, draft, member, now)

    campaign, changes = run_refusable(_edit, commit_refusals=(CampaignError,))
    if not changes:
        typer.echo(f"campaign {campaign.id}: nothing changed")
    else:
        typer.echo(f"campaign {campaign.id} edited ({campaign.status}):")
    for change in changes:
        typer.echo(f"  {change.field}: {_short(change.before)} -> {_short(change.after)}")
    typer.echo(f"next: civicbot campaign submit {campaign.id} --as {shlex.quote(as_)}")  # works as printed
