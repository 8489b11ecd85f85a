"""When campaign steps fire, and when their messages may be delivered.

Every time is computed from the clock passed in (`now`), in Asia/Tbilisi (UTC+4 all year: Georgia has had
no daylight saving time since 2005), and returned timezone-aware. Recurring steps use APScheduler's cron
trigger, with crontab weekday numbers mapped to names first: APScheduler 3.x counts 0 as Monday, crontab
as Sunday (agronholm/apscheduler#286), so "0 9 * * 1" would otherwise fire on Tuesdays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from campaigns.errors import InvalidDefinition
from channels.message import Literal, Text
from storage.models.campaigns import CampaignStep, ScheduleKind

TBILISI = ZoneInfo("Asia/Tbilisi")
ONCE = "once"  # the occurrence key of a step that fires a single time

_CRON_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_OFFSET = re.compile(r"^([+-])?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$")


@dataclass(frozen=True)
class QuietHours:
    """The local hours in which non-urgent messages wait (default 22:00-09:00); start == end: none."""

    start: time = time(22, 0)
    end: time = time(9, 0)
    zone: ZoneInfo = TBILISI

    @classmethod
    def parse(cls, value: str, zone: ZoneInfo = TBILISI) -> QuietHours:
        """From "22:00-09:00" (settings and the CLI)."""
        try:
            start, end = (time.fromisoformat(part.strip()) for part in value.split("-", 1))
        except ValueError as exc:
            raise ValueError(f"quiet hours must look like 22:00-09:00, got {value!r}") from exc
        return cls(start, end, zone)

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def apply_quiet_hours(moment: datetime, quiet: QuietHours) -> datetime:
    """`moment` itself outside quiet hours; inside them, the moment they end (in UTC)."""
    if not quiet.contains(moment):
        return moment.astimezone(UTC)
    local = moment.astimezone(quiet.zone)
    end = datetime.combine(local.date(), quiet.end, tzinfo=quiet.zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=quiet.zone)
    return end.astimezone(UTC)


def cron_trigger(expression: str, zone: ZoneInfo = TBILISI) -> CronTrigger:
    """A crontab expression ("minute hour day month weekday", weekday 0/7 = Sunday) as a trigger.

    The minute must be one number, so a typo cannot turn a broadcast into one message a minute; day of
    month and weekday cannot both be restricted (cron ORs them, APScheduler would AND them).
    """
    fields = expression.split()
    if len(fields) != 5:
        raise _bad_cron(expression)
    minute, _hour, day, _month, weekday = fields
    if not minute.isdigit():
        raise InvalidDefinition(
            Text.of("A recurring schedule must name the minute it fires at, not {minute}.", minute=minute)
        )
    if day not in ("*", "?") and weekday not in ("*", "?"):
        raise InvalidDefinition(
            Text("A recurring schedule can restrict the day of the month or the weekday, not both.")
        )
    fields[4] = _weekday_names(weekday, expression)
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=zone)
    except ValueError as exc:
        raise _bad_cron(expression) from exc


def _bad_cron(expression: str) -> InvalidDefinition:
    return InvalidDefinition(
        Text.of(
            "{expression} is not a crontab expression (minute hour day month weekday).", expression=expression
        )
    )


def _weekday_names(field: str, expression: str) -> str:
    """Crontab weekdays (numbers with 0 and 7 = Sunday, or names) as a list of APScheduler day names."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if step_text and not step_text.isdigit():
            raise _bad_cron(expression)
        if span == "*":
            first, last = 0, 6
        else:
            low, _, high = span.partition("-")
            first = _weekday_number(low, expression)
            last = _weekday_number(high, expression) if high else (6 if step_text else first)
        if last < first:
            raise _bad_cron(expression)
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_CRON_WEEKDAYS[day] for day in sorted(days))


def _weekday_number(token: str, expression: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token[:3] in _CRON_WEEKDAYS and len(token) == 3:
        return _CRON_WEEKDAYS.index(token)
    raise _bad_cron(expression)


def parse_offset(value: str) -> timedelta:
    """ "-2d", "-1d12h", "+3h", "-30m": how long before (-) or after (+) an event a step fires."""
    match = _OFFSET.match(value.strip().lower())
    if not match or not any(match.group(i) for i in (2, 3, 4)):
        raise InvalidDefinition(
            Text.of('{offset} is not an offset; write it like "-2d", "-3h" or "+1d12h".', offset=value)
        )
    sign, days, hours, minutes = match.groups()
    delta = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0))
    return -delta if sign == "-" else delta


