"""A campaign as written by people (YAML file, CLI options, the Telegram broadcast flow), validated.

Parsing never touches the database; what needs it (municipality codes, the author's scope, languages
present in the live audience) is checked by `campaigns.service` when the draft is stored or moved on.
The file format is documented in campaigns/FORMAT.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

from campaigns.audience import AudienceSpec
from campaigns.errors import InvalidDefinition
from campaigns.moments import EXAMPLES, relative
from campaigns.schedule import TBILISI, StepSchedule, parse_offset
from channels.i18n import LANGUAGES
from channels.message import Text
from storage import safe_yaml
from storage.base import utcnow
from storage.models.campaigns import ScheduleKind

MAX_TEXT = 4000  # Telegram allows 4096 characters; leave room for the escaped HTML and buttons


@dataclass(frozen=True)
class LinkDraft:
    url: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class StepDraft:
    texts: Mapping[str, str]
    links: tuple[LinkDraft, ...] = ()
    survey_id: int | None = None
    media_url: str | None = None
    schedule: StepSchedule = field(default_factory=StepSchedule)
    urgent: bool = False


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    audience: AudienceSpec
    steps: tuple[StepDraft, ...]
    base_language: str = "ka"
    fallback_language: str | None = None

    @classmethod
    def from_yaml(cls, source: str, now: datetime | None = None) -> CampaignDraft:
        """Relative times ("tomorrow 10:00") are resolved against `now`: the draft holds fixed times."""
        try:
            data = safe_yaml.load(source)
        except yaml.YAMLError as exc:
            raise InvalidDefinition(Text.of("The file is not valid YAML: {error}", error=str(exc))) from exc
        if not isinstance(data, dict):
            raise InvalidDefinition(Text("A campaign file must be a mapping with name, audience and steps."))
        try:
            return cls.from_dict(data, now)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a value of the wrong kind
            raise InvalidDefinition(
                Text.of(
                    "A value in the campaign file is of the wrong kind ({error}); see campaigns/FORMAT.md.",
                    error=str(exc),
                )
            ) from exc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], now: datetime | None = None) -> CampaignDraft:
        known = {"name", "audience", "steps", "base_language", "fallback_language"}
        unknown = sorted(map(str, set(data) - known))
        if unknown:
            raise InvalidDefinition(Text.of("Unknown campaign setting: {name}.", name=", ".join(unknown)))
        name = str(data.get("name") or "").strip()
        if not name or len(name) > 200:
            raise InvalidDefinition(Text("A campaign needs a name of at most 200 characters."))
        base = _language(data.get("base_language", "ka"))
        fallback = _language(data["fallback_language"]) if data.get("fallback_language") else None
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            raise InvalidDefinition(Text("A campaign needs at least one step."))
        read_at = now or utcnow()
        steps = tuple(_step(raw, number, read_at) for number, raw in enumerate(raw_steps, start=1))
        draft = cls(name, AudienceSpec.from_dict(data.get("audience")), steps, base, fallback)
        draft.check_languages()
        return draft

    def check_languages(self) -> None:
        """Every step has text in the base language, and in the fallback language when one is declared."""
        for number, step in enumerate(self.steps, start=1):
            for lang in filter(None, (self.base_language, self.fallback_language)):
                if lang not in step.texts:
                    raise InvalidDefinition(
                        Text.of(
                            "Step {step} has no text in {language}, the campaign's base or fallback "
                            "language.",
                            step=number,
                            language=lang,
                        )
                    )


def _language(value: Any) -> str:
    code = str(value).strip().lower()
    if code not in LANGUAGES:
        raise InvalidDefinition(
            Text.of(
                "{value} is not one of the languages {choices}.", value=code, choices=", ".join(LANGUAGES)
            )
        )
    return code


def _step(raw: Any, number: int, now: datetime) -> StepDraft:
    if not isinstance(raw, dict):
        raise InvalidDefinition(Text.of("Step {step} must be a mapping.", step=number))
    known = {"texts", "links", "survey_id", "media_url", "schedule", "urgent"}
    unknown = sorted(map(str, set(raw) - known))
    if unknown:
        raise InvalidDefinition(
            Text.of("Unknown setting in step {step}: {name}.", step=number, name=", ".join(unknown))
        )
    texts = _texts(raw.get("texts"), number)
    links = tuple(_link(item, number) for item in raw.get("links") or ())
    survey_id = raw.get("survey_id")
    valid_survey = isinstance(survey_id, int) and not isinstance(survey_id, bool) and survey_id > 0
    if survey_id is not None and not valid_survey:
        raise InvalidDefinition(Text.of("Step {step}: survey_id must be a survey number.", step=number))
    media_url = raw.get("media_url")
    if media_url is not None:
        media_url = _url(media_url, number)
    schedule = schedule_from(raw.get("schedule", "now"), number, now)
    return StepDraft(texts, links, survey_id, media_url, schedule, bool(raw.get("urgent", False)))


def _texts(raw: Any, number: int) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise InvalidDefinition(Text.of("Step {step} needs texts: one per language.", step=number))
    texts: dict[str, str] = {}
    for lang, text in raw.items():
        code = _language(lang)
        body = str(text or "").strip()
        if not body:
            raise InvalidDefinition(
                Text.of("Step {step}: the {language} text is empty.", step=number, language=code)
            )
        if len(body) > MAX_TEXT:
            raise InvalidDefinition(
                Text.of(
                    "Step {step}: the {language} text is longer than {limit} characters.",
                    step=number,
                    language=code,
                    limit=MAX_TEXT,
                )
            )
        texts[code] = body
    return texts


def _url(value: Any, number: int) -> str:
    url = str(value).strip()
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise InvalidDefinition(Text.of("Step {step}: {url} is not a web address.", step=number, url=url))
    return url


def _link(raw: Any, number: int) -> LinkDraft:
    if not isinstance(raw, dict) or "url" not in raw or "label" not in raw:
        raise InvalidDefinition(Text.of("Step {step}: a link needs a url and a label.", step=number))
    label = raw["label"]
    labels = (
        {_language(k): str(v).strip() for k, v in label.items()}
        if isinstance(label, dict)
        else {lang: str(label).strip() for lang in LANGUAGES}
    )
    return LinkDraft(_url(raw["url"], number), labels)


def schedule_from(raw: Any, number: int = 1, now: datetime | None = None) -> StepSchedule:
    """`now`, `{at: ...}`, `{cron: ..., until: ...}` or `{event: ..., offset: "-2d"}`; times may be
    relative to `now` ("in 2 hours", "tomorrow 10:00")."""
    now = now or utcnow()
    if raw in (None, "now", {"now": None}):
        return StepSchedule(ScheduleKind.NOW)
    if isinstance(raw, (str, datetime)):  # `schedule: tomorrow 10:00` is short for `at: ...`
        raw = {"at": raw}
    if not isinstance(raw, dict):
        raise InvalidDefinition(Text.of("Step {step}: unknown schedule.", step=number))
    if "at" in raw:
        schedule = StepSchedule(ScheduleKind.AT, send_at=moment(raw["at"], number, now))
    elif "cron" in raw:
        until = moment(raw["until"], number, now) if raw.get("until") else None
        schedule = StepSchedule(ScheduleKind.RECURRING, cron=str(raw["cron"]), until=until)
    elif "event" in raw:
        schedule = StepSchedule(
            ScheduleKind.RELATIVE,
            event_at=moment(raw["event"], number, now),
            offset=parse_offset(str(raw.get("offset", "0m"))),
        )
    else:
        raise InvalidDefinition(Text.of("Step {step}: unknown schedule.", step=number))
    schedule.validate()
    return schedule


def moment(value: Any, number: int = 1, now: datetime | None = None) -> datetime:
    """A date and time from YAML or a string; without a zone it is Tbilisi time (a date: its midnight).
    A relative time ("in 2 hours", "tomorrow 10:00") is counted from `now`."""
    if (resolved := relative(value, now or utcnow())) is not None:
        return resolved
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise InvalidDefinition(
                Text.of(
                    "Step {step}: {value} is not a date and time (write 2026-12-01 10:00, or {examples}).",
                    step=number,
                    value=str(value),
                    examples=EXAMPLES,
                )
            ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=TBILISI)
