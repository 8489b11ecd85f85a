"""/approve shows every step in every language (the base language first), not only the first text."""

from __future__ import annotations

import pytest

from campaigns.console import every_text
from storage.models.campaigns import Campaign, CampaignStep


def _campaign(base: str, *steps: dict[str, str]) -> Campaign:
    campaign = Campaign(base_language=base)
    campaign.steps = [CampaignStep(position=n, texts=texts) for n, texts in enumerate(steps, 1)]
    return campaign


@pytest.mark.parametrize(
    ("label", "campaign", "expected"),
    [
        ("one step, one language: the text alone", _campaign("ka", {"ka": "წყალი"}), "წყალი"),
        (
            "one step, two languages, base first",
            _campaign("az", {"ka": "წყალი", "az": "Su"}),
            "1 · Azərbaycanca: Su\n\n1 · ქართული: წყალი",
        ),
        (
            "two steps",
            _campaign("ka", {"ka": "ა", "ru": "а"}, {"ka": "ბ", "ru": "б"}),
            "1 · ქართული: ა\n\n1 · Русский: а\n\n2 · ქართული: ბ\n\n2 · Русский: б",
        ),
    ],
)
def test_every_text(label: str, campaign: Campaign, expected: str) -> None:
    assert every_text(campaign) == expected, label
