"""A hearing as an officer writes it (a YAML file or CLI flags), validated before anything is stored.

Times without a zone are Tbilisi wall-clock times (what an officer means by "15:00"); they are stored in
UTC. Per-language text is checked against our five languages, and the fallback language must have a title
and a place, so every reader of a notice can be given one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from campaigns.errors import InvalidDefinition
from campaigns.moments import EXAMPLES, relative
from channels.i18n import LANGUAGES, TIMEZONE
from channels.message import N_, Text
from storage.base import utcnow

TITLE_MAX = 200
PLACE_MAX = 300
DESCRIPTION_MAX = 2000
ACCESSIBILITY_MAX = 500
FEEDBACK_MAX = 2000
DURATION_MINUTES = (15, 720)  # a hearing is at least a quarter of an hour and at most a working day

# What officers write, named in refusals in the reader's language.
FIELD_LABELS = {
    "title": N_("title"),
    "description": N_("description"),
    "place": N_("place"),
    "accessibility": N_("accessibility note"),
    "feedback": N_("feedback"),
}
_FIELDS = frozenset(
    {
        "municipality",
        "title",
        "description",
        "place",
        "accessibility",
        "starts_at",
        "duration_minutes",
        "interpretation",
        "names_required",
        "fallback_language",
        "capacity",
    }
)


@dataclass(frozen=True)
class HearingDraft:
    municipality: str
    title: Mapping[str, str]
    place: Mapping[str, str]
    starts_at: datetime
    fallback_language: str
    duration_minutes: int = 90
    description: Mapping[str, str] = field(default_factory=dict)
    accessibility: Mapping[str, str] = field(default_factory=dict)
    interpretation: tuple[str, ...] = ()
    names_required: bool = False
    capacity: int | None = None  # places; beyond them people wait for one to free up

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], now: datetime | None = None) -> HearingDraft:
        """From a parsed YAML file or the CLI's flags; InvalidDefinition names the first problem. A
        relative start ("in 21 days at 15:00") is counted from `now`."""
        unknown = sorted(str(key) for key in data if key not in _FIELDS)
        if unknown:
            raise InvalidDefinition(Text.of("Unknown hearing setting: {name}.", name=", ".join(unknown)))
        municipality = str(data.get("municipality") or "").strip().lower()
        if not municipality:
            raise InvalidDefinition(Text("A hearing needs a municipality."))
        title = texts("title", data.get("title"), TITLE_MAX)
        place = texts("place", data.get("place"), PLACE_MAX)
        if not title:
            raise InvalidDefinition(Text("A hearing needs a title in at least one language."))
        fallback = str(data.get("fallback_language") or ("ka" if "ka" in title else next(iter(title))))
        if fallback not in LANGUAGES:
            raise InvalidDefinition(Text.of("{code} is not one of our languages.", code=fallback))
        for name, values in (("title", title), ("place", place)):
            if fallback not in values:
                raise InvalidDefinition(
                    Text.of(
                        "The {field} must be written in the fallback language ({code}).",
                        field=field_label(name),
                        code=fallback,
                    )
                )
        if data.get("starts_at") is None:
            raise InvalidDefinition(Text("A hearing needs a start time (starts_at)."))
        return cls(
            municipality=municipality,
            title=title,
            place=place,
            starts_at=parse_start(data["starts_at"], now),
            fallback_language=fallback,
            duration_minutes=_duration(data.get("duration_minutes", 90)),
            description=texts("description", data.get("description"), DESCRIPTION_MAX),
            accessibility=texts("accessibility", data.get("accessibility"), ACCESSIBILITY_MAX),
            interpretation=_languages(data.get("interpretation")),
            names_required=_flag(data.get("names_required", False)),
            capacity=_capacity(data.get("capacity")),
        )


def field_label(name: str) -> Text:
    return Text(FIELD_LABELS.get(name, name))


def texts(name: str, value: Any, limit: int) -> dict[str, str]:
    """{language: text} with blank entries dropped; unknown languages and over-long texts refused."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidDefinition(
            Text.of("The {field} must be given per language, like ka: … az: ….", field=field_label(name))
        )
    result: dict[str, str] = {}
    for lang, text in value.items():
        code = str(lang).strip().lower()
        if code not in LANGUAGES:
            raise InvalidDefinition(Text.of("{code} is not one of our languages.", code=code))
        cleaned = str(text or "").strip()
        if len(cleaned) > limit:
            raise InvalidDefinition(
                Text.of(
                    "The {field} in {code} is longer than {limit} characters.",
                    field=field_label(name),
                    code=code,
                    limit=limit,
                )
            )
        if cleaned:
            result[code] = cleaned
    return result


def parse_start(value: Any, now: datetime | None = None) -> datetime:
    """A datetime, ISO text like "2026-12-10 15:00" (without a zone: Tbilisi time), or a time relative to
    `now` ("in 21 days at 15:00", "tomorrow 10:00"). Returns UTC."""
    moment: datetime
    if (resolved := relative(value, now or utcnow())) is not None:
        return resolved
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise InvalidDefinition(Text("The start needs a time of day as well as a date."))
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidDefinition(
                Text.of(
                    '{value} is not a date and time; write it like "2026-12-10 15:00" or {examples}.',
                    value=value,
                    examples=EXAMPLES,
                )
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TIMEZONE)
    return moment.astimezone(UTC)


def _duration(value: Any) -> int:
    low, high = DURATION_MINUTES
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = -1
    if not low <= minutes <= high or isinstance(value, bool):
        raise InvalidDefinition(
            Text.of("The duration must be between {low} and {high} minutes.", low=low, high=high)
        )
    return minutes


def _capacity(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        places = int(value)
    except (TypeError, ValueError):
        places = 0
    if places < 1 or isinstance(value, bool):
        raise InvalidDefinition(Text.of("The capacity must be a whole number of places, at least 1."))
    return places


def _languages(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    codes: dict[str, None] = {}
    for item in items:
        code = str(item).strip().lower()
        if code not in LANGUAGES:
            raise InvalidDefinition(Text.of("{code} is not one of our languages.", code=code))
        codes.setdefault(code, None)
    return tuple(codes)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("yes", "true", "1"):
        return True
    if str(value).strip().lower() in ("no", "false", "0", ""):
        return False
    raise InvalidDefinition(Text.of("{value} is not yes or no.", value=value))
