"""`civicbot survey ...` and `civicbot demo-data`: the coordinators' survey tools.

`commands` is merged into the main CLI (`app.add_typer(commands)` in bot/cli.py): it carries the
`survey` group and the top-level `demo-data` command. Each command is one transaction; problems are
printed to stderr with a non-zero exit, and nothing is half-done.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from channels.i18n import TIMEZONE
from contacts.vault import DataVault
from storage.db import create_engine_unpooled, session_factory, unit_of_work
from storage.seed import PILOTS
from surveys import lifecycle
from surveys.definition import QuestionKind, SurveyDefinitionError
from surveys.export import Cell, export_rows, to_csv, to_xlsx
from surveys.report import results_json, results_table
from surveys.results import Dimension, survey_results
from surveys.xlsform import XLSFormError

T = TypeVar("T")
EXAMPLES = Path(__file__).resolve().parent.parent / "surveys" / "examples"
DEMO_SURVEYS = ("budget_flash_poll.yaml", "participation_questionnaire.yaml")

Code = Annotated[str, typer.Argument(help="The survey's code.")]
commands = typer.Typer(rich_markup_mode=None)
survey_app = typer.Typer(
    help="Surveys: import (YAML or XLSForm), open, close, results, export.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
commands.add_typer(survey_app, name="survey")


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


@asynccontextmanager
async def _session() -> AsyncIterator[AsyncSession]:
    engine = create_engine_unpooled(Settings().db.database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            yield session
    finally:
        await engine.dispose()


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction; a lifecycle refusal becomes a message and exit code 1."""

    async def _run() -> T:
        async with _session() as session:
            return await work(session)

    try:
        return asyncio.run(_run())
    except lifecycle.SurveyLifecycleError as error:
        raise _fail(f"refused: {error}") from None


def _vault() -> DataVault:
    privacy = Settings().privacy
    key = privacy.data_key.get_secret_value() if privacy.data_key else None
    return DataVault.from_key_or_file(key, privacy.state_dir)


def parse_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """ISO date or date-time; without a zone it is Tbilisi time. A bare date means the start of that
    day, or with `end_of_day` the end of it (so `--until 2026-12-31` includes the 31st)."""
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time(), TIMEZONE)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: use a date (2026-12-31) or a date and time (2026-12-31T18:00)"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=TIMEZONE)).astimezone(UTC)


@survey_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A .yaml/.yml survey or an .xlsx XLSForm.")
    ],
    code: Annotated[
        str | None, typer.Option(help="The survey's code (default: form_id, or the file name).")
    ] = None,
) -> None:
    """Import a survey as a draft; a broken file is refused with every problem (sheet, row, column).

    Examples:

    \b
      civicbot survey import surveys/examples/budget_flash_poll.yaml
      civicbot survey import kobo_form.xlsx --code water-2027
    """
    try:
        survey, source = lifecycle.load_survey_file(file, code=code)
    except (XLSFormError, SurveyDefinitionError) as error:
        problems = [str(problem) for problem in error.problems]
        lines = [f"refused: {file.name} has {len(problems)} problem(s); nothing was imported", *problems]
        raise _fail("\n".join(lines)) from None
    except lifecycle.SurveyLifecycleError as error:
        raise _fail(f"refused: {error}") from None

    async def _store(session: AsyncSession) -> tuple[int, bool]:
        record, changed = await lifecycle.import_survey(session, survey, source)
        return record.id, changed

    survey_id, changed = _in_session(_store)
    asked = sum(1 for q in survey.questions if q.kind is not QuestionKind.NOTE)
    what = "imported" if changed else "already imported, unchanged:"
    languages = ", ".join(survey.languages)
    typer.echo(f"{what} survey {survey.code} (id {survey_id}), draft, {asked} questions in {languages}")


@survey_app.command("list")
def list_() -> None:
    """Every survey with its status, window, targets and responses.

    Examples:

    \b
      civicbot survey list
    """

    async def _list(session: AsyncSession) -> list[str]:
        now = datetime.now(UTC)
        lines = []
        for record in await lifecycle.list_surveys(session):
            counts = await lifecycle.response_counts(session, record.id)
            started = sum(counts.values())
            window = f"{_when(record.opens_at)} .. {_when(record.closes_at)}"
            targets = "; ".join(
                f"{name}: {','.join(values)}"
                for name, values in (
                    ("municipalities", record.target_municipalities),
                    ("languages", record.target_languages),
                    ("topics", record.target_topics),
                )
                if values
            )
            lines.append(
                f"{record.id:>4}  {record.code:<30} {lifecycle.shown_status(record, now):<9} {window}  "
                f"started {started}, completed {counts.get('completed', 0)}  {targets or 'everyone'}"
            )
        return lines

    lines = _in_session(_list)
    typer.echo("\n".join(lines) if lines else "no surveys yet: civicbot survey import FILE")


