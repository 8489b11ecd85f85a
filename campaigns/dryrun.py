"""What a campaign would cost before anyone approves it: people per channel and language, SMS segments
and price per language, and how long one step takes to go out at the configured sending rates.

Georgian and Armenian (and Cyrillic, and Azerbaijani ə) switch an SMS to UCS-2: 70 characters a segment
instead of 160, so the same notice can cost three times as much in ka as in en. The SMS text priced is
the one the SMS sender renders from the queued message (`sms_text`); people who asked for Latin
transliteration pay less than shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import audience
from campaigns.audience import AudienceCount, AudienceSpec
from campaigns.firing import can_read, message_for
from channels.sms.render import render_sms
from channels.sms.segments import count_segments, estimate_cost
from storage.models import Channel
from storage.models.campaigns import Campaign, CampaignStep


@dataclass(frozen=True)
class Rates:
    """Sending rates of this deployment (DeliverySettings, TwilioSettings) and the SMS price."""

    telegram_per_second: float = 30.0
    sms_per_second: float = 1.0
    sms_price_per_segment: Decimal = Decimal(0)


@dataclass(frozen=True)
class LanguageEstimate:
    """One language: people per channel, SMS segments of one person's messages (all steps), their cost."""

    language: str
    telegram: int
    sms: int
    sms_segments_per_person: int
    sms_segments: int
    sms_cost: Decimal
    has_text: bool


@dataclass(frozen=True)
class DryRun:
    audience: AudienceCount
    steps: int
    languages: tuple[LanguageEstimate, ...]
    telegram_messages: int
    sms_messages: int
    sms_segments: int
    sms_cost: Decimal
    step_duration: timedelta  # one step to the whole audience; channels send side by side

    @property
    def messages(self) -> int:
        return self.telegram_messages + self.sms_messages


def sms_text(campaign: Campaign, step: CampaignStep, lang: str) -> str | None:
    """The SMS body a person reading `lang` gets for `step` (None when there is no text for them): the
    message `firing.message_for` queues, rendered by the SMS sender's own `render_sms`, so the numbered
    survey choice, its "Reply 1" hint, links and attachment are priced exactly as they are sent."""
    if not can_read(campaign, step, lang):
        return None
    return render_sms(message_for(campaign, step), lang)


async def dry_run(session: AsyncSession, campaign: Campaign, rates: Rates) -> DryRun:
    """Counts from the live audience; nothing is written."""
    counted = await audience.count(session, AudienceSpec.from_dict(campaign.audience))
    steps = list(campaign.steps)
    estimates: list[LanguageEstimate] = []
    for lang in sorted(counted.by_language):
        telegram = counted.by_channel_language.get((Channel.TELEGRAM.value, lang), 0)
        sms = counted.by_channel_language.get((Channel.SMS.value, lang), 0)
        texts = [sms_text(campaign, step, lang) for step in steps]
        per_person = sum(count_segments(text).segments for text in texts if text is not None)
        segments = per_person * sms
        estimates.append(
            LanguageEstimate(
                lang,
                telegram,
                sms,
                per_person,
                segments,
                estimate_cost(segments, rates.sms_price_per_segment),
                all(t is not None for t in texts),
            )
        )
    telegram_people = counted.by_channel.get(Channel.TELEGRAM.value, 0)
    sms_people = counted.by_channel.get(Channel.SMS.value, 0)
    seconds = max(telegram_people / rates.telegram_per_second, sms_people / rates.sms_per_second)
    return DryRun(
        audience=counted,
        steps=len(steps),
        languages=tuple(estimates),
        telegram_messages=telegram_people * len(steps),
        sms_messages=sms_people * len(steps),
        sms_segments=sum(e.sms_segments for e in estimates),
        sms_cost=sum((e.sms_cost for e in estimates), Decimal(0)),
        step_duration=timedelta(seconds=round(seconds)),
    )
