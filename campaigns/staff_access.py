"""Who may use the console: passwords, one-time sign-in links, browser sessions and the attempt limits.

No web framework here: the Telegram `/console` command and the CLI call this too. Secrets are stored as
digests (links, sessions) or argon2 hashes (passwords). Every sign-in, refusal and sign-out is audited
with who it was. Functions flush, never commit: the caller's unit of work does.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from campaigns.errors import CampaignError
from channels.message import Text
from contacts.registry import audit
from storage.base import utcnow
from storage.models.campaigns import StaffMember
from storage.models.console import SignInAttempt, SignInLink, StaffPassword, WebSession

LINK_LIFETIME = timedelta(minutes=10)
IDLE_LIMIT = timedelta(minutes=30)
TOUCH_EVERY = timedelta(minutes=1)  # how stale `last_seen_at` may get before a request refreshes it
ATTEMPT_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()


class SignInRefused(Exception):
    """A sign-in that did not go through; `message` says why without revealing which part was wrong."""

    def __init__(self, message: Text) -> None:
        self.message = message
        super().__init__(message.msgid)


@dataclass(frozen=True)
class Opened:
    """A new browser session: the raw token goes into the (signed) cookie, never into the database."""

    token: str
    csrf_token: str
    member: StaffMember


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def set_password(
    session: AsyncSession, member: StaffMember, password: str, *, actor: str, now: datetime | None = None
) -> None:
    """Set (or replace) a staff member's console password; too short a password is refused."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CampaignError(Text.of("A password needs at least {n} characters.", n=MIN_PASSWORD_LENGTH))
    now = now or utcnow()
    row = await session.get(StaffPassword, member.id)
    if row is None:
        session.add(StaffPassword(staff_id=member.id, password_hash=_hasher.hash(password), set_at=now))
    else:
        row.password_hash, row.set_at = _hasher.hash(password), now
    await end_all_sessions(session, member, now=now)
    await audit(
        session,
        actor,
        "staff.password_set",
        f"staff:{member.id}",
        municipality_id=member.municipality_id,
        now=now,
    )
    await session.flush()


async def issue_link(session: AsyncSession, member: StaffMember, now: datetime | None = None) -> str:
    """A one-time sign-in token for `member` (the caller puts it in a URL and sends it to their chat)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        SignInLink(
            staff_id=member.id, token_hash=digest(token), created_at=now, expires_at=now + LINK_LIFETIME
        )
    )
    await audit(
        session,
        member.label,
        "console.link_issued",
        f"staff:{member.id}",
        municipality_id=member.municipality_id,
        now=now,
    )
    await session.flush()
    return token


async def redeem_link(session: AsyncSession, token: str, address: str, now: datetime | None = None) -> Opened:
    """Sign in with a link: unknown, used or expired links are refused (and count against the address)."""
    now = now or utcnow()
    await _refuse_if_throttled(session, None, address, now)
    link = await session.scalar(select(SignInLink).where(SignInLink.token_hash == digest(token)))
    member = await session.get(StaffMember, link.staff_id) if link is not None else None
    if (
        link is None
        or member is None
        or not member.active
        or link.used_at is not None
        or link.expires_at <= now
    ):
        await _failed(session, None, address, "link", now)
        raise SignInRefused(Text("This sign-in link is not valid any more. Ask the bot for a new one."))
    link.used_at = now
    return await _open(session, member, "link", now)


async def sign_in_with_password(
    session: AsyncSession, who: str, password: str, address: str, now: datetime | None = None
) -> Opened:
    """Sign in with a name (or Telegram id) and password, within the per-account and per-address limits."""
    now = now or utcnow()
    who = who.strip()
    await _refuse_if_throttled(session, who, address, now)
    try:
        member: StaffMember | None = await staff.by_ref(session, who) if who else None
    except CampaignError:
        member = None
    stored = await session.get(StaffPassword, member.id) if member is not None else None
    # Unknown names cost the same hashing time as known ones: no telling which names exist.
    verified = _verify(stored.password_hash if stored else _decoy_hash(), password)
    if member is None or stored is None or not verified:
        await _failed(session, who, address, "password", now, member)
        raise SignInRefused(Text("The name or the password is wrong."))
    return await _open(session, member, "password", now)


async def current(session: AsyncSession, token: str, now: datetime | None = None) -> WebSession | None:
    """The live session behind a cookie's token; idle or revoked sessions end here."""
    now = now or utcnow()
    row = await session.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if row is None or row.ended_at is not None:
        return None
    member = await session.get(StaffMember, row.staff_id)
    if member is None or not member.active or now - row.last_seen_at > IDLE_LIMIT:
        row.ended_at = now
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    return row


async def sign_out(
    session: AsyncSession, row: WebSession, member: StaffMember, now: datetime | None = None
) -> None:
    now = now or utcnow()
    row.ended_at = now
    await audit(
        session,
        member.label,
        "console.signed_out",
        f"staff:{member.id}",
        municipality_id=member.municipality_id,
        now=now,
    )


async def end_all_sessions(session: AsyncSession, member: StaffMember, now: datetime | None = None) -> None:
    await session.execute(
        update(WebSession)
        .where(WebSession.staff_id == member.id, WebSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )


async def _open(session: AsyncSession, member: StaffMember, method: str, now: datetime) -> Opened:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            staff_id=member.id,
            token_hash=digest(token),
            csrf_token=csrf,
            method=method,
            created_at=now,
            last_seen_at=now,
        )
    )
    await audit(
        session,
        member.label,
        "console.signed_in",
        f"staff:{member.id}",
        municipality_id=member.municipality_id,
        details={"method": method},
        now=now,
    )
    await session.flush()
    return Opened(token, csrf, member)


@cache
def _decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _account_key(who: str) -> str:
    return "account:" + digest(who.lower())[:40]


def _address_key(address: str) -> str:
    return "address:" + digest(address)[:40]


async def _failures(session: AsyncSession, key: str, now: datetime) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(SignInAttempt)
        .where(SignInAttempt.key == key, SignInAttempt.at > now - ATTEMPT_WINDOW)
    )
    return int(found or 0)


async def _refuse_if_throttled(session: AsyncSession, who: str | None, address: str, now: datetime) -> None:
    too_many = await _failures(session, _address_key(address), now) >= MAX_FAILURES_PER_ADDRESS
    if who and not too_many:
        too_many = await _failures(session, _account_key(who), now) >= MAX_FAILURES_PER_ACCOUNT
    if too_many:
        await audit(
            session, who or "anonymous", "console.sign_in_throttled", f"account:{who or '-'}", now=now
        )
        await session.flush()
        raise SignInRefused(Text("Too many failed sign-ins. Wait 15 minutes and try again."))


async def _failed(
    session: AsyncSession,
    who: str | None,
    address: str,
    method: str,
    now: datetime,
    member: StaffMember | None = None,
) -> None:
    session.add(SignInAttempt(key=_address_key(address), at=now))
    if who:
        session.add(SignInAttempt(key=_account_key(who), at=now))
    subject = f"staff:{member.id}" if member is not None else f"account:{(who or '-')[:48]}"
    await audit(
        session,
        member.label if member else (who or "anonymous")[:64],
        "console.sign_in_failed",
        subject,
        municipality_id=member.municipality_id if member else None,
        details={"method": method},
        now=now,
    )
    await session.flush()
