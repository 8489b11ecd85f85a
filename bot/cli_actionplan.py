"""`civicbot actionplan`: officers and coordinators set up a municipality's action plan, update its items
(one by one or from a CSV file) and read it back. Status changes are told to followers and to the people
whose input led to the item, through the outbox, after quiet hours."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import actionplan_import, actionplan_views, actionplans
from benchmarking.actionplan_import import ImportRefused
from benchmarking.actionplan_notices import Told
from benchmarking.actionplans import ItemDraft, Update
from bot.cli_transaction import run_refusable
from bot.scheduler import SchedulerSettings
from campaigns import staff
from campaigns.errors import ScopeDenied
from campaigns.quiet import place_names, release
from channels.i18n import LANGUAGES
from channels.message import Content
from contacts.registry import municipalities
from storage import safe_yaml
from storage.base import utcnow
from storage.models.actionplans import ItemStatus

T = TypeVar("T")

app = typer.Typer(help="Action plans: items, progress, updates from CSV, reports.", no_args_is_help=True)
item_app = typer.Typer(help="Items of a plan.", no_args_is_help=True)
app.add_typer(item_app, name="item")

AS_HELP = "The staff member acting (a name or a Telegram user id); officers act on their own municipality."
Actor = Annotated[str, typer.Option("--as", help=AS_HELP)]
Municipality = Annotated[
    str, typer.Option(help="Municipality code (batumi, chokhatauri, dmanisi, marneuli).")
]
Title = Annotated[str | None, typer.Option(help="The title in this language.")]
STATUSES = ", ".join(status.value for status in ItemStatus)


def _run(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One transaction: committed on success; a refusal keeps only its audit entry; errors exit 1."""
    return run_refusable(action, commit_refusals=(ScopeDenied, ImportRefused))


def _titles(**by_language: str | None) -> dict[str, str]:
    return {lang.removeprefix("title_"): text for lang, text in by_language.items() if text}


def _told(told: Told, places: str) -> str:
    """ "3 messages queued; they go out now" or "...; quiet hours in Dmanisi until 09:00, ..."."""
    if told.waiting:
        return "nobody told yet: a coordinator must approve the item first (civicbot actionplan approve)"
    queued = release(told.queued, utcnow(), [told.goes_at] if told.goes_at else [])
    return queued.sentence("message", "messages", places)


async def _places(session: AsyncSession, item_ids: list[int]) -> str:
    """The municipalities of the items, named in English like the rest of the CLI."""
    homes = {(await actionplans.get_item(session, item_id)).municipality_id for item_id in item_ids}
    return place_names([m for m in await municipalities(session) if m.id in homes], ())


