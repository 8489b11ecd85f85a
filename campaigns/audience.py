"""Audiences: who a campaign reaches, counted and walked in SQL, never loaded whole.

A person is in an audience only when they are active (consent given, not unsubscribed, erased or
unreachable) and their address on the channel is reachable. Each person gets one message per step: on
Telegram when they are reachable there and Telegram is one of the audience's channels, else by SMS.

Self-identified groups (ethnic minority, disability, displacement) are special-category data and are
NOT an audience criterion (PRIVACY.md, requirement 3: special data is never used for targeting); a spec
that names them is refused, not ignored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, cast, distinct, exists, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Text as SqlText

from campaigns.errors import InvalidDefinition
from campaigns.municipalities import unknown_municipality
from channels.i18n import LANGUAGES
from channels.message import Text
from contacts import options
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, IdentityStatus, Municipality

# Telegram first: free, and it shows buttons; SMS reaches those without Telegram.
CHANNEL_PREFERENCE: tuple[Channel, ...] = (Channel.TELEGRAM, Channel.SMS)
_SPECIAL_KEYS = frozenset(
    {
        "groups",
        "group",
        "special",
        "special_groups",
        "ethnicity",
        "ethnic_minority",
        "disability",
        "displaced",
    }
)
_MAX_TAG = 32


@dataclass(frozen=True)
class AudienceSpec:
    """Who to reach. Each list narrows the audience (lists combine with AND); a person matches a list
    when they have any of its values (a topic list [budget, hearings] reaches followers of either).
    An empty list does not narrow: no municipalities means every municipality."""

    municipalities: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> AudienceSpec:
        """From the JSON stored on a campaign or the `audience:` block of a YAML file, validated."""
        data = dict(data or {})
        special = sorted(_SPECIAL_KEYS & {str(key).lower() for key in data})
        if special:
            raise InvalidDefinition(
                Text("Self-identified groups are private and cannot be used to choose an audience.")
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise InvalidDefinition(Text.of("Unknown audience setting: {name}.", name=", ".join(unknown)))
        values = {name: _codes(name, data.get(name)) for name in known}
        spec = cls(**values)
        spec._check()
        return spec

    def to_dict(self) -> dict[str, list[str]]:
        """JSON for the campaign row: only the lists that narrow, so `{}` means everyone."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)}

    @property
    def reach_channels(self) -> tuple[Channel, ...]:
        """The channels in preference order (all of them when the spec names none)."""
        return tuple(c for c in CHANNEL_PREFERENCE if not self.channels or c in self.channels)

    def _check(self) -> None:
        allowed: dict[str, Any] = {
            "languages": LANGUAGES,
            "channels": tuple(Channel),
            "topics": tuple(options.TOPICS),
            "age_bands": tuple(options.AGE_BANDS),
            "genders": tuple(options.GENDERS),
        }
        for name, choices in allowed.items():
            for value in getattr(self, name):
                if value not in choices:
                    raise InvalidDefinition(
                        Text.of(
                            "{value} is not a valid value for {name} (use one of: {choices}).",
                            value=value,
                            name=name,
                            choices=", ".join(map(str, choices)),
                        )
                    )
        for tag in self.tags:
            if len(tag) > _MAX_TAG or not tag.replace("-", "").replace("_", "").isalnum():
                raise InvalidDefinition(Text.of("{value} is not a valid tag.", value=tag))


def _codes(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str | int) else value
    if not isinstance(items, list | tuple):
        raise InvalidDefinition(Text.of("{name} must be a list.", name=name))
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(str(item).strip().lower(), None)
    return tuple(code for code in seen if code)


class Recipient(NamedTuple):
    """`address` is what the channel sends to: the chat id on Telegram, the E.164 number by SMS."""

    contact_id: int
    channel: Channel
    address: str
    language: str


@dataclass(frozen=True)
class AudienceCount:
    """Live counts: people, and messages per channel, per language and per (channel, language)."""

    total: int
    by_channel: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    by_channel_language: dict[tuple[str, str], int] = field(default_factory=dict)


async def municipality_ids(session: AsyncSession, spec: AudienceSpec) -> dict[str, int]:
    """The ids of the spec's municipalities; an unknown code is refused by name."""
    if not spec.municipalities:
        return {}
    rows = await session.execute(
        select(Municipality.code, Municipality.id).where(Municipality.code.in_(spec.municipalities))
    )
    found = dict(rows.all())
    missing = [code for code in spec.municipalities if code not in found]
    if missing:
        raise InvalidDefinition(await unknown_municipality(session, ", ".join(missing)))
    return found


