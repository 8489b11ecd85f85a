"""`civicbot audience`, `civicbot campaign`, `civicbot staff`: the coordinators' campaign tools.

Each command is one transaction. A refusal (wrong role, outside an officer's municipality, a missing
language) is printed, exits with status 1, and still commits: the services refuse before changing
anything, so what is kept is the refusal's audit entry.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_watch
from bot.cli_campaign_edit import edit_command
from bot.cli_transaction import run_refusable
from bot.scheduler import SchedulerSettings
from bot.settings import Settings
from campaigns import audience, service, staff, staff_notices
from campaigns.audience import AudienceSpec
from campaigns.definition import CampaignDraft
from campaigns.dryrun import DryRun, Rates, dry_run
from campaigns.errors import CampaignError
from campaigns.quiet import next_allowed_for, place_names, release
from campaigns.schedule import TBILISI
from campaigns.timetable import fire_due, timetable
from channels import outbox
from channels.holds import current, describe
from channels.settings import DeliverySettings
from channels.tally import tally
from contacts.registry import municipalities
from storage.base import utcnow
from storage.models.campaigns import Campaign, CampaignStatus, Role, StaffMember

T = TypeVar("T")

audience_app = typer.Typer(help="Count who an audience reaches.", no_args_is_help=True)
campaign_app = typer.Typer(help="Write, approve, schedule and follow campaigns.", no_args_is_help=True)
staff_app = typer.Typer(help="Who may run campaigns: coordinators and officers.", no_args_is_help=True)

AS = typer.Option(..., "--as", help="Staff member acting: name or Telegram user id (audited).")
MUNICIPALITY = typer.Option(None, "--municipality", help="Municipality code; repeat for several.")
LANGUAGE = typer.Option(None, "--language", help="ka, az, hy, ru or en; repeat for several.")
CHANNEL = typer.Option(None, "--channel", help="telegram or sms; repeat for both.")
TOPIC = typer.Option(None, "--topic", help="Topic code (people following any of them); repeatable.")


def _transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction; print a refusal and exit 1 (keeping its audit entry)."""
    return run_refusable(work)


def _checked(build: Callable[[], T]) -> T:
    """A definition parsed before any transaction: a mistake is printed, exit status 1."""
    try:
        return build()
    except CampaignError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from exc


def _spec(
    municipality: list[str] | None,
    language: list[str] | None,
    channel: list[str] | None,
    topic: list[str] | None,
) -> dict[str, Any]:
    return {
        key: value
        for key, value in (
            ("municipalities", municipality),
            ("languages", language),
            ("channels", channel),
            ("topics", topic),
        )
        if value
    }


def _rates() -> Rates:
    settings = Settings()
    return Rates(
        telegram_per_second=DeliverySettings().telegram_limit().rate,
        sms_per_second=settings.twilio.sms_messages_per_second,
        sms_price_per_segment=Decimal(str(settings.twilio.sms_price_per_segment)),
    )


@audience_app.command("count")
def audience_count(
    municipality: list[str] | None = MUNICIPALITY,
    language: list[str] | None = LANGUAGE,
    channel: list[str] | None = CHANNEL,
    topic: list[str] | None = TOPIC,
) -> None:
    """Count, live, the people an audience reaches: in total, per channel and per language.

    Example: civicbot audience count --municipality marneuli --language az --topic hearings
    """
    spec = _checked(lambda: AudienceSpec.from_dict(_spec(municipality, language, channel, topic)))
    counted = _transaction(lambda session: audience.count(session, spec))
    typer.echo(f"people: {counted.total}")
    for name, values in (("channel", counted.by_channel), ("language", counted.by_language)):
        typer.echo(f"by {name}: " + (", ".join(f"{k} {v}" for k, v in values.items()) or "-"))


