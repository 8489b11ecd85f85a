"""Which question is this person answering? The numbered choices last put in front of them.

One rule: the question in front of a person is the message with choices that reached them last, as far
as we know it — the moment the worker recorded it as sent, moved on by Twilio's status callbacks (a
"delivered" receipt for a message makes it the latest again; an "undelivered" or "failed" one takes it
away). Queue order plays no part, so a hearing notice held by quiet hours until 09:00 is not the question
before then, and is the question once it has gone out, even if a poll invitation was queued after it.

A reply is read against that question only, at once: nothing waits for a send still being recorded.
A person can answer with the number shown ("1") or with the option's word in any spelling their keypad
allows ("Gələcəyəm", "gelecem", "Կգամ", "kgam"): compared on `channels.textnorm.latin_key`, forgiving
one edit per four letters, and only when one option is closer than every other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import render
from channels.payload import load_outgoing
from channels.sms.render import pick_choice
from channels.sms.transliterate import to_latin
from channels.textnorm import latin_key
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.offers import Offer

# Channels whose people answer by typing a number (Telegram has buttons that carry their choice).
NUMBERED_CHANNELS = frozenset({Channel.SMS})
_SHOWN = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
_LOST = (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED)
_BATCH = 500
# A typed word may differ from the option's word by one edit per this many letters: "gelecem" is the
# spoken form of "Gələcəyəm" (two letters short); "ki" or "1" must match exactly.
WORD_SLACK = 4
_T = cast(Table, Offer.__table__)


@dataclass(frozen=True)
class Offered:
    """One numbered choice: its data, and the word shown beside its number (native and Latin)."""

    data: str
    word: str
    latin: str = ""

    def match_keys(self) -> frozenset[str]:
        return frozenset(key for key in (latin_key(self.word), latin_key(self.latin)) if key)


@dataclass(frozen=True)
class Question:
    """The choices in front of a person, and since when."""

    namespace: str  # shared by every choice ("hr", "sv"), or "" when they mix namespaces
    choices: tuple[Offered, ...]
    offered_at: datetime

    @property
    def data(self) -> list[str]:
        return [choice.data for choice in self.choices]

    def within(self, namespaces: Iterable[str]) -> bool:
        """Whether every choice belongs to one of `namespaces` (e.g. hearing notices and poll invitations)."""
        wanted = frozenset(namespaces)
        return bool(self.choices) and all(c.data.partition(":")[0] in wanted for c in self.choices)

    def pick(self, reply: str) -> str | None:
        """The choice a reply names, by number or by its word; None when it names none, or several."""
        by_number = pick_choice(reply, self.data)
        if by_number is not None:
            return by_number
        typed = latin_key(reply)
        if not typed:
            return None
        scored = sorted(
            (*min((_distance(typed, key), len(key)) for key in keys), choice.data)
            for choice in self.choices
            if (keys := choice.match_keys())
        )
        if not scored:
            return None
        best, length, data = scored[0]
        close_enough = max(len(typed), length) // WORD_SLACK
        if best > close_enough or (len(scored) > 1 and scored[1][0] == best):
            return None
        return data


@dataclass(frozen=True)
class Shown:
    """A message that has just gone out: whose, on which channel, and what it said (its outbox row)."""

    contact_id: int | None
    channel: str
    delivery_id: int
    payload: Mapping[str, Any]
    language: str


def offered_choices(payload: Mapping[str, Any], language: str) -> list[Offered]:
    """The numbered choices of an outbox payload, with their words in the reader's language."""
    if not payload.get("choices"):
        return []
    try:
        message = load_outgoing(payload)
    except (KeyError, ValueError, TypeError, IndexError):
        return []
    offered = []
    for choice in message.choices:
        word = render(choice.label, language)
        offered.append(Offered(choice.data, word, to_latin(word, language)))
    return offered


async def record_shown(session: AsyncSession, shown: Iterable[Shown], *, at: datetime) -> int:
    """Make each message with choices the question in front of its reader (unless a later one already
    is); messages without choices leave the question as it was. Returns how many offers were written."""
    latest: dict[tuple[int, str], dict[str, Any]] = {}
    for item in sorted(shown, key=lambda s: s.delivery_id):
        if item.contact_id is None or item.channel not in NUMBERED_CHANNELS:
            continue
        choices = offered_choices(item.payload, item.language)
        if not choices:
            continue
        latest[(item.contact_id, item.channel)] = {
            "contact_id": item.contact_id,
            "channel": item.channel,
            "namespace": _namespace(choices),
            "choices": [{"data": c.data, "word": c.word, "latin": c.latin} for c in choices],
            "delivery_id": item.delivery_id,
            "offered_at": at,
        }
    rows = list(latest.values())
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), _BATCH):
        stmt = insert(_T).values(rows[start : start + _BATCH])
        stmt = stmt.on_conflict_do_update(
            index_elements=[_T.c.contact_id, _T.c.channel],
            set_={
                name: stmt.excluded[name] for name in ("namespace", "choices", "delivery_id", "offered_at")
            },
            where=_T.c.offered_at <= stmt.excluded.offered_at,
        )
        await session.execute(stmt)
    return len(rows)


async def record_receipt(
    session: AsyncSession, delivery_id: int, before: DeliveryStatus, after: DeliveryStatus, *, at: datetime
) -> None:
    """A status callback moved a message from `before` to `after`: "sent" or "delivered" puts its
    choices in front of the person again; "undelivered" or "failed" takes them away if they were."""
    if before == after:
        return
    if after in _LOST:
        await session.execute(delete(Offer).where(Offer.delivery_id == delivery_id))
        return
    if after not in _SHOWN:
        return
    row = (
        await session.execute(
            select(Delivery.contact_id, Delivery.channel, Delivery.payload, Delivery.language).where(
                Delivery.id == delivery_id
            )
        )
    ).first()
    if row is not None:
        contact_id, channel, payload, language = row
        await record_shown(session, [Shown(contact_id, channel, delivery_id, payload, language)], at=at)


async def question_for(
    session: AsyncSession, *, contact_id: int, channel: Channel, since: datetime | None = None
) -> Question | None:
    """The choices in front of the person on `channel`; None when none, or none offered since `since`."""
    offer = await session.scalar(
        select(Offer).where(Offer.contact_id == contact_id, Offer.channel == channel.value)
    )
    if offer is None or (since is not None and offer.offered_at < since):
        return None
    choices = tuple(
        Offered(str(c["data"]), str(c.get("word", "")), str(c.get("latin", ""))) for c in offer.choices
    )
    return Question(offer.namespace, choices, offer.offered_at)


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), for words of a few letters."""
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]


def _namespace(choices: Sequence[Offered]) -> str:
    spaces = {choice.data.partition(":")[0] for choice in choices}
    return spaces.pop() if len(spaces) == 1 else ""
