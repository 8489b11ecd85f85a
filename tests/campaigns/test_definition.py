"""Campaign files: the shipped example loads, and every kind of mistake is refused by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from campaigns.definition import CampaignDraft, moment
from campaigns.errors import InvalidDefinition
from campaigns.schedule import TBILISI
from channels.i18n import LANGUAGES
from storage.models.campaigns import ScheduleKind


def _example() -> str:
    return (resources.files("campaigns") / "examples" / "hearing_notice.yaml").read_text(encoding="utf-8")


def test_example_hearing_notice_loads_in_all_five_languages() -> None:
    """Its times are relative to when it is read (28 February 2027, 23:30 in Tbilisi, a month end)."""
    read = datetime(2027, 2, 28, 19, 30, tzinfo=UTC)
    draft = CampaignDraft.from_yaml(_example(), now=read)
    assert draft.audience.municipalities == ("marneuli",)
    assert [step.schedule.kind for step in draft.steps] == [ScheduleKind.AT, ScheduleKind.RELATIVE]
    for step in draft.steps:
        assert sorted(step.texts) == sorted(LANGUAGES)
    assert draft.steps[0].schedule.send_at == moment("2027-03-01 10:00")
    reminder = draft.steps[1].schedule
    assert reminder.event_at == moment("2027-03-15 18:00")
    assert reminder.single_time(read) == moment("2027-03-14 18:00")
    assert draft.steps[0].links[0].label["az"] == "Büdcə layihəsi"


def test_example_follows_the_typography_rules() -> None:
    """GLOSSARY: Armenian ends sentences with ։ (never ASCII ?), az uses ə and never ä or Cyrillic ә."""
    draft = CampaignDraft.from_yaml(_example())
    for step in draft.steps:
        assert step.texts["hy"].endswith("։") and "?" not in step.texts["hy"]
        assert "ə" in step.texts["az"] and not {"ä", "ә"} & set(step.texts["az"])
        assert step.texts["ka"] == step.texts["ka"].lower()


def _base(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Notice",
        "audience": {"municipalities": ["dmanisi"]},
        "steps": [{"texts": {"ka": "ტექსტი"}}],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("label", "data", "fragment"),
    [
        ("no name", _base(name=""), "needs a name"),
        ("no steps", _base(steps=[]), "at least one step"),
        ("unknown top key", _base(budget=1), "Unknown campaign setting: budget"),
        (
            "unknown step key",
            _base(steps=[{"texts": {"ka": "ა"}, "photo": "x"}]),
            "Unknown setting in step 1",
        ),
        ("unknown language", _base(steps=[{"texts": {"de": "Hallo"}}]), "de is not one of the languages"),
        ("empty text", _base(steps=[{"texts": {"ka": " "}}]), "the ka text is empty"),
        ("too long", _base(steps=[{"texts": {"ka": "ა" * 4001}}]), "longer than 4000"),
        ("base language without text", _base(base_language="az"), "no text in az"),
        ("fallback without text", _base(fallback_language="ru"), "no text in ru"),
        (
            "bad link",
            _base(steps=[{"texts": {"ka": "ა"}, "links": [{"url": "ftp://x", "label": "x"}]}]),
            "is not a web address",
        ),
        ("survey not a number", _base(steps=[{"texts": {"ka": "ა"}, "survey_id": "twelve"}]), "survey_id"),
        ("survey true", _base(steps=[{"texts": {"ka": "ა"}, "survey_id": True}]), "survey_id"),
        (
            "unknown schedule",
            _base(steps=[{"texts": {"ka": "ა"}, "schedule": ["tomorrow"]}]),
            "unknown schedule",
        ),
        (
            "a day without a time",
            _base(steps=[{"texts": {"ka": "ა"}, "schedule": "tomorrow"}]),
            'is not a date and time (write 2026-12-01 10:00, or "in 2 hours"',
        ),
        (
            "bad date",
            _base(steps=[{"texts": {"ka": "ა"}, "schedule": {"at": "next friday"}}]),
            "is not a date and time",
        ),
        (
            "every minute",
            _base(steps=[{"texts": {"ka": "ა"}, "schedule": {"cron": "* * * * *"}}]),
            "must name the minute",
        ),
        ("special groups", _base(audience={"disability": ["yes"]}), "Self-identified groups"),
    ],
)
def test_mistakes_are_refused_by_name(label: str, data: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        CampaignDraft.from_dict(data)
    assert fragment in str(caught.value)


def test_not_yaml_or_not_a_mapping() -> None:
    with pytest.raises(InvalidDefinition, match="not valid YAML"):
        CampaignDraft.from_yaml("name: [unclosed")
    with pytest.raises(InvalidDefinition, match="must be a mapping"):
        CampaignDraft.from_yaml("- just a list")


@pytest.mark.parametrize(
    ("value", "hours_from_utc"),
    [("2026-12-01 10:00", 4), ("2026-12-01T10:00:00+00:00", 0), ("2026-12-01T10:00:00+04:00", 4)],
)
def test_times_without_a_zone_are_tbilisi_time(value: str, hours_from_utc: int) -> None:
    parsed = moment(value)
    assert parsed.utcoffset() == timedelta(hours=hours_from_utc)
    assert parsed.astimezone(TBILISI).hour == (10 if hours_from_utc == 4 else 14)


def test_one_label_for_every_language() -> None:
    draft = CampaignDraft.from_dict(
        _base(steps=[{"texts": {"ka": "ა"}, "links": [{"url": "https://x.ge", "label": "x.ge"}]}])
    )
    assert set(draft.steps[0].links[0].label) == set(LANGUAGES)