def occurrence_key(moment: datetime) -> str:
    """A recurring firing's key: its UTC minute, so every process derives the same key for it."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def occurrence_time(key: str) -> datetime:
    return datetime.strptime(key, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class StepSchedule:
    """A step's schedule without the database row: what `now`/`at`/`recurring`/`relative` means."""

    kind: ScheduleKind = ScheduleKind.NOW
    send_at: datetime | None = None
    cron: str | None = None
    until: datetime | None = None
    event_at: datetime | None = None
    offset: timedelta = timedelta(0)

    @classmethod
    def of(cls, step: CampaignStep) -> StepSchedule:
        return cls(
            ScheduleKind(step.schedule_kind),
            step.send_at,
            step.cron,
            step.until,
            step.event_at,
            timedelta(minutes=step.offset_minutes or 0),
        )

    @property
    def recurring(self) -> bool:
        return self.kind == ScheduleKind.RECURRING

    def validate(self) -> None:
        """Raise InvalidDefinition when a field the kind needs is missing or a cron does not parse."""
        if self.kind == ScheduleKind.AT and self.send_at is None:
            raise InvalidDefinition(Text("A step scheduled “at” needs a date and time."))
        if self.kind == ScheduleKind.RELATIVE and self.event_at is None:
            raise InvalidDefinition(Text("A step scheduled relative to an event needs the event's time."))
        if self.kind == ScheduleKind.RECURRING:
            if not self.cron:
                raise InvalidDefinition(Text("A recurring step needs a crontab expression."))
            cron_trigger(self.cron)

    def single_time(self, scheduled_at: datetime) -> datetime:
        """The one fire time of a non-recurring step; `now` steps fire when the campaign is scheduled."""
        match self.kind:
            case ScheduleKind.AT:
                assert self.send_at is not None
                return self.send_at
            case ScheduleKind.RELATIVE:
                assert self.event_at is not None
                return self.event_at + self.offset
            case _:
                return scheduled_at

    def fire_times(self, scheduled_at: datetime, after: datetime | None = None) -> Iterator[datetime]:
        """Fire times in order from the campaign's scheduling (or strictly after `after`), never past
        `until`. Infinite for an open-ended recurring step: callers stop when they have enough."""
        if not self.recurring:
            single = self.single_time(scheduled_at)
            if after is None or single > after:
                yield single
            return
        assert self.cron is not None
        trigger = cron_trigger(self.cron)
        start = scheduled_at if after is None or after < scheduled_at else after + timedelta(seconds=1)
        moment: datetime | None = trigger.get_next_fire_time(None, start)
        while moment is not None and (self.until is None or moment <= self.until):
            yield moment
            moment = trigger.get_next_fire_time(moment, moment)

    def next_time(self, scheduled_at: datetime, after: datetime) -> datetime | None:
        """The first fire time strictly after `after`, or None when the step has nothing left."""
        return next(self.fire_times(scheduled_at, after), None)

    def latest_due(self, scheduled_at: datetime, after: datetime | None, now: datetime) -> datetime | None:
        """The most recent fire time in (after, now]: missed recurring firings collapse into one."""
        latest = None
        for moment in self.fire_times(scheduled_at, after):
            if moment > now:
                break
            latest = moment
        return latest


def ensure_upcoming(
    steps: Iterable[tuple[int, StepSchedule]], now: datetime, tolerance: timedelta = timedelta(0)
) -> None:
    """Refuse a step that can no longer go out: a one-off time more than `tolerance` ago, or a recurring
    step whose `until` has passed (or comes before its first time). The refusal names the time and
    Tbilisi's time now, so the author sees what to change; a step scheduled "now" always can go."""
    for position, plan in steps:
        if plan.kind == ScheduleKind.NOW:
            continue
        if plan.recurring:
            if plan.until is None or plan.next_time(now, now) is not None:
                continue
            if plan.until > now:
                raise InvalidDefinition(
                    Text.of(
                        "Step {step} would not go out even once: its schedule ({cron}) has no time between "
                        "now and its end, {time} (Tbilisi time). Choose a later end or another schedule.",
                        step=position,
                        cron=Literal(plan.cron or ""),
                        time=plan.until,
                    )
                )
            raise InvalidDefinition(
                Text.of(
                    "Step {step} repeats only until {time} (Tbilisi time), which has already passed: "
                    "it is now {now} in Tbilisi. Choose a later end.",
                    step=position,
                    time=plan.until,
                    now=now,
                )
            )
        due = plan.single_time(now)
        if due < now - tolerance:
            raise InvalidDefinition(
                Text.of(
                    "Step {step} would go out on {time} (Tbilisi time), which has already passed: it is "
                    "now {now} in Tbilisi. Choose a later time.",
                    step=position,
                    time=due,
                    now=now,
                )
            )
