"""Municipality settings an officer or coordinator may change, validated and audited.

Default language, privacy contact, quiet hours, Latin SMS and the SMS sender live on the municipality
row; NULL means the service's default (`civicbot municipality show` says which). Codes are matched
without regard to case, and an unknown code is refused with the list of valid ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.errors import InvalidDefinition, NotFound, ScopeDenied
from campaigns.quiet import OFF, parse_quiet_hours
from channels.i18n import LANGUAGES
from channels.message import Text
from contacts.registry import audit, municipalities, municipality_by_code
from storage.base import utcnow
from storage.models.campaigns import Role, StaffMember
from storage.models.places import Municipality

DEFAULT = "default"  # `set CODE quiet-hours default`: back to the service's setting
_ALPHANUMERIC_SENDER = re.compile(r"[A-Za-z0-9 ]{1,11}")
_YES = frozenset({"yes", "on", "true", "1"})
_NO = frozenset({"no", "off", "false", "0"})


async def unknown_municipality(session: AsyncSession, code: str) -> Text:
    """The one refusal of a code that names no municipality: it lists the codes that do."""
    codes = ", ".join(sorted(m.code for m in await municipalities(session)))
    if not codes:
        return Text.of(
            "Unknown municipality: {code}. There are none yet: add them with civicbot seed.", code=code
        )
    return Text.of("Unknown municipality: {code}. Valid codes: {codes}.", code=code, codes=codes)


async def find(session: AsyncSession, code: str) -> Municipality:
    """The municipality with this code, in any case; NotFound naming the valid codes otherwise."""
    found = await municipality_by_code(session, code)
    if found is None:
        raise NotFound(await unknown_municipality(session, code))
    return found


def _language(value: str) -> str:
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise InvalidDefinition(
            Text.of("Unknown language: {code}. Valid codes: {codes}.", code=value, codes=", ".join(LANGUAGES))
        )
    return code


def _quiet_hours(value: str) -> str | None:
    text = value.strip().lower()
    if text == DEFAULT:
        return None
    try:
        parse_quiet_hours(text)
    except ValueError:
        raise InvalidDefinition(
            Text.of("Quiet hours look like 22:00-09:00, or off, or default; not {value}.", value=value)
        ) from None
    return OFF if text == OFF else text.replace(" ", "")


def _latin(value: str) -> bool:
    text = value.strip().lower()
    if text in _YES | _NO:
        return text in _YES
    raise InvalidDefinition(Text.of("Latin SMS is yes or no; not {value}.", value=value))


def _sender(value: str) -> str | None:
    text = value.strip()
    if text.lower() == DEFAULT:
        return None
    if text.startswith("+"):
        try:
            number = phonenumbers.parse(text)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):  # a landline long code too
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if _ALPHANUMERIC_SENDER.fullmatch(text) and not text.isdigit():
        return text
    raise InvalidDefinition(
        Text.of(
            "An SMS sender is a phone number (+995…) or up to 11 letters and digits; not {value}.",
            value=value,
        )
    )


def _contact(value: str) -> str | None:
    text = value.strip()
    if text.lower() == DEFAULT:
        return None
    if not text or len(text) > 200:
        raise InvalidDefinition(
            Text("A privacy contact is an e-mail address or phone, at most 200 characters.")
        )
    return text


# setting name -> (column, how a typed value becomes the stored one)
SETTINGS: Mapping[str, tuple[str, Callable[[str], Any]]] = {
    "default-language": ("default_language", _language),
    "privacy-contact": ("privacy_contact", _contact),
    "quiet-hours": ("quiet_hours", _quiet_hours),
    "latin-sms": ("sms_latin", _latin),
    "sms-sender": ("sms_sender", _sender),
}


@dataclass(frozen=True)
class Change:
    setting: str
    before: Any
    after: Any


async def change(
    session: AsyncSession,
    member: StaffMember,
    code: str,
    setting: str,
    value: str,
    now: datetime | None = None,
) -> Change:
    """Set one setting; a coordinator may change any municipality, an officer only their own."""
    now = now or utcnow()
    place = await find(session, code)
    if setting not in SETTINGS:
        raise InvalidDefinition(
            Text.of("Unknown setting: {name}. Settings: {names}.", name=setting, names=", ".join(SETTINGS))
        )
    if member.role != Role.COORDINATOR and member.municipality_id != place.id:
        await audit(
            session,
            member.label,
            "municipality.scope_denied",
            f"municipality:{place.code}",
            municipality_id=member.municipality_id,
            details={"setting": setting},
            now=now,
        )
        await session.flush()
        raise ScopeDenied(Text("Officers can change only their own municipality."))
    column, convert = SETTINGS[setting]
    after = convert(value)
    before = getattr(place, column)
    setattr(place, column, after)
    await audit(
        session,
        member.label,
        "municipality.changed",
        f"municipality:{place.code}",
        municipality_id=place.id,
        details={"setting": setting, "before": before, "after": after},
        now=now,
    )
    await session.flush()
    return Change(setting, before, after)
