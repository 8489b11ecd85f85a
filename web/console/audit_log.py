"""The audit log, filterable by action and by who did it; officers see their own municipality's entries."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from storage.models import AuditEntry
from web.console.auth import Console, as_staff

router = APIRouter(prefix="/console/audit")
PAGE = 200


@router.get("")
async def audit_log(request: Request) -> Response:
    async def _page(console: Console) -> Response:
        action = request.query_params.get("action", "").strip()
        actor = request.query_params.get("actor", "").strip()
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE)
        if action:
            query = query.where(AuditEntry.action.startswith(action))
        if actor:
            query = query.where(AuditEntry.actor == actor)
        if not console.coordinator:
            query = query.where(AuditEntry.municipality_id == console.member.municipality_id)
        entries = list((await console.session.scalars(query)).all())
        return console.page("console/audit.html", entries=entries, action=action, actor=actor)

    return await as_staff(request, _page)