def _when(moment: datetime | None) -> str:
    return moment.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M") if moment else "-"


@survey_app.command("open")
def open_(
    code: Code,
    start: Annotated[
        str | None, typer.Option("--from", help="When it opens (default now); Tbilisi time.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="When it closes; a bare date includes that whole day.")
    ] = None,
    municipality: Annotated[
        list[str] | None, typer.Option(help="Only people of this municipality (repeatable).")
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option(help="Only people reading this language (repeatable).")
    ] = None,
    topic: Annotated[
        list[str] | None, typer.Option(help="Only people following this topic (repeatable).")
    ] = None,
) -> None:
    """Open a draft (or re-open a closed survey) for a time window and an audience.

    Examples:

    \b
      civicbot survey open budget-flash-poll --until 2026-12-31 --municipality marneuli --municipality dmanisi
      civicbot survey open participation-questionnaire --language az --language hy --topic polls
    """
    opens_at = parse_moment(start) if start else None
    closes_at = parse_moment(until, end_of_day=True) if until else None

    async def _open(session: AsyncSession) -> str:
        record = await lifecycle.open_survey(
            session, code, opens_at=opens_at, closes_at=closes_at,
            municipalities=municipality or (), languages=language or (), topics=topic or (),
        )  # fmt: skip
        return f"survey {record.code} is open from {_when(record.opens_at)} until {_when(record.closes_at)}"

    typer.echo(_in_session(_open))


@survey_app.command("close")
def close(code: Code) -> None:
    """Close a survey for good: no new answers, results stay.

    Examples:

    \b
      civicbot survey close budget-flash-poll
    """

    async def _close(session: AsyncSession) -> str:
        record = await lifecycle.close_survey(session, code)
        return f"survey {record.code} is closed"

    typer.echo(_in_session(_close))


@survey_app.command("results")
def results(
    code: Code,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
    by: Annotated[Dimension | None, typer.Option(help="Break every question down by this.")] = None,
    language: Annotated[str | None, typer.Option(help="Language of the labels (default English).")] = None,
) -> None:
    """Counts and percentages per question, the response funnel, optional breakdowns; every group
    smaller than 5 people is shown as <5 (and one more count where it could be worked out).

    Examples:

    \b
      civicbot survey results budget-flash-poll
      civicbot survey results budget-flash-poll --by municipality --format json
    """
    vault = _vault() if by is Dimension.GROUP else None

    async def _results(session: AsyncSession) -> str:
        record = await lifecycle.survey_by_code(session, code)
        if record is None:
            raise lifecycle.SurveyLifecycleError(f"no survey with the code {code!r}")
        found = await survey_results(session, record, by=by, vault=vault)
        if output is OutputFormat.JSON:
            return json.dumps(results_json(found, language), ensure_ascii=False, indent=2)
        return results_table(found, language)

    typer.echo(_in_session(_results))


@survey_app.command("export")
def export(
    code: Code,
    output_format: Annotated[ExportFormat, typer.Option("--format", help="csv or xlsx.")],
    output: Annotated[Path, typer.Option(help="The file to write.")],
) -> None:
    """One row per response with a pseudonymous respondent id; no names, phone numbers or Telegram ids.

    Examples:

    \b
      civicbot survey export budget-flash-poll --format csv --output budget.csv
      civicbot survey export budget-flash-poll --format xlsx --output budget.xlsx
    """
    vault = _vault()

    async def _export(session: AsyncSession) -> tuple[list[str], list[list[Cell]]]:
        record = await lifecycle.survey_by_code(session, code)
        if record is None:
            raise lifecycle.SurveyLifecycleError(f"no survey with the code {code!r}")
        return await export_rows(session, record, vault)

    header, rows = _in_session(_export)
    if output_format is ExportFormat.CSV:
        output.write_text(to_csv(header, rows), encoding="utf-8-sig")  # the BOM: Excel reads it as UTF-8
    else:
        output.write_bytes(to_xlsx(header, rows, title=code))
    typer.echo(f"{len(rows)} responses written to {output}")


@commands.command("demo-data")
def demo_data() -> None:
    """Import and open the two example surveys for all pilot municipalities (safe to repeat; run
    `civicbot seed` first)."""
    pilots = [pilot.code for pilot in PILOTS]

    async def _demo(session: AsyncSession) -> list[str]:
        lines = []
        for name in DEMO_SURVEYS:
            survey, source = lifecycle.load_survey_file(EXAMPLES / name)
            record, _ = await lifecycle.import_survey(session, survey, source)
            if record.status == "draft":
                await lifecycle.open_survey(session, record.code, municipalities=pilots)
                lines.append(f"survey {record.code} imported and opened for {', '.join(pilots)}")
            else:
                lines.append(f"survey {record.code} already {record.status}")
        return lines

    typer.echo("\n".join(_in_session(_demo)))
