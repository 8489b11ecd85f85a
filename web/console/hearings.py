"""Public hearings in the browser: create, preview per language, announce, cancel, RSVPs, questions,
feedback. Every step goes through `hearings.officers` (scope, state and audit live there)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from campaigns.errors import CampaignError
from channels.i18n import LANGUAGES
from channels.message import N_
from contacts.registry import municipalities
from hearings import notices, officers
from hearings.definition import HearingDraft, parse_start
from hearings.reschedule import reschedule as move
from hearings.summary import moderate
from storage.base import utcnow
from storage.models import Municipality
from storage.models.hearings import HearingStatus, Moderation, QuestionStatus
from surveys.export import Cell, to_csv
from web.console.auth import Console, as_staff
from web.console.message_preview import rendered
from web.paths import RowId
from web.service import running_service

router = APIRouter(prefix="/console/hearings")
TEXT_FIELDS = ("title", "place", "description", "accessibility")
STATES = {
    HearingStatus.DRAFT: N_("draft"),
    HearingStatus.ANNOUNCED: N_("announced"),
    HearingStatus.CANCELLED: N_("cancelled"),
    HearingStatus.HELD: N_("held"),
}
MODERATION = {
    Moderation.NEW: N_("not looked at"),
    Moderation.SHOWN: N_("to be shown"),
    Moderation.HIDDEN: N_("hidden"),
}
MODERATE_TO = {
    Moderation.SHOWN: N_("Show at the hearing"),
    Moderation.HIDDEN: N_("Hide"),
    Moderation.NEW: N_("Undo"),
}
QUESTION_STATES = {
    QuestionStatus.RECEIVED: N_("received"),
    QuestionStatus.CONSIDERED: N_("considered"),
    QuestionStatus.ERASED: N_("erased"),
}


def _per_language(form: Any, name: str) -> dict[str, str]:
    return {
        lang: str(form.get(f"{name}_{lang}", "")).strip()
        for lang in LANGUAGES
        if str(form.get(f"{name}_{lang}", "")).strip()
    }


def draft_of(form: Any) -> HearingDraft:
    data: dict[str, Any] = {name: _per_language(form, name) for name in TEXT_FIELDS}
    data.update(
        municipality=str(form.get("municipality", "")),
        starts_at=str(form.get("starts_at", "")).replace("T", " ") or None,
        duration_minutes=str(form.get("duration_minutes", "") or "90"),
        names_required=form.get("names_required") == "yes",
    )
    if form.get("fallback_language"):
        data["fallback_language"] = str(form.get("fallback_language"))
    return HearingDraft.from_dict(data)


async def _places(console: Console) -> list[Municipality]:
    places = await municipalities(console.session)
    return places if console.coordinator else [p for p in places if p.id == console.member.municipality_id]


@router.get("")
async def listing(request: Request) -> Response:
    async def _list(console: Console) -> Response:
        scope = None if console.coordinator else console.member.municipality_id
        found = await officers.listing(console.session, scope)
        names = {p.id: p for p in await municipalities(console.session)}
        return console.page("console/hearings.html", hearings=found, places=names, states=STATES)

    return await as_staff(request, _list)


@router.get("/new")
async def new(request: Request) -> Response:
    async def _new(console: Console) -> Response:
        return console.page("console/hearing_new.html", places=await _places(console), form={}, error=None)

    return await as_staff(request, _new)


@router.post("")
async def create(request: Request) -> Response:
    async def _create(console: Console) -> Response:
        try:
            hearing = await officers.create(console.session, draft_of(console.form), console.member)
        except CampaignError as exc:
            return console.page(
                "console/hearing_new.html",
                400,
                places=await _places(console),
                form=console.form,
                error=console.text(exc.message),
            )
        return RedirectResponse(f"/console/hearings/{hearing.id}", status_code=303)

    return await as_staff(request, _create, form=True)


def _held_until(value: str | None) -> datetime | None:
    """When the notices just queued go out, from the announce redirect (None: they go out now)."""
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (OverflowError, ValueError):  # a hand-edited address: no time to show
        return None


@router.get("/{hearing_id}")
async def detail(request: Request, hearing_id: RowId) -> Response:
    async def _detail(console: Console) -> Response:
        summary = await officers.rsvp_summary(console.session, hearing_id, console.member)
        hearing = await officers.get(console.session, hearing_id)
        asked = await officers.questions(console.session, hearing_id, console.member)
        notice = notices.notice(hearing)
        return console.page(
            "console/hearing.html",
            hearing=hearing,
            summary=summary,
            questions=asked,
            previews=[rendered(notice, lang) for lang in LANGUAGES],
            states=STATES,
            question_states=QUESTION_STATES,
            moderation=MODERATION,
            moderate_to=MODERATE_TO,
            moved=request.query_params.get("moved"),
            answers=notices.RSVP_LABELS,
            message=request.query_params.get("queued"),
            held_until=_held_until(request.query_params.get("held")),
            place=await console.session.get_one(Municipality, hearing.municipality_id),
        )

    return await as_staff(request, _detail)


@router.post("/{hearing_id}/announce")
async def announce(request: Request, hearing_id: RowId) -> Response:
    async def _announce(console: Console) -> Response:
        now = utcnow()
        base_url = running_service(request).settings.http.public_base_url
        queued = await officers.announce(
            console.session, hearing_id, console.member, now, public_base_url=base_url
        )
        hearing = await officers.get(console.session, hearing_id)
        goes = await officers.send_time(console.session, hearing, now)
        held = f"&held={int(goes.timestamp())}" if queued and goes > now else ""
        return RedirectResponse(f"/console/hearings/{hearing_id}?queued={queued}{held}", status_code=303)

    return await as_staff(request, _announce, form=True)


@router.post("/{hearing_id}/reschedule")
async def reschedule(request: Request, hearing_id: RowId) -> Response:
    """Move the hearing: people who said they will (maybe) come are told the new time; answers stay."""

    async def _reschedule(console: Console) -> Response:
        now = utcnow()
        starts_at = parse_start(str(console.form.get("starts_at", "")).replace("T", " "))
        base_url = running_service(request).settings.http.public_base_url
        hearing, told, goes, _ = await move(
            console.session, hearing_id, starts_at, console.member, now, public_base_url=base_url
        )
        held = f"&held={int(goes.timestamp())}" if told and goes > now else ""
        return RedirectResponse(f"/console/hearings/{hearing.id}?moved={told}{held}", status_code=303)

    return await as_staff(request, _reschedule, form=True)


@router.post("/{hearing_id}/questions/{question_id}")
async def moderate_question(request: Request, hearing_id: RowId, question_id: RowId) -> Response:
    """Mark a question sent in advance as to be shown at the hearing, hidden, or not looked at (audited)."""

    async def _moderate(console: Console) -> Response:
        state = str(console.form.get("state", ""))
        if state in {m.value for m in Moderation}:
            await moderate(console.session, hearing_id, question_id, Moderation(state), console.member)
        return RedirectResponse(f"/console/hearings/{hearing_id}#questions", status_code=303)

    return await as_staff(request, _moderate, form=True)


@router.post("/{hearing_id}/cancel")
async def cancel(request: Request, hearing_id: RowId) -> Response:
    async def _cancel(console: Console) -> Response:
        await officers.cancel(console.session, hearing_id, console.member)
        return RedirectResponse(f"/console/hearings/{hearing_id}", status_code=303)

    return await as_staff(request, _cancel, form=True)


@router.post("/{hearing_id}/feedback")
async def feedback(request: Request, hearing_id: RowId) -> Response:
    async def _feedback(console: Console) -> Response:
        notified = await officers.publish_feedback(
            console.session, hearing_id, _per_language(console.form, "feedback"), console.member
        )
        return RedirectResponse(f"/console/hearings/{hearing_id}?queued={notified}", status_code=303)

    return await as_staff(request, _feedback, form=True)


@router.get("/{hearing_id}/export.csv")
async def export(request: Request, hearing_id: RowId) -> Response:
    """RSVP counts and the questions sent in advance (no names or addresses), for preparing the answers."""

    async def _export(console: Console) -> Response:
        summary = await officers.rsvp_summary(console.session, hearing_id, console.member)
        asked = await officers.questions(console.session, hearing_id, console.member)
        rows: list[list[Cell]] = [
            ["rsvp", str(answer), count, None] for answer, count in summary.counts.items()
        ]
        rows += [["question", str(q.status), None, q.text] for q in asked]
        await console.record("hearing.exported", f"hearing:{hearing_id}", questions=len(asked))
        disposition = {"Content-Disposition": f'attachment; filename="hearing-{hearing_id}.csv"'}
        body = to_csv(["kind", "value", "count", "text"], rows)
        return Response(body, media_type="text/csv; charset=utf-8", headers=disposition)

    return await as_staff(request, _export)
