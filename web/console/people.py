"""People and data-rights requests: find a person by phone, Telegram username or reference code, show
everything stored (an access request, audited), erase with confirmation. Officers: own municipality."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from channels.i18n import render
from contacts.phones import InvalidPhone, normalize_phone
from contacts.privacy import erase_on_request, my_data
from contacts.reference import find_by_reference, normalize_code
from contacts.registry import find_by_username
from storage.identities import find_identity
from storage.models import Channel, Contact, ContactStatus, Municipality
from web.console.auth import Console, Forbidden, as_staff
from web.paths import RowId

router = APIRouter(prefix="/console/people")
KINDS = ("phone", "username", "ref")


async def find_person(console: Console, kind: str, value: str) -> Contact | None:
    """The one person an address or reference code names (erased people are not found)."""
    vault = console.request.app.state.service.context.vault
    if kind == "ref":
        return await find_by_reference(console.session, vault, value) if normalize_code(value) else None
    if kind == "username":
        identity = await find_by_username(console.session, value)
    else:
        try:
            identity = await find_identity(console.session, Channel.SMS, normalize_phone(value))
        except InvalidPhone:
            return None
    if identity is None:
        return None
    contact = await console.session.get_one(Contact, identity.contact_id)
    return None if contact.status == ContactStatus.ERASED else contact


async def _in_scope(console: Console, contact: Contact) -> None:
    if console.coordinator or contact.municipality_id == console.member.municipality_id:
        return
    await console.record("console.scope_denied", f"contact:{contact.id}", path=console.request.url.path)
    raise Forbidden


@router.get("")
async def search(request: Request) -> Response:
    async def _search(console: Console) -> Response:
        kind = request.query_params.get("kind", "phone")
        value = request.query_params.get("q", "").strip()
        if not value:
            return console.page("console/people.html", kind=kind, value="", searched=False)
        contact = await find_person(console, kind if kind in KINDS else "phone", value)
        if contact is None:
            await console.record("privacy.lookup", f"lookup:{kind}", found=False)
            return console.page("console/people.html", kind=kind, value=value, searched=True)
        await _in_scope(console, contact)
        place = (
            await console.session.get(Municipality, contact.municipality_id)
            if contact.municipality_id
            else None
        )
        vault = console.request.app.state.service.context.vault
        stored = await my_data(
            console.session, vault, contact, place, actor=f"console:{console.member.label}"
        )
        return console.page(
            "console/person.html",
            contact=contact,
            stored=render(stored, console.lang),
            kind=kind,
            value=value,
        )

    return await as_staff(request, _search)


@router.post("/{contact_id}/erase")
async def erase(request: Request, contact_id: RowId) -> Response:
    """Erase on request: only with the confirmation box ticked; the person is told, the log keeps it."""

    async def _erase(console: Console) -> Response:
        contact = await console.session.get(Contact, contact_id)
        if contact is None or contact.status == ContactStatus.ERASED:
            return console.page("console/refused.html", 404, reason="domain", message=str(contact_id))
        await _in_scope(console, contact)
        if console.form.get("confirm") != "yes":
            return RedirectResponse("/console/people", status_code=303)
        vault = console.request.app.state.service.context.vault
        await erase_on_request(console.session, vault, contact, actor=f"console:{console.member.label}")
        return console.page("console/people.html", kind="phone", value="", searched=False, erased=True)

    return await as_staff(request, _erase, form=True)
