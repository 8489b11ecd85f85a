"""Where the messages of one campaign or hearing stand, by channel and language: what an officer asks
"did they go out, and if not, why?" — queued, sent, failed, held by quiet hours, held by a pause.

"Held by quiet hours" is a message waiting for a `not_before` still in the future (set by
`campaigns.quiet`); "held by pause" one of a paused campaign (the claim skips those). Counted in the
database with one grouped query, so a 100,000-message broadcast costs one round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.campaigns import Campaign, CampaignStatus
from storage.models.deliveries import Delivery, DeliveryStatus


class Standing(StrEnum):
    QUEUED = "queued"  # due, waiting for (or in the hands of) a delivery worker
    HELD_QUIET = "held by quiet hours"
    HELD_PAUSE = "held by pause"
    SENT = "sent"  # accepted by the provider, or delivered
    FAILED = "failed"  # failed, undelivered, or the address cannot receive
    CANCELLED = "cancelled"


COLUMNS = tuple(Standing)


@dataclass(frozen=True)
class Tally:
    """Counts per (channel, language) and standing; `rows` in channel, language order."""

    counts: Mapping[tuple[str, str], Mapping[Standing, int]] = field(default_factory=dict)
    first_release: datetime | None = None  # when the earliest message held by quiet hours may go

    @property
    def total(self) -> dict[Standing, int]:
        sums = dict.fromkeys(COLUMNS, 0)
        for row in self.counts.values():
            for standing, n in row.items():
                sums[standing] += n
        return sums

    def lines(self) -> list[str]:
        """A small table for the terminal: one row per channel and language, then the total."""
        if not self.counts:
            return ["no messages queued yet"]
        header = f"{'channel':<9}{'lang':<5}" + "".join(f"{s.value:>21}" for s in COLUMNS)
        body = [
            f"{channel:<9}{lang:<5}" + "".join(f"{row.get(s, 0):>21}" for s in COLUMNS)
            for (channel, lang), row in sorted(self.counts.items())
        ]
        total = f"{'total':<14}" + "".join(f"{self.total[s]:>21}" for s in COLUMNS)
        return [header, *body, total]


async def tally(
    session: AsyncSession, now: datetime, *, campaign_id: int | None = None, key_prefix: str | None = None
) -> Tally:
    """The messages of a campaign (`campaign_id`) or whose dedupe key starts with `key_prefix` (a hearing's
    `h<id>:`), counted by channel, language and standing at `now`."""
    where: list[ColumnElement[bool]] = []
    if campaign_id is not None:
        where.append(Delivery.campaign_id == campaign_id)
    if key_prefix is not None:
        where.append(Delivery.dedupe_key.startswith(key_prefix, autoescape=True))
    if not where:
        raise ValueError("tally needs a campaign or a key prefix")
    waiting = Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING))
    paused = select(Campaign.id).where(Campaign.status == CampaignStatus.PAUSED.value)
    standing = case(
        (and_(waiting, Delivery.campaign_id.in_(paused)), Standing.HELD_PAUSE),
        (and_(Delivery.status == DeliveryStatus.PENDING, Delivery.not_before > now), Standing.HELD_QUIET),
        (waiting, Standing.QUEUED),
        (Delivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.DELIVERED)), Standing.SENT),
        (Delivery.status == DeliveryStatus.CANCELLED, Standing.CANCELLED),
        else_=Standing.FAILED,
    ).label("standing")
    rows = await session.execute(
        select(Delivery.channel, Delivery.language, standing, func.count())
        .where(*where)
        .group_by(Delivery.channel, Delivery.language, standing)
    )
    counts: dict[tuple[str, str], dict[Standing, int]] = {}
    for channel, language, state, n in rows:
        counts.setdefault((str(channel), str(language)), {})[Standing(state)] = int(n)
    first = await session.scalar(
        select(func.min(Delivery.not_before)).where(
            *where, Delivery.status == DeliveryStatus.PENDING, Delivery.not_before > now
        )
    )
    return Tally(counts, first)
