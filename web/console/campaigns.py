"""Campaigns in the browser: list, builder with live audience count and preview, and the life cycle
(submit, approve or return with a reason by another coordinator, schedule, pause, resume, cancel) through
`campaigns.service`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from campaigns import approval, audience, service, staff
from campaigns.audience import AudienceSpec
from campaigns.errors import CampaignError
from campaigns.outline import step_time
from channels.message import Text
from contacts.options import TOPICS
from contacts.registry import municipalities
from storage.base import utcnow
from storage.models.campaigns import Campaign, StaffMember
from web.console import campaign_form, figures
from web.console.auth import Console, as_staff
from web.console.overview import ensure_campaign_scope
from web.paths import RowId

router = APIRouter(prefix="/console/campaigns")
ACTIONS = {
    "submit": service.submit,
    "approve": service.approve,
    "schedule": service.schedule,
    "pause": service.pause,
    "resume": service.resume,
    "cancel": service.cancel,
}


def _price(console: Console) -> Decimal:
    return Decimal(str(console.request.app.state.service.settings.twilio.sms_price_per_segment))


async def _visible(console: Console, campaign: Campaign) -> bool:
    if console.coordinator:
        return True
    return console.home is not None and campaign.audience.get("municipalities") == [console.home.code]


@router.get("")
async def listing(request: Request) -> Response:
    async def _list(console: Console) -> Response:
        rows = [c for c in await service.listing(console.session) if await _visible(console, c)]
        return console.page("console/campaigns.html", campaigns=rows, labels=service.STATUS_LABELS)

    return await as_staff(request, _list)


@router.get("/new")
async def new(request: Request) -> Response:
    async def _new(console: Console) -> Response:
        places = await municipalities(console.session)
        if not console.coordinator:
            places = [p for p in places if console.home and p.id == console.home.id]
        return console.page("console/campaign_new.html", places=places, form={}, error=None, topics=TOPICS)

    return await as_staff(request, _new)


async def _ensure_audience_scope(console: Console, spec: AudienceSpec) -> None:
    """An officer's audience is their own municipality: anything else is refused (and audited)."""
    await staff.ensure_scope(console.session, console.member, spec, action="count", subject="audience")


@router.post("/audience")
async def audience_count(request: Request) -> Response:
    """htmx: the live count of the audience being built, per channel and language."""

    async def _count(console: Console) -> Response:
        try:
            spec = campaign_form.audience_of(console.form)
            await _ensure_audience_scope(console, spec)  # officers count only their own people
            counted = await audience.count(console.session, spec)
        except CampaignError as exc:
            return console.page("console/_error.html", message=console.text(exc.message))
        return console.page("console/_audience.html", counted=counted)

    return await as_staff(request, _count, form=True)


@router.post("/preview")
async def preview(request: Request) -> Response:
    """htmx: each language as Telegram and as SMS, and the audience's languages still without text."""

    async def _preview(console: Console) -> Response:
        written = campaign_form.texts(console.form)
        try:
            spec = campaign_form.audience_of(console.form)
            await _ensure_audience_scope(console, spec)
            needed = await approval.audience_languages(console.session, spec)
        except CampaignError as exc:
            return console.page("console/_error.html", message=console.text(exc.message))
        fallback = str(console.form.get("fallback_language", "")) or None
        return console.page(
            "console/_preview.html",
            previews=campaign_form.preview(written, _price(console)),
            missing=campaign_form.missing(needed, written, fallback),
        )

    return await as_staff(request, _preview, form=True)


@router.post("")
async def create(request: Request) -> Response:
    async def _create(console: Console) -> Response:
        try:
            draft = campaign_form.draft_of(console.form)
            campaign = await service.create(console.session, draft, console.member)
        except CampaignError as exc:
            places = await municipalities(console.session)
            if not console.coordinator:
                places = [p for p in places if console.home and p.id == console.home.id]
            return console.page(
                "console/campaign_new.html",
                400,
                places=places,
                form=console.form,
                error=console.text(exc.message),
                topics=TOPICS,
            )
        return RedirectResponse(f"/console/campaigns/{campaign.id}", status_code=303)

    return await as_staff(request, _create, form=True)


@dataclass(frozen=True)
class StepPreview:
    """One step of a campaign as its page shows it: when it goes out, then each language's text."""

    position: int
    heading: str
    previews: list[campaign_form.LanguagePreview]


def _step_previews(console: Console, campaign: Campaign) -> list[StepPreview]:
    """Every step, in order: an approver reads each message that will go out, not only the first."""
    now, price = utcnow(), _price(console)
    steps = campaign.steps  # in position order (the relationship's order_by)
    return [
        StepPreview(
            step.position,
            console.text(
                Text.of(
                    "Step {step} of {steps}: {when}",
                    step=step.position,
                    steps=len(steps),
                    when=step_time(step, now),
                )
            ),
            campaign_form.preview(step.texts, price),
        )
        for step in steps
    ]


@router.get("/{campaign_id}")
async def detail(request: Request, campaign_id: RowId) -> Response:
    async def _detail(console: Console) -> Response:
        campaign = await service.get(console.session, campaign_id)
        await ensure_campaign_scope(console, campaign.audience.get("municipalities") or [])
        returner = (
            await console.session.get(StaffMember, campaign.rejected_by_id)
            if campaign.rejected_by_id
            else None
        )
        return console.page(
            "console/campaign.html",
            campaign=campaign,
            labels=service.STATUS_LABELS,
            p=await figures.progress(console.session, campaign.id),
            steps=_step_previews(console, campaign),
            counted=await audience.count(console.session, audience.AudienceSpec.from_dict(campaign.audience)),
            message=console.request.query_params.get("done"),
            returned_by=returner.label if returner else None,
        )

    return await as_staff(request, _detail)


@router.post("/{campaign_id}/reject")
async def reject(request: Request, campaign_id: RowId) -> Response:
    """Return a submitted campaign to its author with the reason typed (the service checks who may)."""

    async def _reject(console: Console) -> Response:
        reason = str(console.form.get("reason", ""))
        await service.reject(console.session, campaign_id, console.member, reason)
        return RedirectResponse(f"/console/campaigns/{campaign_id}", status_code=303)

    return await as_staff(request, _reject, form=True)


@router.post("/{campaign_id}/{verb}")
async def act(request: Request, campaign_id: RowId, verb: str) -> Response:
    """One life-cycle step; the service checks role, scope, languages and state, and audits it."""

    async def _act(console: Console) -> Response:
        action = ACTIONS.get(verb)
        if action is None:
            return console.page("console/refused.html", 404, reason="domain", message=verb)
        await action(console.session, campaign_id, console.member)
        return RedirectResponse(f"/console/campaigns/{campaign_id}", status_code=303)

    return await as_staff(request, _act, form=True)