@app.command()
def create(
    as_: Actor,
    file: Annotated[
        Path | None, typer.Argument(exists=True, dir_okay=False, help="A plan YAML file.")
    ] = None,
    municipality: Annotated[str | None, typer.Option(help="Municipality code (without --file).")] = None,
    title_ka: Title = None,
    title_az: Title = None,
    title_hy: Title = None,
    title_ru: Title = None,
    title_en: Title = None,
) -> None:
    """Create the action plan of a municipality, from flags or from a YAML file with its items.

    \b
    Examples:
      civicbot actionplan create --as nino --municipality marneuli \\
          --title-ka "მარნეულის სამოქმედო გეგმა 2027" --title-az "Marneuli fəaliyyət planı 2027"
      civicbot actionplan create plan.yaml --as nino
    The file format is in `benchmarking/actionplan_import.py` (FORMAT).
    """
    titles = _titles(
        title_ka=title_ka, title_az=title_az, title_hy=title_hy, title_ru=title_ru, title_en=title_en
    )
    data: Any = None
    if file is not None:
        try:
            data = safe_yaml.load(file.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(
                f"not a readable UTF-8 YAML file ({exc}); fix it and try again", param_hint="FILE"
            ) from None
    elif not municipality:
        raise typer.BadParameter(
            "give --municipality (and a title), or a plan file", param_hint="--municipality"
        )

    async def _create(session: AsyncSession) -> tuple[int, int]:
        member = await staff.by_ref(session, as_)
        if data is not None:
            plan, items = await actionplan_import.create_from_file(session, data, member)
            return plan.id, len(items)
        plan = await actionplans.create_plan(session, str(municipality), titles, member)
        return plan.id, 0

    plan_id, added = _run(_create)
    typer.echo(
        f"action plan {plan_id} created with {added} items; add more with: civicbot actionplan item add"
    )


@item_app.command("add")
def item_add(
    as_: Actor,
    municipality: Municipality,
    due: Annotated[str, typer.Option(help="Due date, e.g. 2027-06-30.")],
    responsible: Annotated[str, typer.Option(help="The unit of the municipality responsible for it.")],
    title_ka: Title = None,
    title_az: Title = None,
    title_hy: Title = None,
    title_ru: Title = None,
    title_en: Title = None,
    indicator: Annotated[
        list[str] | None, typer.Option(help="A framework indicator code; repeatable.")
    ] = None,
    survey_question: Annotated[
        list[str] | None, typer.Option(metavar="SURVEY:QUESTION", help="Input that led to it; repeatable.")
    ] = None,
    hearing: Annotated[
        list[int] | None, typer.Option(help="A hearing whose input led to it; repeatable.")
    ] = None,
) -> None:
    """Add an item (status planned) to a municipality's plan.

    \b
    Example:
      civicbot actionplan item add --as nino --municipality marneuli --due 2027-06-30 \\
          --responsible "Infrastructure service" --title-ka "სოფლის გზების შეკეთება" \\
          --title-az "Kənd yollarının təmiri" --indicator action_plan_on_time \\
          --survey-question participation-2026:priorities --hearing 3
    """
    try:
        due_on = date.fromisoformat(due)
    except ValueError:
        raise typer.BadParameter(
            f"{due!r} is not a date: write it as 2027-06-30", param_hint="--due"
        ) from None
    pairs: list[tuple[str, str]] = []
    for ref in survey_question or []:
        code, sep, question = ref.partition(":")
        if not sep or not code or not question:
            raise typer.BadParameter(
                f"write {ref!r} as survey-code:question-name", param_hint="--survey-question"
            )
        pairs.append((code, question))
    draft = ItemDraft(
        title=_titles(
            title_ka=title_ka, title_az=title_az, title_hy=title_hy, title_ru=title_ru, title_en=title_en
        ),
        responsible_unit=responsible,
        due_on=due_on,
        indicators=indicator or [],
        survey_questions=pairs,
        hearings=hearing or [],
    )

    async def _add(session: AsyncSession) -> int:
        return (await actionplans.add_item(session, municipality, draft, await staff.by_ref(session, as_))).id

    item_id = _run(_add)
    typer.echo(
        f"item {item_id} added (planned); update it with: civicbot actionplan update {item_id} --status ..."
    )


@app.command()
def update(
    item: Annotated[int, typer.Argument(help="The item's id (civicbot actionplan list).")],
    as_: Actor,
    status: Annotated[str | None, typer.Option(help=f"One of: {STATUSES}.")] = None,
    progress: Annotated[int | None, typer.Option(help="Percent done, 0-100.")] = None,
    evidence: Annotated[str | None, typer.Option(help="What shows the progress, in words.")] = None,
    link: Annotated[str | None, typer.Option(help="Where the evidence can be seen (https://...).")] = None,
    note: Annotated[str | None, typer.Option(help="A note for the history (staff only).")] = None,
) -> None:
    """Update an item; a new status is told to its followers and to the people whose input led to it.

    Example: civicbot actionplan update 12 --as nino --status in_progress --progress 40 --evidence "Tender"
    """
    chosen: ItemStatus | None = None
    if status is not None:
        try:
            chosen = ItemStatus(status.strip().lower().replace(" ", "_"))
        except ValueError:
            raise typer.BadParameter(
                f"{status!r} is not a status: use one of {STATUSES}", param_hint="--status"
            ) from None
    change = Update(status=chosen, progress=progress, evidence=evidence, link=link, note=note)

    async def _update(session: AsyncSession) -> tuple[actionplans.Updated, str]:
        quiet = SchedulerSettings().quiet
        done = await actionplans.update_item(
            session, item, change, await staff.by_ref(session, as_), quiet=quiet
        )
        return done, await _places(session, [item])

    done, places = _run(_update)
    told = f"; status changed, {_told(done.told, places)}" if done.change else ""
    typer.echo(f"item {item}: {done.item.status}, {done.item.progress}%{told}")


@app.command()
def approve(
    item: Annotated[int, typer.Argument(help="The item's id (civicbot actionplan list shows PENDING).")],
    as_: Actor,
) -> None:
    """Coordinators: approve an item someone else wrote; it is then shown to citizens, and the people of
    its latest status change are told.

    Example: civicbot actionplan approve 12 --as giorgi
    """

    async def _approve(session: AsyncSession) -> tuple[actionplans.Updated, str]:
        member = await staff.by_ref(session, as_)
        done = await actionplans.approve_item(session, item, member, quiet=SchedulerSettings().quiet)
        return done, await _places(session, [item])

    done, places = _run(_approve)
    typer.echo(f"item {item} approved; {_told(done.told, places)}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A CSV file of updates.")],
    as_: Actor,
) -> None:
    """Apply a CSV of updates: all rows, or none when any row is bad (each bad row is named by line).

    \b
    Columns (header first; only item is required; an empty cell leaves the field as it is):
      item,status,progress,evidence,link,note
    Example: civicbot actionplan import updates.csv --as nino
    """
    data = file.read_bytes()
    problems: list[str] = []

    async def _import(session: AsyncSession) -> tuple[actionplan_import.Imported, str]:
        try:
            done = await actionplan_import.import_updates(
                session, data, await staff.by_ref(session, as_), quiet=SchedulerSettings().quiet
            )
            return done, await _places(session, done.items)
        except ImportRefused as refused:
            problems.extend(str(problem) for problem in refused.problems)
            raise

    try:
        result, places = _run(_import)
    except typer.Exit:
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        if problems:
            typer.echo("Fix these rows and import the whole file again.", err=True)
        raise
    told = _told(Told(result.told, result.goes_at), places)
    typer.echo(f"{result.rows} items updated, {result.changes} status changes; {told}")


