"""How a channel-neutral message looks to its reader: Telegram text with its buttons, and SMS with the
segments, encoding and the Latin-mode alternative. The channels' own renderers produce the texts."""

from __future__ import annotations

from dataclasses import dataclass

from channels.i18n import render
from channels.message import Outgoing
from channels.sms.render import render_sms
from channels.sms.segments import SegmentInfo, count_segments


@dataclass(frozen=True)
class Rendered:
    language: str
    telegram: str
    buttons: tuple[str, ...]
    sms: str
    sms_info: SegmentInfo
    latin: str | None
    latin_info: SegmentInfo | None


def rendered(message: Outgoing, lang: str) -> Rendered:
    telegram = "\n\n".join(render(part, lang) for part in message.parts)
    sms = render_sms(message, lang)
    latin = render_sms(message, lang, latin=True)
    different = latin != sms
    return Rendered(
        lang,
        telegram,
        tuple(render(choice.label, lang) for choice in message.choices),
        sms,
        count_segments(sms),
        latin if different else None,
        count_segments(latin) if different else None,
    )