@campaign_app.command("create")
def campaign_create(
    file: Annotated[Path | None, typer.Argument(exists=True, dir_okay=False, help="A YAML file.")] = None,
    actor: str = AS,
    name: str | None = typer.Option(None, help="Campaign name (without a file)."),
    text: Annotated[list[str] | None, typer.Option("--text", help="LANG=TEXT, one per language.")] = None,
    municipality: list[str] | None = MUNICIPALITY,
    language: list[str] | None = LANGUAGE,
    channel: list[str] | None = CHANNEL,
    topic: list[str] | None = TOPIC,
    fallback: str | None = typer.Option(None, help="Fallback language for people without a text."),
    at: str | None = typer.Option(
        None, help="Send at this Tbilisi time: 'YYYY-MM-DD HH:MM', 'tomorrow 10:00' or 'in 2 hours'."
    ),
    urgent: bool = typer.Option(False, help="Ignore quiet hours (emergencies only)."),
) -> None:
    """Create a draft campaign from a YAML file (campaigns/FORMAT.md) or from options.

    \b
    Examples:
      civicbot campaign create campaigns/examples/hearing_notice.yaml --as nino
      civicbot campaign create --as nino --name "Water cut" --municipality dmanisi \\
          --text ka="ხვალ წყალი არ იქნება." --text az="Sabah su olmayacaq." --urgent
    """
    if file is not None:
        source = file.read_text(encoding="utf-8")
        draft = _checked(lambda: CampaignDraft.from_yaml(source))
    else:
        texts = dict(item.split("=", 1) for item in text or () if "=" in item)
        step: dict[str, Any] = {"texts": texts, "urgent": urgent, "schedule": {"at": at} if at else "now"}
        data: dict[str, Any] = {
            "name": name,
            "audience": _spec(municipality, language, channel, topic),
            "steps": [step],
            "base_language": next(iter(texts), "ka"),
        }
        if fallback:
            data["fallback_language"] = fallback
        draft = _checked(lambda: CampaignDraft.from_dict(data))

    async def _create(session: AsyncSession) -> Campaign:
        return await service.create(session, draft, await staff.by_ref(session, actor))

    campaign = _transaction(_create)
    typer.echo(
        f"campaign {campaign.id} created as a draft; "
        f"next: civicbot campaign submit {campaign.id} --as {shlex.quote(actor)}"
    )


def _transition(verb: str, action: Callable[..., Awaitable[Campaign]]) -> Callable[[int, str], None]:
    def command(campaign_id: int = typer.Argument(..., help="Campaign id."), actor: str = AS) -> None:
        async def _act(session: AsyncSession) -> tuple[Campaign, list[StaffMember]]:
            campaign = await action(session, campaign_id, await staff.by_ref(session, actor))
            waiting = campaign.status == CampaignStatus.SUBMITTED
            return campaign, await staff_notices.approvers(session, campaign) if waiting else []

        campaign, approvers = _transaction(_act)
        typer.echo(f"campaign {campaign.id} is {campaign.status}")
        if campaign.status == CampaignStatus.SUBMITTED:
            typer.echo(_told(campaign.id, approvers))
        if campaign.status == CampaignStatus.APPROVED:  # who approved may schedule it
            typer.echo(f"next: civicbot campaign schedule {campaign.id} --as {shlex.quote(actor)}")

    command.__doc__ = (
        f"{verb.capitalize()} a campaign (audited with who did it).\n\n"
        f"Example: civicbot campaign {verb} 12 --as giorgi"
    )
    return command


for _verb, _action in (
    ("submit", service.submit),
    ("approve", service.approve),
    ("pause", service.pause),
    ("resume", service.resume),
    ("cancel", service.cancel),
):
    campaign_app.command(_verb)(_transition(_verb, _action))


def _told(campaign_id: int, approvers: list[StaffMember]) -> str:
    told = [m.label for m in approvers if m.telegram_id is not None]
    if told:
        return f"told on Telegram: {', '.join(told)} (they can approve it with /approve {campaign_id})"
    names = [shlex.quote(m.label) for m in approvers] or ["<coordinator>"]  # quoted: works as printed
    return (
        "no coordinator who may approve it has a Telegram id, so nobody was told; "
        f"ask one to run: civicbot campaign approve {campaign_id} --as {names[0]}"
    )


