"""`civicbot benchmark`: measurement periods, self-assessment scores, the participation index of the
four municipalities side by side, and a municipality's report (Markdown, HTML or Excel, with charts)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import periods as period_service
from benchmarking.framework import Framework, FrameworkError
from benchmarking.framework_yaml import default_framework, load_framework
from benchmarking.index import MunicipalityIndex, compute_index
from benchmarking.report import ReportData, html_page, markdown, number
from benchmarking.report_xlsx import workbook
from bot.cli_transaction import run_refusable
from campaigns import staff
from campaigns.errors import InvalidDefinition, NotAllowed, ScopeDenied
from channels.i18n import LANGUAGES, t
from channels.message import Text
from storage.models.campaigns import Role

T = TypeVar("T")

app = typer.Typer(
    help="Participation benchmarking: periods, self-assessment scores, the index and reports.",
    no_args_is_help=True,
)
period_app = typer.Typer(help="Named measurement periods (baseline, follow-up).", no_args_is_help=True)
population_app = typer.Typer(help="Residents per municipality, for rates per 1,000.", no_args_is_help=True)
app.add_typer(period_app, name="period")
app.add_typer(population_app, name="population")

AS_HELP = "The staff member acting (a name or a Telegram user id)."
FrameworkOpt = Annotated[
    Path | None,
    typer.Option(
        "--framework", exists=True, dir_okay=False, help="A framework YAML (default: the built-in one)."
    ),
]
Language = Annotated[str, typer.Option("--language", help="Language of labels: ka, az, hy, ru or en.")]


def _run(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    return run_refusable(action, commit_refusals=(ScopeDenied,))


def _framework(path: Path | None) -> Framework:
    try:
        return default_framework() if path is None else load_framework(path)
    except FrameworkError as exc:
        typer.echo(f"refused: the framework file has problems:\n{exc}", err=True)
        raise typer.Exit(1) from None


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise typer.BadParameter(f"one of {', '.join(LANGUAGES)}", param_hint="--language")
    return lang


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("a date as YYYY-MM-DD", param_hint=option) from None


def _progress(label: str) -> Callable[[str], None]:
    started = time.monotonic()
    typer.echo(f"{label}…", err=True)

    def step(what: str) -> None:
        typer.echo(f"  {what} done ({time.monotonic() - started:.1f} s)", err=True)

    return step


async def _coordinator(session: AsyncSession, ref: str) -> str:
    member = await staff.by_ref(session, ref)
    if member.role != Role.COORDINATOR:
        raise NotAllowed(Text("Only a coordinator can do this."))
    return member.label


@period_app.command("add")
def period_add(
    name: Annotated[str, typer.Argument(help='The period\'s name, e.g. "2026-baseline".')],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (Tbilisi).")],
    end: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (included).")],
    as_: Annotated[str, typer.Option("--as", help=AS_HELP + " A coordinator.")],
) -> None:
    """Add a measurement period; periods never overlap.

    \b
    Example:
      civicbot benchmark period add 2026-baseline --start 2026-01-01 --end 2026-06-30 --as lela
    """
    starts_on, ends_on = _day(start, "--start"), _day(end, "--end")

    async def _add(session: AsyncSession) -> None:
        actor = await _coordinator(session, as_)
        await period_service.add_period(session, name, starts_on, ends_on, actor=actor)

    _run(_add)
    typer.echo(f"period {name} added: {starts_on} to {ends_on}")


@period_app.command("list")
def period_list() -> None:
    """List the periods, oldest first."""

    async def _list(session: AsyncSession) -> list[tuple[str, date, date]]:
        return [(p.name, p.starts_on, p.ends_on) for p in await period_service.periods(session)]

    found = _run(_list)
    for name, starts_on, ends_on in found:
        typer.echo(f"{name:<20} {starts_on} – {ends_on}")
    if not found:
        typer.echo(
            "no periods yet; add one with: civicbot benchmark period add NAME --start … --end … --as …"
        )


@population_app.command("set")
def population_set(
    municipality: Annotated[str, typer.Option(help="Municipality code (dmanisi, …).")],
    residents: Annotated[int, typer.Option(help="Number of residents.")],
    year: Annotated[int, typer.Option(help="Year of the figure.")],
    as_: Annotated[str, typer.Option("--as", help=AS_HELP + " A coordinator.")],
    source: Annotated[str, typer.Option(help="Where the figure comes from.")] = "Geostat",
) -> None:
    """Set a municipality's residents (until then the 2014 census figure is used for the pilots)."""

    async def _set(session: AsyncSession) -> None:
        actor = await _coordinator(session, as_)
        await period_service.set_population(session, municipality, residents, year, source, actor=actor)

    _run(_set)
    typer.echo(f"{municipality}: {residents} residents ({year}, {source})")


