"""Staff in the browser (coordinators): who may use the console, with which role and municipality;
grant and revoke through `campaigns.staff`, as `civicbot staff grant|revoke` does (audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from campaigns import staff
from campaigns.errors import CampaignError, InvalidDefinition
from channels.message import Text
from contacts.registry import municipalities
from storage.models.campaigns import Role
from web.console.auth import Console, as_staff
from web.paths import RowId

router = APIRouter(prefix="/console/staff")


async def _page(console: Console, status_code: int = 200, error: str | None = None) -> Response:
    places = {p.id: p for p in await municipalities(console.session)}
    members = await staff.all_staff(console.session)
    return console.page(
        "console/staff.html", status_code, members=members, places=places, error=error, roles=list(Role)
    )


@router.get("")
async def listing(request: Request) -> Response:
    async def _list(console: Console) -> Response:
        await console.ensure_coordinator("staff")
        return await _page(console)

    return await as_staff(request, _list)


@router.post("")
async def grant(request: Request) -> Response:
    async def _grant(console: Console) -> Response:
        await console.ensure_coordinator("staff")
        form = console.form
        telegram = str(form.get("telegram_id", "")).strip()
        try:
            if telegram and not telegram.isdigit():
                raise InvalidDefinition(Text("A Telegram user id is a number."))
            await staff.grant(
                console.session,
                Role(str(form.get("role", Role.OFFICER))),
                telegram_id=int(telegram) if telegram else None,
                name=str(form.get("name", "")).strip() or None,
                municipality_code=str(form.get("municipality", "")) or None,
                actor=console.member.label,
            )
        except CampaignError as exc:
            return await _page(console, 400, console.text(exc.message))
        return RedirectResponse("/console/staff", status_code=303)

    return await as_staff(request, _grant, form=True)


@router.post("/{member_id}/revoke")
async def revoke(request: Request, member_id: RowId) -> Response:
    async def _revoke(console: Console) -> Response:
        await console.ensure_coordinator("staff")
        members = {m.id: m for m in await staff.all_staff(console.session)}
        member = members.get(member_id)
        if member is None or member.id == console.member.id:
            return await _page(console, 400, console.text(Text("You cannot revoke yourself.")))
        ref = member.name or str(member.telegram_id)
        await staff.revoke(console.session, ref, actor=console.member.label)
        return RedirectResponse("/console/staff", status_code=303)

    return await as_staff(request, _revoke, form=True)
