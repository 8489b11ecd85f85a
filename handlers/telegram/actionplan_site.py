"""What the /actionplan handlers (Telegram and the SMS keyword) need of the settings, read on first use.

Handlers do not import `bot/`; these are the same variables the service reads (PUBLIC_BASE_URL,
QUIET_HOURS), so a deployment sets them once.
"""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from campaigns.schedule import QuietHours


class PublicSite(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
    public_base_url: str | None = None
    quiet_hours: str = "22:00-09:00"


@cache
def _site() -> PublicSite:
    return PublicSite()


def plan_page(code: str) -> str | None:
    """The public page of a municipality's plan, when the service has a public address."""
    base = _site().public_base_url
    return f"{base.rstrip('/')}/m/{code}/plan" if base else None


def quiet_hours() -> QuietHours:
    try:
        return QuietHours.parse(_site().quiet_hours)
    except ValueError:
        return QuietHours()