@app.command()
def assess(
    municipality: Annotated[str, typer.Option(help="Municipality code.")],
    period: Annotated[str, typer.Option(help="Period name.")],
    indicator: Annotated[str, typer.Option(help="A self-assessment indicator's code.")],
    score: Annotated[float, typer.Option(help="The score, on the indicator's own scale (e.g. 0-4).")],
    evidence: Annotated[str, typer.Option(help="What the score is based on.")],
    as_: Annotated[str, typer.Option("--as", help=AS_HELP + " Officers assess their own municipality.")],
    link: Annotated[str | None, typer.Option(help="A link to the evidence (http:// or https://).")] = None,
    framework: FrameworkOpt = None,
) -> None:
    """Enter a self-assessment score with its evidence (each entry is kept; the latest counts).

    \b
    Example:
      civicbot benchmark assess --municipality dmanisi --period 2026-baseline --indicator co_decision \\
          --score 2 --evidence "Two budget hearings, minutes published" --as ani
    """
    loaded = _framework(framework)

    async def _assess(session: AsyncSession) -> None:
        member = await staff.by_ref(session, as_)
        await period_service.assess(
            session,
            loaded,
            member,
            municipality_code=municipality,
            period_name=period,
            indicator=indicator,
            score=score,
            evidence=evidence,
            link=link,
        )

    _run(_assess)
    typer.echo(f"{municipality} {period} {indicator}: {score:g} recorded")


async def _compute(
    session: AsyncSession, framework: Framework, names: list[str] | None
) -> dict[tuple[str, str], MunicipalityIndex]:
    for name in names or []:
        await period_service.period_by_name(session, name)
    return await compute_index(session, framework, names)


@app.command()
def index(
    period: Annotated[str | None, typer.Option(help="Period name (default: the latest).")] = None,
    compare: Annotated[str | None, typer.Option(help="An earlier period to compare with.")] = None,
    language: Language = "en",
    framework: FrameworkOpt = None,
) -> None:
    """The four municipalities side by side: each dimension and the overall index (0-100).

    \b
    Examples:
      civicbot benchmark index
      civicbot benchmark index --period 2027-followup --compare 2026-baseline --language ka
    """
    lang, loaded = _language(language), _framework(framework)
    step = _progress("computing the index")

    async def _all(session: AsyncSession) -> tuple[list[str], dict[tuple[str, str], MunicipalityIndex]]:
        names = [period] if period else [p.name for p in await period_service.periods(session)][-1:]
        if not names:
            raise InvalidDefinition(Text("No periods yet."))
        names += [compare] if compare else []
        return names, await _compute(session, loaded, names)

    names, results = _run(_all)
    step("index")
    places = list(dict.fromkeys(code for _, code in results))  # in the order of municipality ids
    first = {code: results[(names[0], code)] for code in places}
    header = [t(lang, "Dimension"), *[first[c].municipality.name_in(lang) for c in places]]
    rows = []
    for n, dimension in enumerate(loaded.dimensions):
        rows.append([dimension.label_in(lang), *[_cell(results, names, c, n, lang) for c in places]])
    rows.append([t(lang, "Overall index"), *[_cell(results, names, c, None, lang) for c in places]])
    rows.append(
        [t(lang, "Indicators without data"), *[f"{first[c].missing}/{first[c].total}" for c in places]]
    )
    typer.echo(f"{names[0]}" + (f" (← {compare})" if compare else ""))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _cell(
    results: dict[tuple[str, str], MunicipalityIndex], names: list[str], code: str, n: int | None, lang: str
) -> str:
    def score(name: str) -> float | None:
        found = results[(name, code)]
        return found.overall if n is None else found.dimensions[n].score

    if len(names) == 1:
        return number(score(names[0]), lang)
    return f"{number(score(names[1]), lang)} → {number(score(names[0]), lang)}"


@app.command()
def report(
    municipality: Annotated[str, typer.Option(help="Municipality code.")],
    period: Annotated[str, typer.Option(help="Period name.")],
    output: Annotated[Path, typer.Option("-o", "--output", dir_okay=False, help="The file to write.")],
    compare: Annotated[str | None, typer.Option(help="An earlier period to show side by side.")] = None,
    format_: Annotated[str, typer.Option("--format", help="md, html or xlsx.")] = "html",
    language: Language = "en",
    framework: FrameworkOpt = None,
) -> None:
    """A municipality's scorecard, with charts (HTML and XLSX), in the language asked for.

    \b
    Example:
      civicbot benchmark report --municipality dmanisi --period 2027-followup --compare 2026-baseline \\
          --format html --language hy -o dmanisi.html
    """
    lang, loaded = _language(language), _framework(framework)
    if format_ not in ("md", "html", "xlsx"):
        raise typer.BadParameter("md, html or xlsx", param_hint="--format")
    step = _progress(f"writing the {format_} report")

    async def _data(session: AsyncSession) -> ReportData:
        place = await period_service.municipality(session, municipality)
        names = [period, *([compare] if compare else [])]
        results = await _compute(session, loaded, names)
        previous = results[(compare, place.code)] if compare else None
        return ReportData(loaded, results[(period, place.code)], previous, lang)

    data = _run(_data)
    step("index")
    if format_ == "xlsx":
        output.write_bytes(workbook(data, step))
    else:
        output.write_text(
            markdown(data, step) if format_ == "md" else html_page(data, step), encoding="utf-8"
        )
    step(f"{output}")
