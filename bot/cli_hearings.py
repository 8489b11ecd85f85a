"""`civicbot hearing`: officers create, announce and cancel public hearings, read RSVPs and questions sent
in advance, and publish feedback. Every command acts as a staff member (`--as`), within their scope."""

from __future__ import annotations

import shlex
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_watch
from bot.cli_hearing_preview import preview_command
from bot.cli_hearing_summary import summary_command
from bot.cli_transaction import run_refusable
from bot.scheduler import SchedulerSettings
from bot.settings import HttpSettings
from campaigns import staff
from campaigns.errors import ScopeDenied
from campaigns.quiet import Release, release
from channels.i18n import TIMEZONE
from channels.message import Content
from channels.tally import Tally, tally
from contacts.registry import municipalities, municipality_by_code
from hearings import notice_period, officers
from hearings.definition import HearingDraft, parse_start
from hearings.reschedule import reschedule as move
from hearings.summary import moderate
from storage import safe_yaml
from storage.base import utcnow
from storage.models import Municipality
from storage.models.hearings import Hearing, Moderation, Rsvp

T = TypeVar("T")

app = typer.Typer(
    help="Public hearings: notices, RSVPs, questions sent in advance, feedback.", no_args_is_help=True
)

AS_HELP = "The staff member acting (a name or a Telegram user id); officers act on their own municipality."
PER_LANGUAGE = "LANG=TEXT, once per language (ka, az, hy, ru, en)."
Actor = Annotated[str, typer.Option("--as", help=AS_HELP)]
HearingId = Annotated[int, typer.Argument(help="The hearing's id (civicbot hearing list).")]
PerLanguage = Annotated[list[str] | None, typer.Option(metavar="LANG=TEXT", help=PER_LANGUAGE)]
Fallback = Annotated[str | None, typer.Option(help="Language for readers whose language has no text.")]
RSVP_NAMES = {Rsvp.GOING: "going", Rsvp.MAYBE: "maybe", Rsvp.NOT_GOING: "not going"}


class HearingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
    hearing_min_notice_days: float = notice_period.MIN_NOTICE_DAYS


def _warn_short_notice(hearing: Hearing) -> None:
    """A warning (not a refusal: an urgent hearing may need it) when people get less notice than promised."""
    minimum = HearingSettings().hearing_min_notice_days
    days = notice_period.too_short(hearing, utcnow(), minimum)
    if days is not None:
        typer.echo(
            f"warning: hearing {hearing.id} gives {days:.1f} days' notice, less than the "
            f"{minimum:g} days of HEARING_MIN_NOTICE_DAYS",
            err=True,
        )


