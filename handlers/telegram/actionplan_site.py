"""What /actionplan on Telegram and the PLAN keyword by SMS share: the settings they need (read on first
use) and the SMS reply. Nothing here imports aiogram, so the SMS handler can use it too.

Handlers do not import `bot/`; PUBLIC_BASE_URL is the same variable the service reads, so a deployment
sets it once (QUIET_HOURS is read by `campaigns.quiet` for every path).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking import actionplan_views, actionplans
from channels.message import Reply
from storage.models import Contact, Municipality


class PublicSite(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
    public_base_url: str | None = None


@cache
def _site() -> PublicSite:
    return PublicSite()


def plan_page(code: str) -> str | None:
    """The public page of a municipality's plan, when the service has a public address."""
    base = _site().public_base_url
    return f"{base.rstrip('/')}/m/{code}/plan" if base else None


async def _page_of(session: AsyncSession, contact: Contact) -> str | None:
    place = await session.get(Municipality, contact.municipality_id) if contact.municipality_id else None
    return plan_page(place.code) if place is not None else None


async def plan_chat(session: AsyncSession, contact: Contact, now: datetime) -> Reply:
    """/actionplan for a citizen (Telegram, and the simulator's Telegram style): the plan, item by item."""
    today = actionplans.local_today(now)
    return await actionplan_views.citizen_plan(session, contact, today, await _page_of(session, contact))


async def plan_sms(session: AsyncSession, contact: Contact, now: datetime) -> Reply:
    """The reply to the PLAN keyword by SMS: the short summary and the public page's address."""
    today = actionplans.local_today(now)
    return await actionplan_views.sms_summary(session, contact, today, await _page_of(session, contact))
