"""How many SMS segments a text costs, counted the way the network (and Twilio's bill) counts them.

A message is GSM-7 only when every character is in the GSM 03.38 default alphabet or its extension
table; a single other character (ə, any Georgian, Armenian or Cyrillic letter, an emoji) sends the whole
message as UCS-2. GSM-7: 160 septets in one segment, 153 per part once concatenated (the UDH takes the
rest), extension characters cost two septets (ESC + code) and an escape pair never straddles two parts.
UCS-2: 70 UTF-16 code units in one segment, 67 per part; a character outside the BMP (most emoji) is a
surrogate pair of two units, never split across parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

# GSM 03.38 default alphabet in code order 0x00-0x7F, as printed in ETSI TS 100 900 / 3GPP TS 23.038.
# 0x1B is the escape to the extension table, not a character (so it is absent here). 0x09 is the
# capital Ç of the ETSI table; Unicode's GSM0338.TXT "corrects" it to small ç, so a phone may show
# either, but an encoder that follows ETSI rejects ç: we count ç as UCS-2, the safe (dearer) side.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Extension table: each costs ESC + code, two septets.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_GSM7_SINGLE, _GSM7_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67


class SmsEncoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentInfo:
    """The cost of one text: `units` are septets (GSM-7) or UTF-16 code units (UCS-2).

    `units_per_segment` is the single-segment limit while the text fits in one segment and the
    per-part limit once it is concatenated; `units_left` is the room still free in the last segment.
    An empty text counts as one segment, as Twilio's segment calculator shows it (Twilio refuses to
    send an empty body anyway).
    """

    encoding: SmsEncoding
    units: int
    segments: int
    units_per_segment: int
    units_left: int


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 default alphabet or its extension table."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text)


def count_segments(text: str) -> SegmentInfo:
    """Count the segments `text` is sent (and billed) as; never fails, whatever the string holds."""
    if is_gsm7(text):
        widths = [2 if ch in _GSM7_EXTENSION else 1 for ch in text]
        return _pack(SmsEncoding.GSM7, widths, _GSM7_SINGLE, _GSM7_PART)
    widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return _pack(SmsEncoding.UCS2, widths, _UCS2_SINGLE, _UCS2_PART)


def estimate_cost(segments: int, price_per_segment: Decimal) -> Decimal:
    """Price of sending `segments` segments: providers bill every segment, not every message."""
    if segments < 0:
        raise ValueError(f"segments must not be negative, got {segments}")
    if price_per_segment < 0:
        raise ValueError(f"price_per_segment must not be negative, got {price_per_segment}")
    return price_per_segment * segments


def _pack(encoding: SmsEncoding, widths: list[int], single: int, part: int) -> SegmentInfo:
    """Fill parts greedily; a two-unit character that does not fit opens the next part whole."""
    units = sum(widths)
    if units <= single:
        return SegmentInfo(encoding, units, 1, single, single - units)
    segments, used = 1, 0
    for width in widths:
        if used + width > part:
            segments, used = segments + 1, 0
        used += width
    return SegmentInfo(encoding, units, segments, part, part - used)
