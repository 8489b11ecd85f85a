"""The overview: municipalities (coordinators), one municipality's people, surveys, hearings, campaigns."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from campaigns import audience
from campaigns.audience import AudienceSpec
from campaigns.service import STATUS_LABELS
from channels.holds import PROVIDERS, current
from contacts.options import TOPICS
from contacts.registry import municipalities, municipality_by_code
from storage.base import utcnow
from web.console import figures
from web.console.auth import Console, Forbidden, as_staff
from web.paths import RowId

router = APIRouter(prefix="/console")
CHANNEL_NAMES = {"telegram": "Telegram", "sms": "SMS"}  # product names, the same in every language


@router.get("")
async def home(request: Request) -> Response:
    """Coordinators choose a municipality; an officer goes straight to theirs."""

    async def _home(console: Console) -> Response:
        if console.home is not None and not console.coordinator:
            return RedirectResponse(f"/console/m/{console.home.code}", status_code=303)
        rows = []
        for place in await municipalities(console.session):
            count = await audience.count(console.session, AudienceSpec(municipalities=(place.code,)))
            rows.append((place, count.total))
        return console.page("console/home.html", places=rows)

    return await as_staff(request, _home)


@router.get("/m/{code}")
async def municipality(request: Request, code: str) -> Response:
    async def _page(console: Console) -> Response:
        place = await municipality_by_code(console.session, code)
        if place is None:
            return console.page("console/refused.html", 404, reason="domain", message=code)
        await console.ensure_municipality(place)
        data = await figures.overview(console.session, place)
        progress = {c.id: await figures.progress(console.session, c.id) for c in data.campaigns}
        return console.page(
            "console/overview.html",
            data=data,
            progress=progress,
            labels=STATUS_LABELS,
            topic_names=TOPICS,
            channel_names=CHANNEL_NAMES,
            lanes=await current(console.session, now=utcnow()) if data.campaigns else {},
            providers=PROVIDERS,
        )

    return await as_staff(request, _page)


@router.get("/campaigns/{campaign_id}/progress")
async def campaign_progress(request: Request, campaign_id: RowId) -> Response:
    """The live part of a campaign (polled by htmx): queued, held for quiet hours, sent, failed."""

    async def _fragment(console: Console) -> Response:
        from campaigns.service import get

        campaign = await get(console.session, campaign_id)
        await ensure_campaign_scope(console, campaign.audience.get("municipalities") or [])
        shown = request.query_params.get("shown")
        if shown and shown != campaign.status:  # the page's actions are stale: reload it whole
            return Response(status_code=204, headers={"HX-Refresh": "true"})
        return console.page(
            "console/_progress.html",
            campaign=campaign,
            labels=STATUS_LABELS,
            p=await figures.progress(console.session, campaign_id),
            lanes=await current(console.session, now=utcnow()),
            providers=PROVIDERS,
            channel_names=CHANNEL_NAMES,
        )

    return await as_staff(request, _fragment)


async def ensure_campaign_scope(console: Console, codes: list[str]) -> None:
    """An officer sees only campaigns for exactly their own municipality."""
    if console.coordinator:
        return
    if console.home is None or codes != [console.home.code]:
        await console.record("console.scope_denied", "campaign", path=console.request.url.path)
        raise Forbidden
