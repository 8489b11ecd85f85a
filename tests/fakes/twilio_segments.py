"""SMS segment counting for the fake Twilio: an independent reference for the project's own counter.

Written from GSM 03.38 and Twilio's published segment calculator, not from project code, so a test can
compare the two. A segment carries 140 octets: 160 GSM-7 septets or 70 UCS-2 code units alone, 153 or
67 once a concatenation header is needed. An escaped GSM-7 character (2 septets) and a UTF-16 surrogate
pair are never split across two segments, so a boundary can move a whole character to the next segment.
"""

from dataclasses import dataclass
from enum import StrEnum

# GSM 03.38 default alphabet (0x1B, the escape to the extension table, is not a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters reached through the escape: each costs two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_GSM7, MULTI_GSM7 = 160, 153
SINGLE_UCS2, MULTI_UCS2 = 70, 67
# Twilio rejects a Body above this many characters with error 21617; counted in UTF-16 code units,
# since Twilio says emoji and other wide characters "count as multiple characters".
MAX_BODY_CHARS = 1600


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class Segmentation:
    """How a body travels: its encoding, its length in code units (septets or UTF-16 units), its segments."""

    encoding: Encoding
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """True when every character exists in the GSM-7 default alphabet or its extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units: what UCS-2 transmission and Twilio's 1600 limit count."""
    return len(text.encode("utf-16-le")) // 2


def _char_units(text: str, encoding: Encoding) -> list[int]:
    if encoding is Encoding.GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(sizes: list[int], capacity: int) -> int:
    """Segments needed when no character may straddle two segments."""
    segments, used = 1, 0
    for size in sizes:
        if used + size > capacity:
            segments, used = segments + 1, 0
        used += size
    return segments


def count_segments(text: str) -> Segmentation:
    """Segment count of an SMS body; an empty body still costs one segment."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    sizes = _char_units(text, encoding)
    units = sum(sizes)
    single, multi = (SINGLE_GSM7, MULTI_GSM7) if encoding is Encoding.GSM7 else (SINGLE_UCS2, MULTI_UCS2)
    segments = 1 if units <= single else _pack(sizes, multi)
    return Segmentation(encoding=encoding, units=units, segments=segments)
