"""`civicbot hearing summary`: one hearing at a glance for its officer, as text, CSV or XLSX.

Registered on `civicbot hearing` by `bot.cli_hearings`. Never a phone number; names only for a hearing
that asks for them; people's questions printed with control characters made visible.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_transaction import run_refusable
from campaigns import staff
from campaigns.errors import ScopeDenied
from channels.i18n import TIMEZONE
from channels.message import Content
from hearings.summary import Summary, summary
from storage.models import Municipality
from storage.models.hearings import Moderation, Rsvp
from surveys.export import Cell, to_csv, to_xlsx

RSVP_NAMES = {Rsvp.GOING: "going", Rsvp.MAYBE: "maybe", Rsvp.NOT_GOING: "not going"}
HEADER = ["section", "item", "detail", "count", "text"]


class Format(StrEnum):
    TEXT = "text"
    CSV = "csv"
    XLSX = "xlsx"


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == "\n" else repr(ch)[1:-1] for ch in text)


def _time(moment: datetime) -> str:
    return moment.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def rows(found: Summary, place: str) -> list[list[Cell]]:
    """The summary as rows (section, item, detail, count, text): the same facts as the text."""
    hearing = found.hearing
    title = Content(hearing.title, hearing.fallback_language).in_language("en")
    table: list[list[Cell]] = [
        [
            "hearing",
            str(hearing.id),
            f"{hearing.status}, {place}, starts {_time(hearing.starts_at)}",
            None,
            title,
        ]
    ]
    for (answer, language), n in sorted(found.answers.items()):
        table.append(["answer", RSVP_NAMES[answer], language, n, None])
    if hearing.capacity is not None:
        table.append(["capacity", "places", None, hearing.capacity, None])
        table.append(["capacity", "waiting list", None, found.waiting, None])
    for code, n in found.interpretation.items():
        table.append(["interpretation", code, "going or maybe, reading this language", n, None])
    if hearing.accessibility:
        note = Content(hearing.accessibility, hearing.fallback_language).in_language("en")
        table.append(["accessibility", "offered", None, None, note])
    for question in found.questions:
        table.append(
            [
                "question",
                f"#{question.id}",
                f"{question.moderation}, {_time(question.received_at)}",
                None,
                question.text,
            ]
        )
    for item in found.feedback:
        table.append(
            [
                "feedback",
                f"#{item.id}",
                f"{_time(item.published_at)} by {item.published_by}",
                item.sent,
                f"sent {item.sent}, failed {item.failed}, waiting {item.waiting}",
            ]
        )
    for answer, name in found.names:
        table.append(["name", RSVP_NAMES[answer], None, None, name or "(name not given yet)"])
    return table


def text_lines(found: Summary, place: str) -> list[str]:
    hearing = found.hearing
    title = Content(hearing.title, hearing.fallback_language).in_language("en")
    lines = [f"hearing {hearing.id}: {title} [{hearing.status}], {place}, starts {_time(hearing.starts_at)}"]
    totals = found.by_answer()
    for answer in Rsvp:
        languages = ", ".join(
            f"{lang} {n}" for (a, lang), n in sorted(found.answers.items()) if a == answer and n
        )
        lines.append(f"{RSVP_NAMES[answer]:<10} {totals[answer]}" + (f" ({languages})" if languages else ""))
    if hearing.capacity is not None:
        lines.append(f"places {hearing.capacity}, waiting list {found.waiting}")
    for code, n in found.interpretation.items():
        lines.append(f"interpretation into {code}: {n} going or maybe read {code}")
    if hearing.accessibility:
        lines.append(
            "accessibility offered: "
            + Content(hearing.accessibility, hearing.fallback_language).in_language("en")
        )
    states = found.by_moderation()
    shown = ", ".join(f"{state} {states[state]}" for state in Moderation)
    lines.append(f"questions {len(found.questions)} ({shown})")
    for question in found.questions:
        lines.append(
            f"  #{question.id} [{question.moderation}] {_time(question.received_at)}  "
            f"{_printable(question.text)}"
        )
    if not found.feedback:
        lines.append("feedback: none published yet")
    for item in found.feedback:
        lines.append(
            f"feedback #{item.id} {_time(item.published_at)} by {item.published_by}: "
            f"sent {item.sent}, failed {item.failed}, waiting {item.waiting}"
        )
    if found.names:
        lines.append("names:")
    for answer, name in found.names:
        lines.append(f"  {RSVP_NAMES[answer]:<10} {_printable(name) if name else '(name not given yet)'}")
    return lines


def summary_command(
    hearing_id: Annotated[int, typer.Argument(help="The hearing's id (civicbot hearing list).")],
    as_: Annotated[str, typer.Option("--as", help="The staff member acting (a name or Telegram user id).")],
    format_: Annotated[Format, typer.Option("--format", help="text, csv or xlsx.")] = Format.TEXT,
    output: Annotated[Path | None, typer.Option(help="The file to write (needed for xlsx).")] = None,
) -> None:
    """Answers by language, interpretation, questions with their moderation state, feedback results
    (reading is audited; names only for a hearing that needs them, never phone numbers).

    \b
    Examples:
      civicbot hearing summary 3 --as nino
      civicbot hearing summary 3 --as nino --format xlsx --output hearing-3.xlsx
    """
    if format_ is Format.XLSX and output is None:
        raise typer.BadParameter("an xlsx file needs --output FILE", param_hint="--output")

    async def _summary(session: AsyncSession) -> tuple[Summary, str]:
        found = await summary(session, hearing_id, await staff.by_ref(session, as_))
        place = await session.get_one(Municipality, found.hearing.municipality_id)
        return found, place.name_in("en")

    found, place = run_refusable(_summary, commit_refusals=(ScopeDenied,))
    if format_ is Format.TEXT:
        body = "\n".join(text_lines(found, place)) + "\n"
        if output is None:
            typer.echo(body, nl=False)
        else:
            output.write_text(body, encoding="utf-8")
    elif format_ is Format.CSV:
        table = to_csv(HEADER, rows(found, place))
        if output is None:
            typer.echo(table, nl=False)
        else:
            output.write_text(table, encoding="utf-8-sig")  # the BOM: Excel reads it as UTF-8
    else:
        assert output is not None
        output.write_bytes(to_xlsx(HEADER, rows(found, place), title=f"hearing {hearing_id}"))
    if output is not None:
        typer.echo(f"hearing {hearing_id} summary written to {output}")
