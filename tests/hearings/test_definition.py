"""Reading a hearing from YAML or flags: Tbilisi wall-clock times, languages, limits, the example file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from campaigns.errors import InvalidDefinition
from hearings.definition import HearingDraft, parse_start

EXAMPLE = Path(__file__).resolve().parents[2] / "hearings" / "examples" / "budget_hearing.yaml"
BASE: dict[str, Any] = {
    "municipality": "marneuli",
    "title": {"ka": "განხილვა"},
    "place": {"ka": "მერია"},
    "starts_at": "2026-12-10 15:00",
}


@pytest.mark.parametrize(
    ("label", "value", "expected"),
    [
        (
            "text without a zone is Tbilisi time",
            "2026-12-10 15:00",
            datetime(2026, 12, 10, 11, 0, tzinfo=UTC),
        ),
        ("ISO with T", "2026-12-10T15:00", datetime(2026, 12, 10, 11, 0, tzinfo=UTC)),
        ("explicit UTC offset kept", "2026-12-10T15:00+00:00", datetime(2026, 12, 10, 15, 0, tzinfo=UTC)),
        (
            "YAML datetime without zone",
            datetime(2027, 6, 30, 9, 30),
            datetime(2027, 6, 30, 5, 30, tzinfo=UTC),
        ),
        (
            "just after midnight is the previous UTC day",
            "2027-01-01 00:30",
            datetime(2026, 12, 31, 20, 30, tzinfo=UTC),
        ),
    ],
)
def test_start_times(label: str, value: object, expected: datetime) -> None:
    assert parse_start(value) == expected, label


@pytest.mark.parametrize(
    ("label", "change"),
    [
        ("unknown setting", {"room": "5"}),
        ("no municipality", {"municipality": ""}),
        ("no title", {"title": {}}),
        ("unknown language", {"title": {"ka": "x", "de": "y"}}),
        ("title not per language", {"title": "Budget"}),
        ("fallback has no place", {"fallback_language": "az", "title": {"ka": "x", "az": "y"}}),
        ("no start", {"starts_at": None}),
        ("date without time", {"starts_at": datetime(2026, 12, 10).date()}),
        ("not a date", {"starts_at": "next Tuesday"}),
        ("too short", {"duration_minutes": 14}),
        ("too long", {"duration_minutes": 721}),
        ("duration yes", {"duration_minutes": True}),
        ("interpretation into Klingon", {"interpretation": ["tlh"]}),
        ("title too long", {"title": {"ka": "ა" * 201}}),
        ("names required maybe", {"names_required": "perhaps"}),
    ],
)
def test_invalid_definitions_are_refused(label: str, change: dict[str, Any]) -> None:
    with pytest.raises(InvalidDefinition):
        HearingDraft.from_dict({**BASE, **change})


@pytest.mark.parametrize("minutes", [15, 720, "90"])
def test_duration_edges(minutes: object) -> None:
    assert HearingDraft.from_dict({**BASE, "duration_minutes": minutes}).duration_minutes == int(str(minutes))


def test_blank_translations_are_dropped_and_fallback_defaults_to_georgian() -> None:
    draft = HearingDraft.from_dict(
        {**BASE, "title": {"ka": " განხილვა ", "az": "  "}, "names_required": "yes"}
    )
    assert (dict(draft.title), draft.fallback_language, draft.names_required) == (
        {"ka": "განხილვა"},
        "ka",
        True,
    )


def test_the_example_file_is_a_marneuli_budget_hearing_in_five_languages() -> None:
    read = datetime(2026, 12, 31, 21, 0, tzinfo=UTC)  # 1 January 2027, 01:00 in Tbilisi
    draft = HearingDraft.from_dict(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), now=read)
    assert draft.municipality == "marneuli"
    assert draft.interpretation == ("az", "hy")
    for texts in (draft.title, draft.description, draft.place, draft.accessibility):
        assert sorted(texts) == ["az", "en", "hy", "ka", "ru"]
    assert "next year's draft budget" in draft.title["en"]
    assert draft.starts_at == datetime(2027, 1, 22, 11, 0, tzinfo=UTC)  # 21 days on, 15:00 in Tbilisi
    assert "საჯარო განხილვა" in draft.title["ka"] and "ictimai müzakirə" in draft.title["az"]
    assert "հանրային քննարկում" in draft.title["hy"] and "Публичное обсуждение" in draft.title["ru"]
