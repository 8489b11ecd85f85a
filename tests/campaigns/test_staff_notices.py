"""Who is told what about a campaign on Telegram: coordinators who may approve it when it is submitted (never
its author or submitter, never an officer), its author when it is approved, returned (with the reason) or
finished sending (once, however often the scheduler checks). The notices are outbox rows addressed to staff,
in each one's language, that no citizen count ever includes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import audience, service, staff, staff_notices
from campaigns.audience import AudienceSpec
from campaigns.dryrun import Rates
from campaigns.errors import InvalidDefinition, NotAllowed
from campaigns.review import approval_view
from campaigns.timetable import fire_due
from channels import outbox
from channels.claims import Verdict, claim, recheck
from channels.i18n import render
from channels.payload import load_outgoing
from channels.tally import tally
from storage.db import unit_of_work
from storage.models import AuditEntry, Channel
from storage.models.campaigns import Campaign, CampaignStatus, Role, StaffMember
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.campaigns.people import add_person, draft

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 12:00 in Tbilisi


async def _grant(
    session: AsyncSession, name: str, tg: int | None, role: Role = Role.COORDINATOR, **more: str
) -> StaffMember:
    return await staff.grant(session, role, name=name, telegram_id=tg, **more)  # type: ignore[arg-type]


async def _notices(session: AsyncSession, occasion: str = "") -> list[Delivery]:
    key = f"{staff_notices.PREFIX}{occasion}"
    found = await session.scalars(
        select(Delivery).where(Delivery.dedupe_key.startswith(key)).order_by(Delivery.id)
    )
    return list(found.all())


def _said(row: Delivery) -> str:
    message = load_outgoing(row.payload)
    return "\n\n".join(render(part, row.language) for part in message.parts)


@pytest.mark.parametrize(
    ("label", "writer", "submitter", "told"),
    [
        ("an officer writes and submits", "nino", "nino", {"giorgi", "eka"}),
        ("a coordinator writes and submits", "giorgi", "giorgi", {"eka"}),
        ("one coordinator writes, another submits", "giorgi", "eka", set()),
    ],
)
async def test_submission_tells_the_coordinators_who_may_approve_it(
    sessions: async_sessionmaker[AsyncSession], label: str, writer: str, submitter: str, told: set[str]
) -> None:
    async with unit_of_work(sessions) as session:
        await _grant(session, "nino", 101, Role.OFFICER, municipality_code="marneuli")
        await _grant(session, "ani", 102, Role.OFFICER, municipality_code="marneuli")  # an officer: never
        await _grant(session, "giorgi", 103, language="en")
        await _grant(session, "eka", 104, language="az")
        await _grant(session, "tamar", None)  # may approve, but has no Telegram to be told on
        await _grant(session, "levan", 105)
        await staff.revoke(session, "levan")
        plan = draft(texts={"ka": "ხვალ", "az": "Sabah"}, schedule={"at": "2026-12-03 10:00"})
        campaign = await service.create(session, plan, await staff.by_ref(session, writer), NOW)
        await service.submit(session, campaign.id, await staff.by_ref(session, submitter), NOW)
        rows = await _notices(session)
        members = {m.id: m for m in await staff.all_staff(session)}
    assert {members[r.staff_id].label for r in rows if r.staff_id} == told, label
    for row in rows:
        member = members[row.staff_id or 0]
        assert (row.contact_id, row.campaign_id, row.channel) == (None, None, "telegram"), label
        assert (row.address, row.language) == (str(member.telegram_id), member.language), label
        assert load_outgoing(row.payload).choices[0].data == f"adm:rv:{campaign.id}"
    by_language = {row.language: _said(row) for row in rows}
    if "en" in by_language:
        assert by_language["en"] == (
            f"Campaign {campaign.id} “Budget hearing notice” is waiting for your approval.\n"
            f"Submitted by: {submitter}\nMunicipalities: Marneuli\nFirst message: 3 December 2026, 10:00"
        )
    if "az" in by_language:
        assert "Marneuli" in by_language["az"] and "is waiting" not in by_language["az"]


async def test_a_returned_campaign_keeps_its_reason_and_its_author_is_told(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        nino = await _grant(session, "nino", 101, Role.OFFICER, municipality_code="marneuli", language="en")
        giorgi = await _grant(session, "giorgi", 103)
        await _grant(session, "eka", 104)
        campaign = await service.create(session, draft(), nino, NOW)
        await service.submit(session, campaign.id, nino, NOW)
        later = NOW + timedelta(minutes=5)
        await service.reject(session, campaign.id, giorgi, "  The date is wrong.\nIt is the 4th. ", later)
        told = await _notices(session, f"c{campaign.id}:returned")
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign.rejected"))
        assert campaign.status == CampaignStatus.DRAFT
        assert (campaign.rejection_reason, campaign.rejected_by_id) == (
            "The date is wrong.\nIt is the 4th.",
            giorgi.id,
        )
        assert entry is not None and entry.actor == "giorgi"
        assert entry.details == {
            "from": "submitted",
            "to": "draft",
            "reason": "The date is wrong.\nIt is the 4th.",
        }
        assert [(row.staff_id, _said(row)) for row in told] == [
            (
                nino.id,
                f"Your campaign {campaign.id} “Budget hearing notice” was returned by giorgi, who asks for "
                "changes:\n\nThe date is wrong.\nIt is the 4th.\n\n"
                "It is a draft again: change it and submit it once more.",
            )
        ]
        again = later + timedelta(hours=1)
        await service.submit(session, campaign.id, nino, again)  # after changes: news again
        resubmitted = await _notices(session, f"c{campaign.id}:submitted")
        view = await approval_view(session, campaign, giorgi, Rates(), again)
    assert len(resubmitted) == 4  # giorgi and eka, once per submission
    summary = "\n\n".join(render(part, "en") for part in view[0].parts)
    assert summary.endswith("Returned earlier by giorgi: The date is wrong.\nIt is the 4th.")


@pytest.mark.parametrize(
    ("label", "who", "reason", "refusal", "audited"),
    [
        ("no reason", "giorgi", "   ", InvalidDefinition, None),
        ("too long", "giorgi", "x" * 1001, InvalidDefinition, None),
        ("its own author", "eka", "No.", NotAllowed, {"reason": "own", "action": "reject"}),
        ("an officer", "nino", "No.", NotAllowed, {"reason": "role", "action": "reject"}),
    ],
)
async def test_returning_is_refused_without_changing_anything(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    who: str,
    reason: str,
    refusal: type[Exception],
    audited: dict[str, str] | None,
) -> None:
    async with unit_of_work(sessions) as session:
        await _grant(session, "nino", 101, Role.OFFICER, municipality_code="marneuli")
        await _grant(session, "giorgi", 103)
        eka = await _grant(session, "eka", 104)
        campaign = await service.create(session, draft(), eka, NOW)
        await service.submit(session, campaign.id, eka, NOW)
    async with unit_of_work(sessions) as session:
        with pytest.raises(refusal):
            await service.reject(session, campaign.id, await staff.by_ref(session, who), reason, NOW)
    async with sessions() as session:
        stored = await session.get_one(Campaign, campaign.id)
        denied = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "campaign.approval_denied")
        )
        returned = await _notices(session, f"c{campaign.id}:returned")
    assert (stored.status, stored.rejection_reason, returned) == (CampaignStatus.SUBMITTED, None, []), label
    assert (denied.details if denied else None) == audited, label


async def test_approval_tells_the_author_and_the_submitter(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        nino = await _grant(session, "nino", 101, Role.OFFICER, municipality_code="marneuli", language="ru")
        giorgi = await _grant(session, "giorgi", 103)
        eka = await _grant(session, "eka", 104, language="en")
        campaign = await service.create(session, draft(), nino, NOW)
        await service.submit(session, campaign.id, eka, NOW)  # a coordinator submits the officer's draft
        await service.approve(session, campaign.id, giorgi, NOW)
        told = await _notices(session, f"c{campaign.id}:approved")
    assert {row.staff_id: row.language for row in told} == {nino.id: "ru", eka.id: "en"}
    english = next(row for row in told if row.language == "en")
    assert _said(english) == f"Your campaign {campaign.id} “Budget hearing notice” was approved by giorgi."


async def test_finished_is_told_once_when_the_outbox_is_empty_and_never_counts_as_citizens(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        for _ in range(3):
            await add_person(session)
        nino = await _grant(session, "nino", 101, Role.OFFICER, municipality_code="marneuli", language="en")
        giorgi = await _grant(session, "giorgi", 103)
        campaign = await service.create(session, draft(urgent=True), nino, NOW)
        await service.submit(session, campaign.id, nino, NOW)
        await service.approve(session, campaign.id, giorgi, NOW)
        await service.schedule(session, campaign.id, giorgi, NOW)
        assert await fire_due(session, campaign.id, NOW, timedelta(hours=6)) == 3
        assert campaign.status == CampaignStatus.DONE
        assert await staff_notices.report_finished(session, NOW) == 0  # its messages are still queued
        rows = list(
            (await session.scalars(select(Delivery.id).where(Delivery.campaign_id == campaign.id))).all()
        )
        for row_id, status in zip(
            rows, (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.UNREACHABLE), strict=True
        ):
            await session.execute(update(Delivery).where(Delivery.id == row_id).values(status=status))
    for _ in range(2):  # the scheduler's resync fires again and again
        async with unit_of_work(sessions) as session:
            await staff_notices.report_finished(session, NOW + timedelta(minutes=1))
    async with unit_of_work(sessions) as session:  # a second leader that missed the mark
        await session.execute(update(Campaign).values(finish_reported_at=None))
        assert await staff_notices.report_finished(session, NOW + timedelta(minutes=2)) == 1
        finished = await _notices(session, f"c{campaign.id}:finished")
        progress = await outbox.progress(session, campaign_id=campaign.id, rates={})
        counted = await tally(session, NOW, campaign_id=campaign.id)
        people = await audience.count(session, AudienceSpec(municipalities=("marneuli",)))
        every_row = len((await session.scalars(select(Delivery.id))).all())
    assert [(row.staff_id, _said(row)) for row in finished] == [
        (
            nino.id,
            f"Your campaign {campaign.id} “Budget hearing notice” has finished sending: 2 sent, 1 not delivered.",
        )
    ]
    assert progress.total == 3 and sum(sum(row.values()) for row in counted.counts.values()) == 3
    assert people.total == 3
    assert every_row > 3  # the staff notices are there, but in none of the citizens' counts


async def test_a_staff_notice_goes_while_its_member_is_staff(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        nino = await _grant(session, "nino", 101, Role.OFFICER, municipality_code="marneuli")
        await _grant(session, "giorgi", 103)
        await _grant(session, "eka", 104)
        campaign = await service.create(session, draft(), nino, NOW)
        await service.submit(session, campaign.id, nino, NOW)
        await staff.revoke(session, "eka")
    async with unit_of_work(sessions) as session:
        held = await claim(
            session, channel=Channel.TELEGRAM, limit=10, now=NOW, lease=timedelta(minutes=1), deadline=0.0
        )
        verdicts = await recheck(session, held)
    by_address = {row.address: verdicts[row.id] for row in held}
    assert by_address == {"103": (Verdict.SEND, None), "104": (Verdict.CANCEL, "no longer staff")}