async def count(session: AsyncSession, spec: AudienceSpec) -> AudienceCount:
    """How many people and messages the spec reaches right now (one message per person per step)."""
    base = await _reachable(session, spec)
    sub = base.subquery()
    rows = await session.execute(
        select(sub.c.channel, sub.c.language, func.count()).group_by(sub.c.channel, sub.c.language)
    )
    by_pair = {(str(channel), str(lang)): int(n) for channel, lang, n in rows}
    total = await session.scalar(select(func.count(distinct(sub.c.contact_id))))
    by_channel: dict[str, int] = {}
    by_language: dict[str, int] = {}
    for (channel, lang), n in sorted(by_pair.items()):
        by_channel[channel] = by_channel.get(channel, 0) + n
        by_language[lang] = by_language.get(lang, 0) + n
    return AudienceCount(int(total or 0), by_channel, by_language, by_pair)


async def recipients(
    session: AsyncSession, spec: AudienceSpec, batch: int = 1000
) -> AsyncIterator[Recipient]:
    """Every recipient once, in address order, fetched `batch` rows at a time (keyset pagination, so a
    big audience is never in memory and rows added meanwhile are still reached)."""
    query = await _reachable(session, spec)
    last_id = 0
    while True:
        rows = (
            await session.execute(
                query.where(ChannelIdentity.id > last_id).order_by(ChannelIdentity.id).limit(batch)
            )
        ).all()
        for row in rows:
            yield Recipient(row.contact_id, Channel(row.channel), row.address, row.language)
        if len(rows) < batch:
            return
        last_id = rows[-1].identity_id


async def _reachable(session: AsyncSession, spec: AudienceSpec) -> Select[int, int, Channel, str, str]:
    ids = await municipality_ids(session, spec)
    dialect = session.get_bind().dialect.name
    conditions: list[ColumnElement[bool]] = [
        Contact.status == ContactStatus.ACTIVE,
        Contact.consent_at.is_not(None),
        ChannelIdentity.status == IdentityStatus.ACTIVE,
        Contact.simulated.is_(False),  # people of the web chat simulator are in no audience
    ]
    if ids:
        conditions.append(Contact.municipality_id.in_(list(ids.values())))
    if spec.languages:
        conditions.append(Contact.language.in_(spec.languages))
    if spec.age_bands:
        conditions.append(Contact.age_band.in_(spec.age_bands))
    if spec.genders:
        conditions.append(Contact.gender.in_(spec.genders))
    if spec.topics:
        conditions.append(_has_any(Contact.topics, spec.topics, dialect))
    if spec.tags:
        conditions.append(_has_any(Contact.tags, spec.tags, dialect))
    conditions.append(_preferred_channel(spec.reach_channels))
    return (
        select(
            ChannelIdentity.id.label("identity_id"),
            Contact.id.label("contact_id"),
            ChannelIdentity.channel.label("channel"),
            func.coalesce(ChannelIdentity.chat_id, ChannelIdentity.address).label("address"),
            Contact.language.label("language"),
        )
        .join(Contact, Contact.id == ChannelIdentity.contact_id)
        .where(*conditions)
    )


def _preferred_channel(channels: tuple[Channel, ...]) -> ColumnElement[bool]:
    """Keep an identity only when no channel earlier in the preference reaches the same person."""
    choices = []
    for position, channel in enumerate(channels):
        better = [_reachable_on(earlier) for earlier in channels[:position]]
        choices.append(and_(ChannelIdentity.channel == channel, *[~clause for clause in better]))
    return or_(*choices)


def _reachable_on(channel: Channel) -> ColumnElement[bool]:
    other = aliased(ChannelIdentity)
    return exists().where(
        other.contact_id == Contact.id, other.channel == channel, other.status == IdentityStatus.ACTIVE
    )


def _has_any(column: Any, values: tuple[str, ...], dialect: str) -> ColumnElement[bool]:
    """A JSON list column holding any of `values`: `?|` on PostgreSQL, json_each on SQLite."""
    if dialect == "postgresql":
        wanted = cast(array(list(values)), ARRAY(SqlText))
        clause: ColumnElement[bool] = type_coerce(column, JSONB).has_any(wanted)
        return clause
    element = func.json_each(column).table_valued("value")
    return exists(select(1).select_from(element).where(element.c.value.in_(values)))