@campaign_app.command("reject")
def campaign_reject(
    campaign_id: int = typer.Argument(..., help="Campaign id."),
    reason: str = typer.Option(..., "--reason", help="What the author should change (they are told)."),
    actor: str = AS,
) -> None:
    """Return a submitted campaign to its author as a draft, with the reason (audited, sent to them).

    Example: civicbot campaign reject 12 --reason "The date in the Azerbaijani text is wrong." --as giorgi
    """

    async def _reject(session: AsyncSession) -> Campaign:
        return await service.reject(session, campaign_id, await staff.by_ref(session, actor), reason)

    campaign = _transaction(_reject)
    typer.echo(f"campaign {campaign.id} is {campaign.status} again; its author is told why")


campaign_app.command("edit")(edit_command)


@campaign_app.command("schedule")
def campaign_schedule(campaign_id: int = typer.Argument(..., help="Campaign id."), actor: str = AS) -> None:
    """Schedule an approved campaign; a step due now is queued at once (audited with who did it).

    Example: civicbot campaign schedule 12 --as giorgi
    """
    settings = SchedulerSettings()

    async def _schedule(session: AsyncSession) -> tuple[Campaign, str]:
        now = utcnow()
        campaign = await service.schedule(session, campaign_id, await staff.by_ref(session, actor), now)
        queued = await fire_due(session, campaign.id, now, settings.grace, quiet=settings.quiet)
        codes = AudienceSpec.from_dict(campaign.audience).municipalities
        if queued == 0:
            plan = await timetable(session, now, settings.grace)
            steps = {step.id: step.position for step in campaign.steps}
            times = [
                f"step {steps[o.step_id]} at {_tbilisi(o.at)}" for o in plan.upcoming if o.step_id in steps
            ]
            return campaign, "nothing is due yet; " + ("; ".join(times) or "no step left to send")
        urgent = all(step.urgent for step in campaign.steps)
        goes = await next_allowed_for(session, codes, now, default=settings.quiet, urgent=urgent)
        places = place_names(await municipalities(session), codes)
        return campaign, release(queued, now, [goes]).sentence("message", "messages", places)

    campaign, told = _transaction(_schedule)
    typer.echo(f"campaign {campaign.id} is {campaign.status}; {told}")
    typer.echo(f"next: civicbot campaign status {campaign.id}")


def _tbilisi(moment: datetime) -> str:
    return f"{moment.astimezone(TBILISI):%Y-%m-%d %H:%M} (Tbilisi time)"


@campaign_app.command("status")
def campaign_status(
    campaign_id: int = typer.Argument(..., help="Campaign id."),
    watch: bool = typer.Option(False, help="Then a progress line every 2 s until nothing waits."),
) -> None:
    """Show a campaign's state and its delivery: pending, sent, failed and the time left.

    Example: civicbot campaign status 12
    """
    rates = _rates()

    async def _status(session: AsyncSession) -> tuple[Campaign, outbox.DeliveryProgress, list[str]]:
        campaign = await service.get(session, campaign_id)
        progress = await outbox.progress(
            session,
            campaign_id=campaign_id,
            rates={"telegram": rates.telegram_per_second, "sms": rates.sms_per_second},
        )
        pacing = describe(await current(session, now=utcnow()))  # e.g. "held by Telegram until 14:03:12"
        return campaign, progress, pacing

    campaign, progress, pacing = _transaction(_status)
    typer.echo(f"campaign {campaign.id}: {campaign.name} [{campaign.status}]")
    if campaign.status == CampaignStatus.DRAFT and campaign.rejection_reason and campaign.rejected_at:
        typer.echo(f"returned {_tbilisi(campaign.rejected_at)}: {campaign.rejection_reason}")
    typer.echo(f"audience: {campaign.audience or 'everyone'}")
    for step in campaign.steps:
        typer.echo(f"step {step.position}: {step.schedule_kind}, fired {step.fired_count} time(s)")
    typer.echo(
        f"pending {progress.pending + progress.sending}, sent {progress.sent + progress.delivered}, "
        f"failed {progress.failed + progress.undelivered}, unreachable {progress.unreachable}, "
        f"cancelled {progress.cancelled}"
    )
    typer.echo(f"time left: {progress.eta or 'nothing left'}")
    counted = _transaction(lambda session: tally(session, utcnow(), campaign_id=campaign_id))
    for line in counted.lines():
        typer.echo(line)
    if counted.first_release is not None:
        typer.echo(f"held by quiet hours until {_tbilisi(counted.first_release)}")
    for line in pacing:
        typer.echo(line)
    if watch:
        cli_watch.watch(
            lambda: _transaction(lambda session: tally(session, utcnow(), campaign_id=campaign_id)),
            typer.echo,
            time.sleep,
        )


