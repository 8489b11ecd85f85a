"""Audiences: who is in, who is never in, on which channel, counted and walked in batches."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import audience
from campaigns.audience import AudienceSpec
from campaigns.errors import InvalidDefinition
from storage.models import ContactStatus
from tests.campaigns.people import add_person

# (label, person, spec, expected channel or None when the person must not be reached)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str | None]] = [
    ("everyone reaches an active person", {}, {}, "telegram"),
    ("own municipality", {}, {"municipalities": ["marneuli"]}, "telegram"),
    ("other municipality", {"municipality": "batumi"}, {"municipalities": ["marneuli"]}, None),
    ("no municipality chosen", {"municipality": None}, {"municipalities": ["marneuli"]}, None),
    ("language matches", {"language": "az"}, {"languages": ["az", "hy"]}, "telegram"),
    ("language differs", {"language": "ru"}, {"languages": ["az", "hy"]}, None),
    ("any of the topics", {"topics": ("budget",)}, {"topics": ["hearings", "budget"]}, "telegram"),
    ("none of the topics", {"topics": ("news",)}, {"topics": ["hearings"]}, None),
    ("no topics at all", {}, {"topics": ["hearings"]}, None),
    ("tag", {"tags": ("village-a",)}, {"tags": ["village-a"]}, "telegram"),
    ("other tag", {"tags": ("village-b",)}, {"tags": ["village-a"]}, None),
    ("age band", {"age_band": "16-24"}, {"age_bands": ["16-24"]}, "telegram"),
    ("other age band", {"age_band": "65+"}, {"age_bands": ["16-24"]}, None),
    ("gender", {"gender": "woman"}, {"genders": ["woman"]}, "telegram"),
    ("gender unknown", {}, {"genders": ["woman"]}, None),
    ("unsubscribed", {"status": ContactStatus.UNSUBSCRIBED}, {}, None),
    ("erased", {"status": ContactStatus.ERASED}, {}, None),
    ("pending, no consent", {"status": ContactStatus.PENDING, "consent": False}, {}, None),
    ("unreachable person", {"status": ContactStatus.UNREACHABLE}, {}, None),
    ("telegram blocked, no sms", {"telegram_reachable": False}, {}, None),
    ("telegram blocked, sms works", {"telegram_reachable": False, "sms": True}, {}, "sms"),
    ("both channels: telegram preferred", {"sms": True}, {}, "telegram"),
    ("sms asked for explicitly", {"sms": True}, {"channels": ["sms"]}, "sms"),
    ("sms only, number dead", {"telegram": False, "sms": True, "sms_reachable": False}, {}, None),
    (
        "sms only person, telegram audience",
        {"telegram": False, "sms": True},
        {"channels": ["telegram"]},
        None,
    ),
]


@pytest.mark.parametrize(("label", "person", "spec", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_who_is_in_the_audience(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    person: dict[str, Any],
    spec: dict[str, Any],
    expected: str | None,
) -> None:
    async with sessions() as session, session.begin():
        contact = await add_person(session, **person)
        found = [r async for r in audience.recipients(session, AudienceSpec.from_dict(spec))]
        counted = await audience.count(session, AudienceSpec.from_dict(spec))
    if expected is None:
        assert found == []
        assert counted.total == 0
    else:
        assert [(r.contact_id, r.channel) for r in found] == [(contact.id, expected)]
        assert counted.by_channel == {expected: 1}
        assert counted.total == 1


async def test_counts_per_channel_and_language(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        for lang, sms_only in [("ka", False), ("ka", True), ("az", True), ("az", True), ("hy", False)]:
            await add_person(session, language=lang, telegram=not sms_only, sms=sms_only)
        await add_person(session, language="ru", status=ContactStatus.UNSUBSCRIBED)
        counted = await audience.count(session, AudienceSpec.from_dict({"municipalities": "marneuli"}))
    assert counted.total == 5
    assert counted.by_channel == {"sms": 3, "telegram": 2}
    assert counted.by_language == {"az": 2, "hy": 1, "ka": 2}
    assert counted.by_channel_language == {
        ("sms", "az"): 2,
        ("sms", "ka"): 1,
        ("telegram", "hy"): 1,
        ("telegram", "ka"): 1,
    }


async def test_recipients_come_in_batches_and_each_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        reachable = []
        for n in range(1, 12):
            person = await add_person(session, sms=n % 2 == 0, telegram=n % 3 != 0)
            if n % 2 == 0 or n % 3 != 0:
                reachable.append(person.id)
        found = [r async for r in audience.recipients(session, AudienceSpec(), batch=3)]
    assert sorted(r.contact_id for r in found) == sorted(reachable)
    assert len({r.contact_id for r in found}) == len(found)


async def test_telegram_address_is_the_chat_id(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        person = await add_person(session)
        person.identities[0].chat_id = "-100777"
        await session.flush()
        found = [r async for r in audience.recipients(session, AudienceSpec())]
    assert [r.address for r in found] == ["-100777"]


@pytest.mark.parametrize(
    ("label", "spec", "fragment"),
    [
        ("special groups are never a criterion", {"ethnic_minority": ["yes"]}, "Self-identified groups"),
        ("nor under another name", {"groups": ["disability"]}, "Self-identified groups"),
        ("unknown key", {"district": ["x"]}, "Unknown audience setting: district"),
        ("unknown language", {"languages": ["de"]}, "de is not a valid value for languages"),
        ("unknown channel", {"channels": ["whatsapp"]}, "whatsapp is not a valid value for channels"),
        ("unknown topic", {"topics": ["sports"]}, "sports is not a valid value for topics"),
        ("bad tag", {"tags": ["a b"]}, "a b is not a valid tag"),
        ("not a list", {"languages": {"ka": 1}}, "languages must be a list"),
    ],
)
def test_invalid_specs_are_refused_by_name(label: str, spec: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        AudienceSpec.from_dict(spec)
    assert fragment in str(caught.value)


async def test_unknown_municipality_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        with pytest.raises(InvalidDefinition, match="Unknown municipality: tbilisi"):
            await audience.count(session, AudienceSpec(municipalities=("tbilisi",)))


def test_spec_round_trips_through_json() -> None:
    spec = AudienceSpec.from_dict({"municipalities": ["Marneuli"], "topics": "budget", "channels": []})
    assert spec.to_dict() == {"municipalities": ["marneuli"], "topics": ["budget"]}
    assert AudienceSpec.from_dict(spec.to_dict()) == spec