def _run(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One transaction: committed on success; a refusal keeps only its audit entry; errors exit 1."""
    return run_refusable(action, commit_refusals=(ScopeDenied,))


def _pairs(values: list[str], option: str) -> dict[str, str]:
    """["ka=…", "az=…"] -> {"ka": "…", "az": "…"}."""
    result: dict[str, str] = {}
    for value in values:
        lang, sep, text = value.partition("=")
        if not sep:
            raise typer.BadParameter(f"write it as LANG=TEXT, e.g. {option} ka=…", param_hint=option)
        result[lang.strip().lower()] = text
    return result


def _local(hearing: Hearing) -> str:
    return hearing.starts_at.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def _printable(text: str) -> str:
    """A person's words on an officer's terminal: control characters (escape sequences) made visible."""
    return "".join(ch if ch.isprintable() or ch == "\n" else repr(ch)[1:-1] for ch in text)


@app.command()
def create(
    as_: Actor,
    file: Annotated[Path | None, typer.Argument(exists=True, dir_okay=False, help="A YAML file.")] = None,
    municipality: Annotated[str | None, typer.Option(help="Municipality code (marneuli, …).")] = None,
    starts: Annotated[
        str | None, typer.Option(help='Start, Tbilisi time: "YYYY-MM-DD HH:MM" or "in 21 days at 15:00".')
    ] = None,
    duration: Annotated[int | None, typer.Option(help="Length in minutes.")] = None,
    title: PerLanguage = None,
    description: PerLanguage = None,
    place: PerLanguage = None,
    accessibility: PerLanguage = None,
    interpretation: Annotated[
        list[str] | None, typer.Option(metavar="LANG", help="A language interpreted into; repeatable.")
    ] = None,
    names_required: Annotated[
        bool | None, typer.Option("--names-required/--no-names", help="Whether RSVPs give a name.")
    ] = None,
    fallback: Fallback = None,
    capacity: Annotated[
        int | None, typer.Option(help="Places; beyond them people wait and are moved up when one frees.")
    ] = None,
) -> None:
    """Create a draft hearing from a YAML file, flags, or both (flags override the file).

    \b
    Examples:
      civicbot hearing create hearings/examples/budget_hearing.yaml --as nino
      civicbot hearing create hearings/examples/budget_hearing.yaml --as nino --starts "in 30 days at 15:00"
      civicbot hearing create --as nino --municipality dmanisi --starts "in 14 days at 11:00" \\
          --title ka="ბიუჯეტის პროექტის საჯარო განხილვა" --place ka="მერიის სააქტო დარბაზი" --duration 90
    """
    data: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = safe_yaml.load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise typer.BadParameter(f"not valid YAML: {exc}", param_hint="FILE") from exc
        if not isinstance(loaded, dict):
            raise typer.BadParameter("the file must hold one hearing (a mapping)", param_hint="FILE")
        data.update(loaded)
    flags: dict[str, Any] = {
        "municipality": municipality,
        "starts_at": starts,
        "duration_minutes": duration,
        "names_required": names_required,
        "fallback_language": fallback,
        "capacity": capacity,
        "interpretation": interpretation or None,
    }
    data.update({key: value for key, value in flags.items() if value is not None})
    per_language = {
        "title": title,
        "description": description,
        "place": place,
        "accessibility": accessibility,
    }
    for key, values in per_language.items():
        option = f"--{key}"
        if values:
            data[key] = {**(data.get(key) or {}), **_pairs(values, option)}

    async def _create(session: AsyncSession) -> Hearing:
        draft = HearingDraft.from_dict(data)
        return await officers.create(session, draft, await staff.by_ref(session, as_))

    hearing = _run(_create)
    typer.echo(
        f"hearing {hearing.id} created as a draft, starts {_local(hearing)} Tbilisi time; "
        f"announce it with: civicbot hearing announce {hearing.id} --as {shlex.quote(as_)}"
    )


@app.command("list")
def list_hearings(
    municipality: str | None = typer.Option(None, help="Only this municipality."),
    language: str = typer.Option("en", help="Language of the titles."),
) -> None:
    """List hearings, latest first: id, status, start (Tbilisi time), municipality, title.

    Example: civicbot hearing list --municipality marneuli --language az
    """

    async def _list(session: AsyncSession) -> list[tuple[Hearing, str]]:
        where: Municipality | None = None
        if municipality:
            where = await municipality_by_code(session, municipality)
            if where is None:
                valid = ", ".join(sorted(m.code for m in await municipalities(session)))
                raise typer.BadParameter(
                    f"unknown municipality {municipality}; valid codes: {valid}", param_hint="--municipality"
                )
        places = {m.id: m.code for m in await municipalities(session)}
        found = await officers.listing(session, where.id if where else None)
        return [(hearing, places.get(hearing.municipality_id, "?")) for hearing in found]

    rows = _run(_list)
    if not rows:
        typer.echo("no hearings")
    for hearing, code in rows:
        shown = Content(hearing.title, hearing.fallback_language).in_language(language)
        typer.echo(f"{hearing.id:>5}  {hearing.status:<10} {_local(hearing)}  {code:<12} {shown}")


@app.command()
def announce(
    hearing_id: HearingId,
    as_: Actor,
    urgent: Annotated[
        bool, typer.Option(help="Send through quiet hours (a hearing moved at short notice); audited.")
    ] = False,
) -> None:
    """Send the notice (with RSVP buttons) to everyone of the municipality who follows hearings.

    Announcing again reaches only people who were not told yet. Notices wait out the municipality's
    quiet hours (civicbot municipality show CODE) unless --urgent.

    Example: civicbot hearing announce 3 --as nino
    """
    quiet = SchedulerSettings().quiet

    async def _announce(session: AsyncSession) -> tuple[Release, str, Hearing]:
        now = utcnow()
        member = await staff.by_ref(session, as_)
        queued = await officers.announce(
            session,
            hearing_id,
            member,
            now,
            quiet=quiet,
            urgent=urgent,
            public_base_url=HttpSettings().public_base_url,
        )
        hearing = await officers.get(session, hearing_id)
        goes = await officers.send_time(session, hearing, now, quiet=quiet, urgent=urgent)
        place = await session.get_one(Municipality, hearing.municipality_id)
        return release(queued, now, [goes]), place.name_in("en"), hearing

    told, place, hearing = _run(_announce)
    typer.echo(f"hearing {hearing_id} announced; {told.sentence('notice', 'notices', place)}")
    _warn_short_notice(hearing)


@app.command()
def reschedule(
    hearing_id: HearingId,
    as_: Actor,
    starts_at: Annotated[
        str, typer.Option(help='The new start, Tbilisi time: "YYYY-MM-DD HH:MM" or "in 8 days at 15:00".')
    ],
    urgent: Annotated[
        bool, typer.Option(help="Tell people through quiet hours (moved at short notice); audited.")
    ] = False,
) -> None:
    """Move a hearing: everyone who said they will (maybe) come is told the new time in their language;
    answers stay, the reminders follow the new time, and notices not sent yet say the new time.

    Example: civicbot hearing reschedule 3 --starts-at "in 8 days at 15:00" --as nino
    """
    quiet = SchedulerSettings().quiet

    async def _reschedule(session: AsyncSession) -> tuple[Hearing, Release, str, int]:
        now = utcnow()
        member = await staff.by_ref(session, as_)
        hearing, told, goes, retimed = await move(
            session,
            hearing_id,
            parse_start(starts_at),
            member,
            now,
            quiet=quiet,
            urgent=urgent,
            public_base_url=HttpSettings().public_base_url,
        )
        place = await session.get_one(Municipality, hearing.municipality_id)
        return hearing, release(told, now, [goes]), place.name_in("en"), retimed

    hearing, told, place, retimed = _run(_reschedule)
    typer.echo(
        f"hearing {hearing_id} moved to {_local(hearing)} Tbilisi time; "
        f"{told.sentence('message', 'messages', place)}"
    )
    if retimed:
        waiting = "1 notice not sent yet says" if retimed == 1 else f"{retimed} notices not sent yet say"
        typer.echo(f"{waiting} the new time")
    _warn_short_notice(hearing)


@app.command()
def status(
    hearing_id: HearingId,
    watch: Annotated[bool, typer.Option(help="Then a progress line every 2 s until nothing waits.")] = False,
) -> None:
    """Where the hearing's messages stand (notices, reminders, cancellation, feedback), by channel and
    language: queued, held by quiet hours or a pause, sent, failed, cancelled.

    Example: civicbot hearing status 3
    """

    async def _status(session: AsyncSession) -> tuple[Hearing, str, Tally]:
        hearing = await officers.get(session, hearing_id)
        place = await session.get_one(Municipality, hearing.municipality_id)
        return hearing, place.name_in("en"), await tally(session, utcnow(), key_prefix=f"h{hearing.id}:")

    hearing, place, counted = _run(_status)
    title = Content(hearing.title, hearing.fallback_language).in_language("en")
    typer.echo(f"hearing {hearing.id}: {title} [{hearing.status}], {place}, starts {_local(hearing)}")
    for line in counted.lines():
        typer.echo(line)
    if counted.first_release is not None:
        at = counted.first_release.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")
        typer.echo(f"held by quiet hours in {place} until {at} (Tbilisi time)")
    if watch:
        cli_watch.watch(
            lambda: _run(lambda session: tally(session, utcnow(), key_prefix=f"h{hearing_id}:")),
            typer.echo,
            time.sleep,
        )


@app.command()
def cancel(hearing_id: HearingId, as_: Actor) -> None:
    """Cancel a hearing; those who said they would (maybe) come, or asked a question, are told.

    Example: civicbot hearing cancel 3 --as nino
    """

    async def _cancel(session: AsyncSession) -> int:
        return await officers.cancel(session, hearing_id, await staff.by_ref(session, as_))

    typer.echo(f"hearing {hearing_id} cancelled; people to be told: {_run(_cancel)}")


@app.command()
def rsvps(hearing_id: HearingId, as_: Actor) -> None:
    """Count the answers; list names only for a hearing that needs them (reading them is audited).

    Example: civicbot hearing rsvps 3 --as nino
    """

    async def _rsvps(session: AsyncSession) -> officers.RsvpSummary:
        return await officers.rsvp_summary(session, hearing_id, await staff.by_ref(session, as_))

    summary = _run(_rsvps)
    for answer in Rsvp:
        typer.echo(f"{RSVP_NAMES[answer]:<10} {summary.counts[answer]}")
    if summary.names:
        typer.echo("names:")
    for answer, name in summary.names:
        typer.echo(f"  {RSVP_NAMES[answer]:<10} {_printable(name) if name else '(name not given yet)'}")


@app.command()
def questions(
    hearing_id: HearingId,
    as_: Actor,
    hide: Annotated[list[int] | None, typer.Option(metavar="Q", help="Hide question Q; repeatable.")] = None,
    show: Annotated[list[int] | None, typer.Option(metavar="Q", help="Show question Q; repeatable.")] = None,
) -> None:
    """Print the questions sent in advance, oldest first, with their state (new, shown, hidden), to
    prepare the answers (reading is audited); --show / --hide mark questions first.

    \b
    Examples:
      civicbot hearing questions 3 --as nino > questions.txt
      civicbot hearing questions 3 --as nino --show 12 --hide 14
    """

    async def _questions(session: AsyncSession) -> list[tuple[str, str, str, str]]:
        member = await staff.by_ref(session, as_)
        for state, ids in ((Moderation.SHOWN, show or []), (Moderation.HIDDEN, hide or [])):
            for question_id in ids:
                await moderate(session, hearing_id, question_id, state, member)
        found = await officers.questions(session, hearing_id, member)
        return [
            (str(q.id), q.received_at.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M"), q.moderation, q.text)
            for q in found
        ]

    rows = _run(_questions)
    if not rows:
        typer.echo("no questions")
    for number, received, state, text in rows:
        typer.echo(f"#{number}  {received}  [{state}]\n{_printable(text)}\n")


app.command("summary")(summary_command)
app.command("preview")(preview_command)


@app.command()
def feedback(
    hearing_id: HearingId,
    text: Annotated[list[str], typer.Option(metavar="LANG=TEXT", help=PER_LANGUAGE)],
    as_: Actor,
    fallback: Fallback = None,
) -> None:
    """Publish what the municipality did with the input; everyone who answered or asked is told.

    \b
    Example:
      civicbot hearing feedback 3 --as nino \\
          --text ka="ბიუჯეტში დაემატა სოფლის გზების შეკეთება." \\
          --text az="Büdcəyə kənd yollarının təmiri əlavə edildi."
    """
    texts = _pairs(text, "--text")

    async def _feedback(session: AsyncSession) -> int:
        member = await staff.by_ref(session, as_)
        return await officers.publish_feedback(session, hearing_id, texts, member, fallback=fallback)

    typer.echo(f"feedback on hearing {hearing_id} published; people to be told: {_run(_feedback)}")
