"""Campaign transitions: who may do what, languages, officer scope, and the audit trail of each step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns import service
from campaigns.errors import InvalidDefinition, InvalidTransition, MissingLanguage, NotAllowed, ScopeDenied
from channels.message import Outgoing
from channels.outbox import OutboxItem, enqueue
from storage.models import AuditEntry, Channel
from storage.models.campaigns import Campaign, CampaignStatus, Role
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.campaigns.people import add_person, add_staff, draft

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


async def _actions(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id))
    return [(action, actor) for action, actor in rows.all()]


async def test_full_life_is_audited_with_actors(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        officer = await add_staff(session, "nino", Role.OFFICER, "marneuli")
        coordinator = await add_staff(session, "giorgi")
        campaign = await service.create(session, draft(), officer, NOW)
        await service.submit(session, campaign.id, officer, NOW)
        await service.approve(session, campaign.id, coordinator, NOW)
        await service.schedule(session, campaign.id, coordinator, NOW)
        await service.pause(session, campaign.id, officer, NOW)
        await service.resume(session, campaign.id, coordinator, NOW)
        await service.cancel(session, campaign.id, coordinator, NOW)
        assert campaign.status == CampaignStatus.CANCELLED
        assert (campaign.created_by_id, campaign.submitted_by_id, campaign.approved_by_id) == (
            officer.id,
            officer.id,
            coordinator.id,
        )
        actions = [a for a in await _actions(session) if a[0].startswith("campaign.")]
    assert actions == [
        ("campaign.created", "nino"),
        ("campaign.submitted", "nino"),
        ("campaign.approved", "giorgi"),
        ("campaign.scheduled", "giorgi"),
        ("campaign.paused", "nino"),
        ("campaign.resumed", "giorgi"),
        ("campaign.cancelled", "giorgi"),
    ]


@pytest.mark.parametrize(
    ("label", "approver", "fragment"),
    [
        ("the submitter", "author", "You cannot approve a campaign you wrote or submitted."),
        ("an officer", "officer", "Only coordinators can approve campaigns."),
    ],
)
async def test_approval_refusals_are_audited(
    sessions: async_sessionmaker[AsyncSession], label: str, approver: str, fragment: str
) -> None:
    async with sessions() as session, session.begin():
        people = {
            "author": await add_staff(session, "author"),
            "officer": await add_staff(session, "officer", Role.OFFICER, "marneuli"),
        }
        campaign = await service.create(session, draft(), people["author"], NOW)
        await service.submit(session, campaign.id, people["author"], NOW)
        with pytest.raises(NotAllowed, match=fragment):
            await service.approve(session, campaign.id, people[approver], NOW)
        assert campaign.status == CampaignStatus.SUBMITTED
        assert ("campaign.approval_denied", approver) in await _actions(session)


async def test_a_coordinator_who_wrote_it_cannot_approve_what_another_submitted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        author, submitter = await add_staff(session, "author"), await add_staff(session, "submitter")
        campaign = await service.create(session, draft(), author, NOW)
        await service.submit(session, campaign.id, submitter, NOW)
        with pytest.raises(NotAllowed):
            await service.approve(session, campaign.id, author, NOW)


async def test_missing_language_is_named_at_submit_and_approve(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, language="ka")
        await add_person(session, language="hy")
        author, approver = await add_staff(session, "a"), await add_staff(session, "b")
        campaign = await service.create(session, draft(), author, NOW)
        with pytest.raises(MissingLanguage) as caught:
            await service.submit(session, campaign.id, author, NOW)
        assert caught.value.languages == ("hy",)
        assert "hy (Հայերեն)" in str(caught.value)
        # Someone reading Russian signs up after submission: approval names the new gap.
        campaign.steps[0].texts = {"ka": "ტექსტი", "hy": "Տեքստ"}
        await service.submit(session, campaign.id, author, NOW)
        await add_person(session, language="ru")
        with pytest.raises(MissingLanguage, match=r"ru \(Русский\)"):
            await service.approve(session, campaign.id, approver, NOW)


@pytest.mark.parametrize(
    ("label", "texts", "fallback", "languages", "ok"),
    [
        ("every language has text", {"ka": "ა", "hy": "բ"}, None, (), True),
        ("declared fallback covers the rest", {"ka": "ა"}, "ka", (), True),
        ("spec languages must all be covered", {"ka": "ა", "hy": "բ"}, None, ("ka", "hy", "az"), False),
        ("spec languages covered", {"ka": "ა", "az": "b"}, None, ("ka", "az"), True),
    ],
)
async def test_language_completeness(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    texts: dict[str, str],
    fallback: str | None,
    languages: tuple[str, ...],
    ok: bool,
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, language="ka")
        await add_person(session, language="hy")
        author = await add_staff(session, "a")
        campaign = await service.create(
            session, draft(texts=texts, fallback=fallback, languages=languages), author, NOW
        )
        if ok:
            await service.submit(session, campaign.id, author, NOW)
            assert campaign.status == CampaignStatus.SUBMITTED
        else:
            with pytest.raises(MissingLanguage, match="az"):
                await service.submit(session, campaign.id, author, NOW)


@pytest.mark.parametrize(
    ("label", "municipalities"),
    [("another municipality", ("batumi",)), ("everyone", ()), ("own plus another", ("marneuli", "dmanisi"))],
)
async def test_officer_outside_own_municipality_is_refused_and_audited(
    sessions: async_sessionmaker[AsyncSession], label: str, municipalities: tuple[str, ...]
) -> None:
    async with sessions() as session:
        async with session.begin():
            officer = await add_staff(session, "nino", Role.OFFICER, "marneuli")
        with pytest.raises(ScopeDenied, match="own municipality"):
            await service.create(session, draft(municipalities=municipalities), officer, NOW)
        await session.commit()  # what a caller does with a refusal: keep its audit entry
    async with sessions() as session:
        denied = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.scope_denied"))
        ).all()
        assert await session.scalar(select(Campaign.id)) is None
    assert [(e.actor, e.details["requested"]) for e in denied] == [("nino", list(municipalities) or ["*"])]


async def test_officer_cannot_manage_a_coordinator_campaign_elsewhere(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        coordinator = await add_staff(session, "giorgi")
        officer = await add_staff(session, "nino", Role.OFFICER, "marneuli")
        campaign = await service.create(session, draft(municipalities=("batumi",)), coordinator, NOW)
        for action in (service.submit, service.cancel):
            with pytest.raises(ScopeDenied):
                await action(session, campaign.id, officer, NOW)
        assert campaign.status == CampaignStatus.DRAFT
        assert [a for a in await _actions(session) if a[0] == "campaign.scope_denied"] == [
            ("campaign.scope_denied", "nino")
        ] * 2


@pytest.mark.parametrize(
    ("label", "action", "status"),
    [
        ("approve a draft", "approve", CampaignStatus.DRAFT),
        ("schedule a draft", "schedule", CampaignStatus.DRAFT),
        ("resume what is not paused", "resume", CampaignStatus.DRAFT),
        ("pause a draft", "pause", CampaignStatus.DRAFT),
        ("submit twice", "submit", CampaignStatus.SUBMITTED),
        ("cancel what is cancelled", "cancel", CampaignStatus.CANCELLED),
    ],
)
async def test_transitions_out_of_order_are_refused(
    sessions: async_sessionmaker[AsyncSession], label: str, action: str, status: CampaignStatus
) -> None:
    async with sessions() as session, session.begin():
        author, other = await add_staff(session, "a"), await add_staff(session, "b")
        campaign = await service.create(session, draft(), author, NOW)
        campaign.status = status
        with pytest.raises(InvalidTransition, match=f"Campaign {campaign.id} is"):
            await getattr(service, action)(session, campaign.id, other, NOW)


async def test_scheduling_refuses_a_one_off_step_whose_time_has_passed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        author, approver = await add_staff(session, "a"), await add_staff(session, "b")
        past, earlier = (NOW - timedelta(hours=1)).isoformat(), NOW - timedelta(hours=2)
        campaign = await service.create(session, draft(schedule={"at": past}), author, earlier)
        await service.submit(session, campaign.id, author, earlier)
        await service.approve(session, campaign.id, approver, earlier)
        with pytest.raises(InvalidDefinition, match="Step 1 would go out on 25 November 2026, 11:00"):
            await service.schedule(session, campaign.id, approver, NOW)


async def test_cancel_withdraws_pending_outbox_rows(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        person = await add_person(session)
        author, approver = await add_staff(session, "a"), await add_staff(session, "b")
        campaign = await service.create(session, draft(), author, NOW)
        await enqueue(
            session,
            [
                OutboxItem(
                    f"c{campaign.id}:test",
                    person.id,
                    Channel.TELEGRAM,
                    "1",
                    "ka",
                    Outgoing.say("Hello"),
                    campaign_id=campaign.id,
                )
            ],
        )
        await service.cancel(session, campaign.id, approver, NOW)
        statuses = (await session.scalars(select(Delivery.status))).all()
        entry = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.cancelled"))
        ).one()
    assert statuses == [DeliveryStatus.CANCELLED]
    assert entry.details == {"from": "draft", "to": "cancelled", "withdrawn": 1}