@campaign_app.command("list")
def campaign_list(
    status: Annotated[list[CampaignStatus] | None, typer.Option(help="Only these states.")] = None,
) -> None:
    """List campaigns, newest first.

    Example: civicbot campaign list --status submitted
    """
    campaigns = _transaction(lambda session: service.listing(session, status or ()))
    for campaign in campaigns:
        typer.echo(f"{campaign.id:>5}  {campaign.status:<10} {campaign.name}")
    if not campaigns:
        typer.echo("no campaigns")


@campaign_app.command("dry-run")
def campaign_dry_run(campaign_id: int = typer.Argument(..., help="Campaign id.")) -> None:
    """Counts per channel and language, SMS segments and cost per language, and sending time; sends nothing.

    Example: civicbot campaign dry-run 12
    """
    rates = _rates()

    async def _dry(session: AsyncSession) -> DryRun:
        return await dry_run(session, await service.get(session, campaign_id), rates)

    typer.echo(describe_dry_run(_transaction(_dry)))


def describe_dry_run(result: DryRun) -> str:
    lines = [
        f"people: {result.audience.total}, steps: {result.steps}, messages: {result.messages} "
        f"(telegram {result.telegram_messages}, sms {result.sms_messages})"
    ]
    for e in result.languages:
        lines.append(
            f"  {e.language}: telegram {e.telegram}, sms {e.sms}, "
            f"{e.sms_segments_per_person} segment(s) a person, {e.sms_segments} segments, "
            f"cost {e.sms_cost}" + ("" if e.has_text else "  (NO TEXT and no fallback)")
        )
    lines.append(f"sms total: {result.sms_segments} segments, cost {result.sms_cost}")
    lines.append(f"one step takes about {result.step_duration} at the configured rates")
    return "\n".join(lines)


@staff_app.command("grant")
def staff_grant(
    role: Annotated[Role, typer.Option(help="coordinator or officer.")],
    telegram_id: int | None = typer.Option(None, help="Telegram user id (for the admin commands)."),
    name: str | None = typer.Option(None, help="Name used with --as on the command line."),
    municipality: str | None = typer.Option(None, help="An officer's municipality code."),
    rename: bool = typer.Option(False, help="Change the name or Telegram id of an existing member."),
    language: str | None = typer.Option(
        None, help="ka, az, hy, ru or en: the language of their notices on Telegram (new members: ka)."
    ),
) -> None:
    """Make someone a coordinator or an officer of one municipality (or change their role).

    Example: civicbot staff grant --telegram-id 123456789 --name nino --role officer --municipality marneuli
    """
    member = _transaction(
        lambda session: staff.grant(
            session,
            role,
            telegram_id=telegram_id,
            name=name,
            municipality_code=municipality,
            rename=rename,
            language=language,
        )
    )
    typer.echo(f"{member.label} is now {member.role}")


@staff_app.command("revoke")
def staff_revoke(who: str = typer.Argument(..., help="Name or Telegram user id.")) -> None:
    """Take away someone's staff rights (their past actions stay in the audit log).

    Example: civicbot staff revoke nino
    """
    member = _transaction(lambda session: staff.revoke(session, who))
    typer.echo(f"{member.label} is no longer staff")


@staff_app.command("list")
def staff_list() -> None:
    """List staff members with role, municipality, the language of their notices and whether they are
    active.

    Example: civicbot staff list
    """

    async def _list(session: AsyncSession) -> list[tuple[StaffMember, str]]:
        rows = []
        for member in await staff.all_staff(session):
            home = await staff.home(session, member)
            rows.append((member, home.code if home else "all"))
        return rows

    rows = _transaction(_list)
    if not rows:
        typer.echo(
            "no staff yet; add the first coordinator with:\n"
            "  civicbot staff grant --name <name> --role coordinator"
        )
    for member, where in rows:
        state = "active" if member.active else "revoked"
        typer.echo(f"{member.label:<20} {member.role:<12} {where:<12} {member.language:<4} {state}")