@app.command("list")
def list_items(
    municipality: Annotated[str | None, typer.Option(help="Only this municipality.")] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only items past their due date, not done.")
    ] = False,
    language: Annotated[str, typer.Option(help="Language of the titles.")] = "en",
) -> None:
    """List items: id, municipality, status, progress, due date, OVERDUE or PENDING (approval), title.

    Example: civicbot actionplan list --municipality dmanisi --overdue --language hy
    """
    today = actionplans.local_today(utcnow())

    async def _list(session: AsyncSession) -> list[tuple[Any, str]]:
        where = await actionplans.municipality(session, municipality) if municipality else None
        codes = {m.id: m.code for m in await municipalities(session)}
        found = await actionplans.items(
            session, where.id if where else None, overdue_on=today if overdue else None
        )
        return [(item, codes.get(item.municipality_id, "?")) for item in found]

    rows = _run(_list)
    if not rows:
        typer.echo("no overdue items" if overdue else "no items")
    for item, code in rows:
        flag = "OVERDUE" if actionplans.is_overdue(item, today) else ""
        flag = flag or ("PENDING" if item.approved_at is None else "")
        title = Content(item.title, item.base_language).in_language(language)
        state = f"{item.status:<12} {item.progress:>3}%"
        typer.echo(f"{item.id:>5}  {code:<12} {state}  {item.due_on}  {flag:<7} {title}")


@app.command()
def report(
    municipality: Municipality,
    format_: Annotated[str, typer.Option("--format", help="md or csv.")] = "md",
    language: Annotated[str, typer.Option(help="Language of the labels and titles.")] = "ka",
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of the screen.")] = None,
) -> None:
    """The plan as a Markdown table or CSV, with statuses, progress, overdue flags and evidence.

    Example: civicbot actionplan report --municipality dmanisi --format md --language hy --output plan.md
    """
    if format_ not in ("md", "csv"):
        raise typer.BadParameter(f"{format_!r}: use md or csv", param_hint="--format")
    if language not in LANGUAGES:
        raise typer.BadParameter(f"{language!r}: use one of {', '.join(LANGUAGES)}", param_hint="--language")
    today = actionplans.local_today(utcnow())

    async def _report(session: AsyncSession) -> str:
        place = await actionplans.municipality(session, municipality)
        view = await actionplan_views.load(session, place, today)
        if view.plan is None:
            raise typer.BadParameter(
                f"{municipality} has no action plan yet: create it with civicbot actionplan create",
                param_hint="--municipality",
            )
        return actionplan_views.report(view, language, format_)

    text = _run(_report)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"report written to {output}")
