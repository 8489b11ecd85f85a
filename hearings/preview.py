"""A hearing's notice as each reader will get it, before it is announced: per channel and language, the
text the senders render, its SMS segments and cost, and how many readers get a fallback language.

Nothing is written. The audience is the one `announce` uses (people of the municipality following
hearings); the texts come from `sms_notice.notice_for`, the function `announce` queues with, rendered by
the SMS and Telegram senders' own renderers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.audience import AudienceSpec
from campaigns.audience import count as count_audience
from channels.i18n import LANGUAGES
from channels.sms.render import render_sms
from channels.sms.segments import count_segments, estimate_cost
from channels.telegram.text import telegram_text
from hearings import sms_notice
from hearings.officers import TOPIC
from storage.models import Channel, Municipality
from storage.models.hearings import Hearing


@dataclass(frozen=True)
class Reading:
    """The notice for readers of one language on one channel."""

    channel: Channel
    language: str
    readers: int
    text: str
    fallback: bool  # the officer wrote no title in this language: these readers get the fallback's
    shortened: bool  # SMS: the short notice with a link, because the full one is over the limit
    segments: int  # SMS segments of one message (0 on Telegram)
    cost: Decimal  # all SMS readers of this language

    @property
    def refused(self) -> bool:
        return self.channel == Channel.SMS and self.segments > sms_notice.MAX_SEGMENTS


async def preview(
    session: AsyncSession,
    hearing: Hearing,
    *,
    language: str | None = None,
    channel: Channel | None = None,
    price_per_segment: Decimal = Decimal(0),
    public_base_url: str | None = None,
) -> list[Reading]:
    """Every (channel, language) the notice goes to, plus `language` when asked for with nobody reading it."""
    place = await session.get_one(Municipality, hearing.municipality_id)
    spec = AudienceSpec(municipalities=(place.code,), topics=(TOPIC,))
    counted = (await count_audience(session, spec)).by_channel_language
    pairs = set(counted)
    channels = [channel] if channel else [Channel.TELEGRAM, Channel.SMS]
    if language:
        pairs |= {(c.value, language) for c in channels}
    readings = []
    for channel_name, lang in sorted(pairs):
        on = Channel(channel_name)
        if on not in channels or (language and lang != language) or lang not in LANGUAGES:
            continue
        message, shortened = sms_notice.chosen(hearing, on, lang, place.code, public_base_url)
        readers = counted.get((channel_name, lang), 0)
        if on == Channel.SMS:
            text = render_sms(message, lang)
            segments = count_segments(text).segments
            cost = estimate_cost(segments * readers, price_per_segment)
        else:
            text, segments, cost = telegram_text(message, lang), 0, Decimal(0)
        readings.append(
            Reading(
                on,
                lang,
                readers,
                text,
                fallback=lang not in hearing.title,
                shortened=shortened,
                segments=segments,
                cost=cost,
            )
        )
    return readings
