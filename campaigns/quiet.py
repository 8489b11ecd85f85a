"""Quiet hours for every outbound path: the service's setting, overridden per municipality.

Campaigns, hearing notices, reminders, feedback polls and action-plan notices all ask `next_allowed`
when a message may go to a municipality's people, so one setting (`QUIET_HOURS`, default 22:00-09:00)
and one per-municipality override (`civicbot municipality set CODE quiet-hours 21:00-08:00`, or `off`)
hold everywhere. `urgent` skips them: only for what an officer explicitly marks urgent (audited there).
A caller that passes no quiet hours of its own gets the service's `QUIET_HOURS` (`service_quiet_hours`),
never a built-in default that would ignore the operator's setting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.schedule import TBILISI, QuietHours, apply_quiet_hours
from channels.message import Renderable, Text
from contacts.registry import municipalities
from storage.models.places import Municipality

OFF = "off"


def parse_quiet_hours(value: str) -> QuietHours:
    """ "22:00-09:00", or "off" (none); ValueError for anything else."""
    if value.strip().lower() == OFF:
        return QuietHours(time(0), time(0), TBILISI)
    return QuietHours.parse(value)


class QuietSettings(BaseSettings):
    """The service's quiet hours, `QUIET_HOURS`: the one reading of that setting."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    quiet_hours: str = Field(default="22:00-09:00", description="local hours non-urgent messages wait")

    @field_validator("quiet_hours")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @property
    def quiet(self) -> QuietHours:
        return parse_quiet_hours(self.quiet_hours)


def service_quiet_hours() -> QuietHours:
    """`QUIET_HOURS` as the service runs with it (read when asked: the console, the CLI and the
    scheduler all see the same value)."""
    return QuietSettings().quiet


def quiet_hours_of(place: Municipality | None, default: QuietHours | None = None) -> QuietHours:
    """The municipality's own quiet hours when it set them, else `default`, else the service's setting."""
    own = place.quiet_hours if place is not None else None
    if own:
        try:
            return parse_quiet_hours(own)
        except ValueError:
            pass  # written through `municipality set`, which validates; never silently send at night
    return default or service_quiet_hours()


def next_allowed(
    now: datetime, place: Municipality | None, *, default: QuietHours | None = None, urgent: bool = False
) -> datetime:
    """The earliest moment a non-urgent message to `place`'s people may go: `now`, or the end of its
    quiet hours."""
    if urgent:
        return now
    return apply_quiet_hours(now, quiet_hours_of(place, default))


async def next_allowed_for(
    session: AsyncSession,
    codes: Sequence[str],
    now: datetime,
    *,
    default: QuietHours | None = None,
    urgent: bool = False,
) -> datetime:
    """When a message to the people of several municipalities (`codes`; none: all of them) may go:
    once quiet hours are over in every one of them, so nobody is woken by another place's setting."""
    if urgent:
        return now
    places = [place for place in await municipalities(session) if not codes or place.code in codes]
    default = default or service_quiet_hours()  # read once, not once a municipality
    fallback = next_allowed(now, None, default=default)
    return max((next_allowed(now, place, default=default) for place in places), default=fallback)


def place_names(places: Iterable[Municipality], codes: Sequence[str]) -> str:
    """ "Marneuli and Dmanisi" for the sentence of `Release` (English, like the rest of the CLI)."""
    names = [place.name_in("en") for place in places if not codes or place.code in codes]
    if len(names) <= 1:
        return names[0] if names else "Georgia"
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class Release:
    """How many messages were queued and when they go out, for the officer who queued them."""

    count: int
    first: datetime | None  # the earliest moment any of them may go; None when nothing was queued
    held: bool  # whether quiet hours hold them now

    def sentence(self, one: str, many: str, place: str) -> str:
        """ "8 notices queued; quiet hours in Marneuli until 09:00, they go out from 09:00"."""
        head = f"{self.count} {one if self.count == 1 else many} queued"
        if self.count == 0 or self.first is None:
            return f"{head} (nobody new to tell)"
        local = self.first.astimezone(TBILISI)
        if not self.held:
            return f"{head}; {'it goes' if self.count == 1 else 'they go'} out now"
        at = local.strftime("%H:%M")
        day = local.strftime("%Y-%m-%d")
        they = "it goes" if self.count == 1 else "they go"
        return f"{head}; quiet hours in {place} until {at}, {they} out from {at} ({day}, Tbilisi time)"


def release_text(told: Release, places: Renderable) -> Text:
    """The same news for a staff member in chat, in their language (`places`: the municipality names)."""
    if told.count == 0 or told.first is None:
        return Text("Nothing was queued: there is nobody new to tell.")
    if not told.held:
        return Text.plural_of(
            "{n} message queued; it goes out now.", "{n} messages queued; they go out now.", told.count
        )
    return Text.plural_of(
        "{n} message queued. Quiet hours ({municipality}) until {time}: it goes out then.",
        "{n} messages queued. Quiet hours ({municipality}) until {time}: they go out then.",
        told.count,
        municipality=places,
        time=told.first,
    )


def release(count: int, now: datetime, moments: Iterable[datetime]) -> Release:
    """Describe `count` queued messages whose `not_before` times are `moments`."""
    first = min(moments, default=None)
    return Release(count, first, first is not None and first > now)
