"""What an SMS costs, as written and in Latin letters: for dry runs, cost estimates and the CLI.

Providers bill every segment, so the estimate renders the message exactly as the SMS sender will
(`render_sms`) and counts its segments; the Latin figures show what the optional Latin mode would save.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from channels.message import Outgoing
from channels.sms.render import render_sms
from channels.sms.segments import SegmentInfo, count_segments, estimate_cost
from channels.sms.transliterate import to_latin


@dataclass(frozen=True)
class SmsCost:
    """One message for one reader: its segments as written and romanized, and their prices."""

    text: str
    latin_text: str
    native: SegmentInfo
    latin: SegmentInfo
    price_per_segment: Decimal = Decimal(0)

    @property
    def saved_segments(self) -> int:
        return self.native.segments - self.latin.segments

    @property
    def cost(self) -> Decimal:
        return estimate_cost(self.native.segments, self.price_per_segment)

    @property
    def latin_cost(self) -> Decimal:
        return estimate_cost(self.latin.segments, self.price_per_segment)


def text_cost(text: str, language: str, price_per_segment: Decimal = Decimal(0)) -> SmsCost:
    latin_text = to_latin(text, language)
    return SmsCost(text, latin_text, count_segments(text), count_segments(latin_text), price_per_segment)


def message_cost(message: Outgoing, language: str, price_per_segment: Decimal = Decimal(0)) -> SmsCost:
    """The cost of `message` rendered for a reader of `language` (choices, hint and links included)."""
    return text_cost(render_sms(message, language), language, price_per_segment)
