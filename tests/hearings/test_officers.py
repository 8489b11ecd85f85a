"""The officer's side: announce (once per person and channel, quiet hours), cancel, feedback, RSVP counts
and names, questions, the municipality scope of officers, and the audit log of each action."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns.errors import InvalidDefinition, InvalidTransition, ScopeDenied
from channels.i18n import render
from channels.payload import load_outgoing
from hearings import officers
from hearings.service import HearingConversation
from storage.models import AuditEntry, Channel, ContactStatus
from storage.models.deliveries import DeliveryStatus
from storage.models.hearings import HearingQuestion, HearingStatus, Rsvp
from tests.campaigns.people import add_person
from tests.hearings.builders import NOW, STARTS, coordinator, deliveries, draft, hearing, hours, officer


async def audit_actions(session: AsyncSession) -> list[tuple[str, str, str]]:
    rows = (
        await session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("hearing.%")).order_by(AuditEntry.id)
        )
    ).all()
    return [(row.actor, row.action, row.subject) for row in rows]


async def test_announce_enqueues_once_per_person_and_channel_even_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        by = await coordinator(session)
        telegram = await add_person(session, topics=("hearings",), language="az")
        sms_only = await add_person(session, topics=("hearings", "budget"), telegram=False, sms=True)
        both = await add_person(session, topics=("hearings",), sms=True)
        await add_person(session, topics=("budget",))  # does not follow hearings
        await add_person(session, topics=("hearings",), municipality="batumi")
        await add_person(session, topics=("hearings",), status=ContactStatus.UNSUBSCRIBED)
        created = await officers.create(session, draft(), by, NOW)
        assert await officers.announce(session, created.id, by, NOW) == 3
    async with sessions() as session, session.begin():
        late = await add_person(session, topics=("hearings",))
        assert await officers.announce(session, created.id, await coordinator(session), NOW + hours(1)) == 1
        assert await officers.announce(session, created.id, await coordinator(session), NOW + hours(2)) == 0
        rows = await deliveries(session)
        actions = await audit_actions(session)
    assert sorted(r.dedupe_key for r in rows) == sorted(
        [
            f"h{created.id}:notice:p{telegram.id}:telegram",
            f"h{created.id}:notice:p{sms_only.id}:sms",
            f"h{created.id}:notice:p{both.id}:telegram",
            f"h{created.id}:notice:p{late.id}:telegram",
        ]
    )
    message = load_outgoing(rows[0].payload)
    assert [c.data for c in message.choices] == [
        f"hr:{created.id}:go",
        f"hr:{created.id}:maybe",
        f"hr:{created.id}:no",
        f"hq:{created.id}",
    ]
    assert "Büdcə müzakirəsi" in "\n".join(render(part, "az") for part in message.parts)
    assert [a for _, a, _ in actions] == ["hearing.created"] + ["hearing.announced"] * 3


@pytest.mark.parametrize(
    ("label", "now", "not_before"),
    [
        ("daytime: now", datetime(2026, 12, 1, 10, 0, tzinfo=UTC), datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        (
            "23:30 Tbilisi waits until 09:00",
            datetime(2026, 12, 1, 19, 30, tzinfo=UTC),
            datetime(2026, 12, 2, 5, 0, tzinfo=UTC),
        ),
        (
            "08:59 Tbilisi waits a minute",
            datetime(2026, 12, 2, 4, 59, tzinfo=UTC),
            datetime(2026, 12, 2, 5, 0, tzinfo=UTC),
        ),
        (
            "quiet hours would end after the start: now",
            datetime(2026, 12, 15, 2, 0, tzinfo=UTC),
            datetime(2026, 12, 15, 2, 0, tzinfo=UTC),
        ),
    ],
)
async def test_notices_respect_quiet_hours(
    sessions: async_sessionmaker[AsyncSession], label: str, now: datetime, not_before: datetime
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, topics=("hearings",))
        starts = datetime(2026, 12, 15, 4, 30, tzinfo=UTC)  # 08:30 Tbilisi
        await hearing(session, now=datetime(2026, 12, 1, 0, 0, tzinfo=UTC), starts_at=starts, announced=False)
        created = (await officers.listing(session))[0]
        await officers.announce(session, created.id, await coordinator(session), now)
        (row,) = await deliveries(session)
    assert row.not_before == not_before, label


@pytest.mark.parametrize(
    ("label", "role", "home", "target", "allowed"),
    [
        ("officer, own municipality", "officer", "marneuli", "marneuli", True),
        ("officer, another municipality", "officer", "dmanisi", "marneuli", False),
        ("coordinator, any municipality", "coordinator", None, "batumi", True),
    ],
)
async def test_officers_act_only_on_their_own_municipality(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    role: str,
    home: str | None,
    target: str,
    allowed: bool,
) -> None:
    async with sessions() as session, session.begin():
        member = (
            await officer(session, home) if role == "officer" and home else await coordinator(session, "c2")
        )
        existing = await hearing(session, municipality=target, announced=False)
        actions = [
            lambda: officers.create(session, draft(municipality=target), member, NOW),
            lambda: officers.announce(session, existing.id, member, NOW),
            lambda: officers.rsvp_summary(session, existing.id, member, NOW),
            lambda: officers.questions(session, existing.id, member, NOW),
            lambda: officers.cancel(session, existing.id, member, NOW),
        ]
        for act in actions:
            if allowed:
                await act()
            else:
                with pytest.raises(ScopeDenied):
                    await act()
        denied = [a for a in await audit_actions(session) if a[1] == "hearing.scope_denied"]
        status = existing.status
    assert len(denied) == (0 if allowed else len(actions)), label
    assert status == (HearingStatus.CANCELLED if allowed else HearingStatus.DRAFT)


async def test_cancel_withdraws_waiting_messages_and_tells_who_meant_to_come_or_asked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        going, maybe, no, asker, bystander = [await add_person(session, language="en") for _ in range(5)]
        follower = await add_person(session, topics=("hearings",))
        night = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # midnight in Tbilisi: the notice waits
        found = await hearing(session, now=night)
        for person, answer in ((going, "go"), (maybe, "maybe"), (no, "no")):
            await HearingConversation(session, person, Channel.TELEGRAM, night).choose(
                f"hr:{found.id}:{answer}"
            )
        await HearingConversation(session, asker, Channel.TELEGRAM, night).choose(f"hq:{found.id}")
        await HearingConversation(session, asker, Channel.TELEGRAM, night).text("Why?")
        notified = await officers.cancel(session, found.id, await coordinator(session), night + hours(1))
        rows = {row.dedupe_key: row for row in await deliveries(session)}
        actions = await audit_actions(session)
    assert notified == 3
    assert rows[f"h{found.id}:notice:p{follower.id}:telegram"].status == DeliveryStatus.CANCELLED
    told = sorted(key for key in rows if ":cancel:" in key)
    assert told == sorted(f"h{found.id}:cancel:p{p.id}:telegram" for p in (going, maybe, asker))
    assert not any(f":p{p.id}:" in key for key in told for p in (no, bystander))
    cancel_text = render(load_outgoing(rows[told[0]].payload).parts[0], "en")
    assert cancel_text.startswith("The public hearing “Budget hearing” planned for 15 December 2026, 15:00")
    assert actions[-1][1:] == ("hearing.cancelled", f"hearing:{found.id}")


async def test_cancel_twice_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        await officers.cancel(session, found.id, await coordinator(session), NOW)
        with pytest.raises(InvalidTransition):
            await officers.cancel(session, found.id, await coordinator(session), NOW)
        with pytest.raises(InvalidTransition):
            await officers.announce(session, found.id, await coordinator(session), NOW)


async def test_feedback_after_the_hearing_tells_everyone_who_answered_or_asked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        answered = [await add_person(session, language=lang) for lang in ("az", "ka", "en")]
        for person, answer in zip(answered, ("go", "maybe", "no"), strict=True):
            await HearingConversation(session, person, Channel.TELEGRAM, NOW).choose(
                f"hr:{found.id}:{answer}"
            )
        asker = await add_person(session, language="hy")
        await HearingConversation(session, asker, Channel.TELEGRAM, NOW).choose(f"hq:{found.id}")
        await HearingConversation(session, asker, Channel.TELEGRAM, NOW).text("<i>roads</i>?")
        by = await coordinator(session)
        with pytest.raises(InvalidTransition):
            await officers.publish_feedback(session, found.id, {"ka": "ადრეა"}, by, NOW)
        after = STARTS + hours(3)
        texts = {"ka": "გზები დაემატა ბიუჯეტს.", "az": "Yollar büdcəyə əlavə edildi."}
        assert await officers.publish_feedback(session, found.id, texts, by, after) == 4
        rows = [row for row in await deliveries(session) if ":fb" in row.dedupe_key]
        question = (await session.scalars(select(HearingQuestion))).one()
        status = found.status
    by_language = {row.language: load_outgoing(row.payload) for row in rows}
    assert render(by_language["az"].parts[1], "az") == "Yollar büdcəyə əlavə edildi."
    assert render(by_language["hy"].parts[1], "hy") == "გზები დაემატა ბიუჯეტს.", "fallback: Georgian"
    assert (status, question.status) == (HearingStatus.HELD, "considered")


@pytest.mark.parametrize(
    ("label", "texts", "fallback"),
    [
        ("empty", {"ka": "  "}, None),
        ("unknown language", {"de": "Straßen"}, None),
        ("fallback without text", {"az": "Yollar"}, "ka"),
        ("too long", {"ka": "ა" * 2001}, None),
    ],
)
async def test_unusable_feedback_is_refused(
    sessions: async_sessionmaker[AsyncSession], label: str, texts: dict[str, str], fallback: str | None
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        with pytest.raises(InvalidDefinition):
            await officers.publish_feedback(
                session, found.id, texts, await coordinator(session), STARTS + hours(3), fallback=fallback
            )


@pytest.mark.parametrize("names_required", [True, False])
async def test_rsvp_summary_counts_and_names_only_when_required(
    sessions: async_sessionmaker[AsyncSession], names_required: bool
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, names_required=names_required)
        for answer, name in (("go", "Nino"), ("go", None), ("maybe", "Elmar"), ("no", None)):
            person = await add_person(session, language="en")
            talk = HearingConversation(session, person, Channel.TELEGRAM, NOW)
            await talk.choose(f"hr:{found.id}:{answer}")
            if name and names_required:
                await talk.text(name)
        summary = await officers.rsvp_summary(session, found.id, await coordinator(session), NOW)
        viewed = [a for a in await audit_actions(session) if a[1] == "hearing.names_viewed"]
    assert dict(summary.counts) == {Rsvp.GOING: 2, Rsvp.MAYBE: 1, Rsvp.NOT_GOING: 0 + 1}
    if names_required:
        assert sorted(summary.names, key=str) == sorted(
            [(Rsvp.GOING, "Nino"), (Rsvp.GOING, None), (Rsvp.MAYBE, "Elmar")], key=str
        )
        assert len(viewed) == 1
    else:
        assert (list(summary.names), viewed) == ([], [])


async def test_questions_are_listed_oldest_first_and_their_reading_audited(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        for minutes, text in ((5, "second"), (1, "first & <b>bold</b>")):
            person = await add_person(session, language="en")
            talk = HearingConversation(session, person, Channel.TELEGRAM, NOW + hours(minutes / 60))
            await talk.choose(f"hq:{found.id}")
            await talk.text(text)
        listed = await officers.questions(session, found.id, await officer(session), NOW + hours(1))
        actions = await audit_actions(session)
    assert [q.text for q in listed] == ["first & <b>bold</b>", "second"]
    assert actions[-1] == ("officer-marneuli", "hearing.questions_viewed", f"hearing:{found.id}")


async def test_a_hearing_cannot_be_created_in_the_past(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        with pytest.raises(InvalidDefinition):
            await officers.create(session, draft(starts_at=NOW - hours(1)), await coordinator(session), NOW)
