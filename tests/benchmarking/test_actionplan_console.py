"""The staff flow, channel-neutral: a coordinator picks the municipality; done skips the progress step;
stale or forged buttons change nothing; cancel forgets the flow; callback data stays ids only."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking import actionplans
from benchmarking.actionplan_console import PlanConsole, Stage
from campaigns.console import Said
from channels.i18n import render
from storage.models.actionplans import ItemStatus
from tests.benchmarking.actionplan_builders import NOW, coordinator, item
from tests.campaigns.people import add_person


def _data(said: list[Said]) -> list[str]:
    return [choice.data for entry in said for choice in entry.message.choices]


async def test_a_coordinator_picks_the_municipality_then_marks_an_item_done(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await item(session, "dmanisi")
        place = await actionplans.municipality(session, "dmanisi")
        console = PlanConsole(session, await coordinator(session), now=NOW)
        places = _data(await console.start())
        assert f"apl:m:{place.id}" in places and places[-1] == "apl:x"
        assert _data(await console.choose(f"apl:m:{place.id}")) == [f"apl:i:{found.id}", "apl:x"]
        await console.choose(f"apl:i:{found.id}")
        assert _data(await console.choose(f"apl:s:{found.id}:done")) == ["apl:n", "apl:x"]  # no progress step
        assert _data(await console.choose("apl:n")) == ["apl:ok", "apl:x"]
        await console.choose("apl:ok")
        saved = await actionplans.get_item(session, found.id)
        assert (saved.status, saved.progress) == (ItemStatus.DONE, 100)
        assert console.member.dialog_state is None


async def test_buttons_out_of_step_change_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        first, second = await item(session), await item(session)
        console = PlanConsole(session, await coordinator(session), now=NOW)
        assert _data(await console.choose("apl:ok")) == []  # nothing to save yet
        await console.start()
        place = await actionplans.municipality(session, "marneuli")
        await console.choose(f"apl:m:{place.id}")
        await console.choose(f"apl:i:{first.id}")
        assert _data(await console.choose(f"apl:s:{second.id}:dropped")) == []  # a button of another item
        assert console.member.dialog_state == Stage.STATUS
        assert _data(await console.choose(f"apl:s:{first.id}:finished")) == []  # not a status
        said = await console.text("a note nobody asked for")
        assert console.member.dialog_state == Stage.STATUS and "buttons" in render(
            said[0].message.parts[0], "en"
        )
        await console.choose("apl:x")
        assert console.member.dialog_state is None and console.member.dialog_data == {}
        untouched = [await actionplans.get_item(session, i.id) for i in (first, second)]
    assert [i.status for i in untouched] == [ItemStatus.PLANNED, ItemStatus.PLANNED]


async def test_a_coordinator_approves_a_pending_item_from_the_chat(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, topics=("action_plan",))
        pending = await item(session, approved=False)  # written by "coordinator"
        await actionplans.update_item(
            session,
            pending.id,
            actionplans.Update(status=ItemStatus.DELAYED),
            await coordinator(session),
            NOW,
        )
        place = await actionplans.municipality(session, "marneuli")
        author = PlanConsole(session, await coordinator(session), now=NOW)
        await author.start()
        await author.choose(f"apl:m:{place.id}")
        assert f"apl:a:{pending.id}" not in _data(await author.choose(f"apl:i:{pending.id}"))  # not their own
        other = PlanConsole(session, await coordinator(session, "eka"), now=NOW)
        await other.start()
        await other.choose(f"apl:m:{place.id}")
        assert f"apl:a:{pending.id}" in _data(await other.choose(f"apl:i:{pending.id}"))
        said = await other.choose(f"apl:a:{pending.id}")
        approved = await actionplans.get_item(session, pending.id)
    assert approved.approved_by == "eka"
    assert render(said[0].message.parts[0], "en") == (
        f"Item {pending.id} is approved. 1 message queued; it goes out now."
    )
