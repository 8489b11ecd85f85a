"""Action plans: officer scope, updates and their history, done and overdue items."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking import actionplans
from benchmarking.actionplans import Update
from campaigns.errors import InvalidDefinition, ScopeDenied
from storage.models import AuditEntry
from storage.models.actionplans import ActionPlanChange, ItemStatus
from tests.benchmarking.actionplan_builders import NOW, coordinator, item, officer


async def test_officer_cannot_touch_another_municipalitys_plan(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        theirs = await item(session, "dmanisi")
        mine = await item(session, "marneuli")
        by = await officer(session, "marneuli")
        with pytest.raises(ScopeDenied):
            await actionplans.update_item(session, theirs.id, Update(status=ItemStatus.DONE), by, NOW)
        draft = actionplans.ItemDraft(title={"ka": "ახალი"}, responsible_unit="x", due_on=date(2027, 1, 1))
        with pytest.raises(ScopeDenied):
            await actionplans.add_item(session, "dmanisi", draft, by, NOW)
        updated = await actionplans.update_item(session, mine.id, Update(progress=40), by, NOW)
    async with sessions() as session:
        denied = (
            await session.scalars(
                select(AuditEntry.subject)
                .where(AuditEntry.action == "actionplan.scope_denied")
                .order_by(AuditEntry.id)
            )
        ).all()
        refreshed = await actionplans.get_item(session, theirs.id)
    assert denied == [f"actionplan-item:{theirs.id}", "actionplan-item:new"]
    assert refreshed.status == ItemStatus.PLANNED and refreshed.progress == 0
    assert updated.item.progress == 40 and updated.change is None


async def test_coordinator_updates_any_plan_and_each_status_change_is_one_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await item(session, "dmanisi")
        by = await coordinator(session)
        await actionplans.update_item(
            session, found.id, Update(status=ItemStatus.IN_PROGRESS, progress=30, note="started"), by, NOW
        )
        await actionplans.update_item(session, found.id, Update(progress=60), by, NOW + timedelta(days=1))
        done = await actionplans.update_item(
            session,
            found.id,
            Update(status=ItemStatus.DONE, evidence="Paved 2 km", link="https://example.ge/roads"),
            by,
            NOW + timedelta(days=2),
        )
        history = (
            await session.scalars(
                select(ActionPlanChange)
                .where(ActionPlanChange.item_id == found.id)
                .order_by(ActionPlanChange.id)
            )
        ).all()
    assert [(c.from_status, c.to_status, c.progress) for c in history] == [
        (None, "planned", 0),
        ("planned", "in_progress", 30),
        ("in_progress", "done", 100),
    ]
    assert history[1].note == "started" and history[1].by == "coordinator"
    assert done.item.progress == 100 and done.item.done_on == date(2026, 12, 3)
    assert done.item.evidence == "Paved 2 km" and done.item.evidence_link == "https://example.ge/roads"


@pytest.mark.parametrize(
    ("update", "label"),
    [
        (Update(), "nothing"),
        (Update(progress=101), "over 100"),
        (Update(progress=-1), "negative"),
        (Update(status=ItemStatus.DONE, progress=50), "done but half"),
        (Update(link="example.ge"), "no scheme"),
    ],
)
async def test_impossible_updates_are_refused(
    sessions: async_sessionmaker[AsyncSession],
    update: Update,
    label: str,
) -> None:
    async with sessions() as session, session.begin():
        found = await item(session)
        with pytest.raises(InvalidDefinition):
            await actionplans.update_item(session, found.id, update, await coordinator(session), NOW)
        assert found.status == ItemStatus.PLANNED, label


async def test_overdue_means_past_due_and_neither_done_nor_dropped(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    today = date(2026, 12, 1)
    async with sessions() as session, session.begin():
        by = await coordinator(session)
        late = await item(session, due=today - timedelta(days=1))
        due_today = await item(session, due=today)
        done = await item(session, due=today - timedelta(days=5))
        dropped = await item(session, due=today - timedelta(days=5))
        delayed = await item(session, due=today - timedelta(days=30))
        await actionplans.update_item(session, done.id, Update(status=ItemStatus.DONE), by, NOW)
        await actionplans.update_item(session, dropped.id, Update(status=ItemStatus.DROPPED), by, NOW)
        await actionplans.update_item(session, delayed.id, Update(status=ItemStatus.DELAYED), by, NOW)
        overdue = await actionplans.items(session, overdue_on=today)
        flags = {i.id: actionplans.is_overdue(i, today) for i in (late, due_today, done, dropped, delayed)}
    assert [i.id for i in overdue] == [delayed.id, late.id]
    assert flags == {late.id: True, due_today.id: False, done.id: False, dropped.id: False, delayed.id: True}


async def test_a_second_plan_for_a_municipality_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await item(session)
        with pytest.raises(InvalidDefinition):
            await actionplans.create_plan(
                session, "marneuli", {"ka": "მეორე"}, await coordinator(session), NOW
            )
