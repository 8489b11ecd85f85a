"""A savepoint is part of its transaction on both databases: rolling back the outer one undoes it."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import InboundEvent


async def test_outer_rollback_undoes_a_released_savepoint(sessions) -> None:
    async with sessions() as session, session.begin():
        async with session.begin_nested():
            session.add(InboundEvent(channel="telegram", external_id="1"))
        await session.rollback()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboundEvent)) == 0


async def test_failed_unit_of_work_leaves_no_trace(sessions) -> None:
    try:
        async with sessions() as session, session.begin():
            async with session.begin_nested():
                session.add(InboundEvent(channel="telegram", external_id="2"))
            raise RuntimeError("handler failed")
    except RuntimeError:
        pass
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboundEvent)) == 0
