"""CSV updates: every bad row named by its line, nothing imported on any error, BOM or not; plan files."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking import actionplan_import, actionplans
from benchmarking.actionplan_import import ImportRefused, parse_updates
from campaigns.errors import InvalidDefinition
from storage.models.actionplans import ActionPlanChange, ActionPlanItem
from tests.benchmarking.actionplan_builders import NOW, coordinator, item, officer


async def _states(session: AsyncSession) -> list[tuple[int, str, int]]:
    rows = (await session.scalars(select(ActionPlanItem).order_by(ActionPlanItem.id))).all()
    return [(row.id, row.status, row.progress) for row in rows]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
async def test_a_good_file_updates_every_row(sessions: async_sessionmaker[AsyncSession], bom: bytes) -> None:
    async with sessions() as session, session.begin():
        first, second = await item(session), await item(session)
        csv = (
            f"item,status,progress,evidence,link,note\n"
            f"{first.id},in progress,40%,Tender published,https://example.ge/t/81,\n"
            f'{second.id},done,,"Lights on, at last",,early\n'
        ).encode()
        result = await actionplan_import.import_updates(session, bom + csv, await officer(session), NOW)
        states = await _states(session)
        changes = (
            await session.scalars(
                select(ActionPlanChange.note).where(
                    ActionPlanChange.item_id == second.id, ActionPlanChange.from_status.is_not(None)
                )
            )
        ).all()
    assert (result.rows, result.changes) == (2, 2)
    assert states == [(first.id, "in_progress", 40), (second.id, "done", 100)]
    assert changes == ["early"]


async def test_every_bad_row_is_named_and_nothing_is_imported(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        mine = await item(session)
        theirs = await item(session, "dmanisi")
        csv = (
            "item;status;progress\n"
            f"{mine.id};in_progress;50\n"  # good, but must not be applied
            f"{mine.id};done;\n"  # line 3: the same item twice
            "abc;done;\n"  # line 4
            f"{theirs.id};done;\n"  # line 5: another municipality
            "99999;planned;\n"  # line 6: no such item
            "\n"
            "7;finished;\n"  # line 8: unknown status
        ).encode()
        with pytest.raises(ImportRefused) as refused:
            await actionplan_import.import_updates(session, csv, await officer(session), NOW)
        states = await _states(session)
    lines = [(p.line, p.reason.split(" ")[0]) for p in refused.value.problems]
    assert [line for line, _ in lines] == [3, 4, 5, 6, 8]
    assert "already on line 2" in str(refused.value.problems[0])
    assert "another municipality" in str(refused.value.problems[2])
    assert "finished" in str(refused.value.problems[4])
    assert states == [(mine.id, "planned", 0), (theirs.id, "planned", 0)]


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"id,status\n1,done\n", 1, "item is required"),
        (b"item,colour\n1,red\n", 1, "unknown column colour"),
        (b"item,progress\n1,150\n", 2, "0 to 100"),
        (b"item,progress\n1,half\n", 2, "whole number"),
        (b"item,link\n1,example.ge\n", 2, "https://"),
        (b"item,status,progress\n1,done,50\n", 2, "100% done"),
        (b"item\n1\n", 2, "Nothing to change"),
        (b"item,status\n", 1, "no rows"),
        (b"item,status\n1,done,extra\n", 2, "3 cells"),
        ("item,evidence\n1,გზა\n".encode("utf-16"), 1, "not UTF-8"),
    ],
    ids=[
        "no item column",
        "unknown column",
        "progress over 100",
        "progress not a number",
        "bad link",
        "done at 50",
        "nothing to change",
        "empty",
        "too many cells",
        "utf-16",
    ],
)
def test_row_problems_say_what_to_do(data: bytes, line: int, words: str) -> None:
    rows, problems = parse_updates(data)
    assert rows == []
    assert [p.line for p in problems] == [line]
    assert words in problems[0].reason


async def test_a_plan_file_creates_the_plan_and_its_items(sessions: async_sessionmaker[AsyncSession]) -> None:
    document = {
        "municipality": "dmanisi",
        "title": {"ka": "დმანისის სამოქმედო გეგმა", "hy": "Դմանիսիի գործողությունների ծրագիր"},
        "items": [
            {"title": {"ka": "ახალი ბიბლიოთეკა"}, "responsible": "Culture", "due": date(2027, 6, 30)},
            {
                "title": {"hy": "Թարգմանություն"},
                "responsible": "Mayor's office",
                "due": "2027-09-01",
                "indicators": ["notices_in_own_language"],
            },
        ],
    }
    async with sessions() as session, session.begin():
        plan, added = await actionplan_import.create_from_file(
            session, document, await coordinator(session), NOW
        )
    assert plan.base_language == "ka"
    assert [(i.due_on, i.base_language, i.indicators) for i in added] == [
        (date(2027, 6, 30), "ka", []),
        (date(2027, 9, 1), "hy", ["notices_in_own_language"]),
    ]


async def test_a_bad_plan_file_names_the_item(sessions: async_sessionmaker[AsyncSession]) -> None:
    document = {
        "municipality": "dmanisi",
        "title": {"ka": "გეგმა"},
        "items": [
            {"title": {"ka": "ა"}, "responsible": "x", "due": "2027-01-01"},
            {"title": {"ka": "ბ"}, "responsible": "x", "due": "soon"},
        ],
    }
    async with sessions() as session, session.begin():
        with pytest.raises(InvalidDefinition, match="item 2: due"):
            await actionplan_import.create_from_file(session, document, await coordinator(session), NOW)
        assert (
            await actionplans.plan_of(session, (await actionplans.municipality(session, "dmanisi")).id)
            is None
        )
