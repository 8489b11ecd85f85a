"""Results from answers given through the engine: counts, percentages, breakdowns, funnel, small cells."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.message import Choice, Outgoing, Text
from channels.payload import dump_outgoing
from contacts.privacy import PrivacyPolicy, save_special
from contacts.vault import DataVault
from storage.models import Contact
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.surveys import SurveyRecord
from surveys.disclosure import HIDDEN
from surveys.report import results_json, results_table
from surveys.results import Dimension, survey_results
from tests.surveys.people import NOW, Talk, add_person, data_of, last_question, open_example


async def _answer(
    sessions: async_sessionmaker[AsyncSession], contact_id: int, survey_id: int, picks: Sequence[int]
) -> None:
    """Press the option at each index (0-based) of each question in turn."""
    talk = Talk(sessions, contact_id)
    question = last_question(await talk.press(f"sv:{survey_id}:go"))
    for pick in picks:
        reply = await talk.press(data_of(question)[pick])
        question = reply[-1]


async def _people(
    sessions: async_sessionmaker[AsyncSession], plan: Sequence[tuple[str, str, Sequence[int]]]
) -> tuple[SurveyRecord, list[int]]:
    """(municipality, language, picks) per person; everyone answers the budget poll."""
    async with sessions() as session, session.begin():
        record = await open_example(session, "budget_flash_poll.yaml")
        ids = [(await add_person(session, municipality=m, language=lang)).id for m, lang, _ in plan]
    for contact_id, (_, _, picks) in zip(ids, plan, strict=True):
        await _answer(sessions, contact_id, record.id, picks)
    return record, ids


async def _results(
    sessions: async_sessionmaker[AsyncSession],
    record: SurveyRecord,
    by: Dimension | None = None,
    vault: DataVault | None = None,
) -> dict[str, object]:
    async with sessions() as session:
        fresh = await session.get_one(SurveyRecord, record.id)
        return results_json(await survey_results(session, fresh, by=by, vault=vault))


def _question(data: dict[str, object], name: str) -> dict[str, object]:
    questions = data["questions"]
    assert isinstance(questions, list)
    return next(q for q in questions if q["name"] == name)


def _counts(question: dict[str, object], column: str = "all") -> dict[str, object]:
    answers = question["answers"]
    assert isinstance(answers, list)
    return {a["value"]: a["count"][column] for a in answers if a["count"][column] != 0}


async def test_counts_percentages_and_the_complementary_cell(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # priority: 6 roads, 3 water (hidden), 5 kindergartens (hidden too: else 14 - 6 - 5 gives water away)
    plan = [("marneuli", "ka", [0, 4, 0])] * 6 + [("marneuli", "ka", [1, 4, 0])] * 3
    plan += [("marneuli", "ka", [2, 3, 1])] * 5
    record, _ = await _people(sessions, plan)
    data = await _results(sessions, record)
    priority = _question(data, "priority")
    assert priority["respondents"] == {"all": 14}
    assert _counts(priority) == {"roads": 6, "water": HIDDEN, "kindergartens": HIDDEN}
    percents = {a["value"]: a["percent"]["all"] for a in priority["answers"]}
    assert (percents["roads"], percents["water"], percents["kindergartens"]) == (42.9, None, None)
    rating = _question(data, "spending_rating")
    assert _counts(rating) == {"5": 9, "4": 5}
    assert rating["mean"] == {"all": 4.64} and rating["median"] == {"all": 5.0}
    assert _counts(_question(data, "hearing_invite")) == {"yes": 9, "no": 5}
    assert data["funnel"] == {"invited": 14, "invited_basis": "targeted", "started": 14, "completed": 14}


async def test_a_breakdown_hides_small_groups_and_what_would_give_them_away(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    plan = [("marneuli", "az", [0, 0, 0])] * 8 + [("batumi", "ka", [0, 1, 0])] * 6
    plan += [("dmanisi", "hy", [1, 1, 1])] * 3
    record, _ = await _people(sessions, plan)
    data = await _results(sessions, record, Dimension.MUNICIPALITY)
    assert data["columns"] == ["all", "batumi", "dmanisi", "marneuli"]
    invite = _question(data, "hearing_invite")
    assert invite["respondents"] == {"all": 17, "batumi": HIDDEN, "dmanisi": HIDDEN, "marneuli": 8}
    assert _counts(invite, "dmanisi") == {"yes": HIDDEN, "no": HIDDEN}
    assert _counts(invite, "batumi") == {"yes": HIDDEN, "no": HIDDEN}  # else 17 - 8 - 6 gives dmanisi
    assert _counts(invite, "marneuli") == {"yes": 8}
    assert _counts(invite) == {"yes": HIDDEN, "no": HIDDEN}  # 14 and 3: one would give the other away
    for question in data["questions"]:  # type: ignore[attr-defined]
        for answer in question["answers"]:
            assert (answer["count"]["dmanisi"], answer["count"]["batumi"]) == (HIDDEN, HIDDEN)
    table = results_table(await _survey_results(sessions, record, Dimension.MUNICIPALITY))
    assert "   respondents   17      <5       <5         8" in table


async def _survey_results(sessions: async_sessionmaker[AsyncSession], record: SurveyRecord, by: Dimension):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return await survey_results(session, await session.get_one(SurveyRecord, record.id), by=by)


async def test_breakdown_by_self_identified_group_reads_only_aggregates(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy
) -> None:
    plan = [("marneuli", "az", [0, 0, 0])] * 9
    record, ids = await _people(sessions, plan)
    async with sessions() as session, session.begin():
        for index, contact_id in enumerate(ids):
            contact = await session.get_one(Contact, contact_id)
            answers = {
                "ethnic_minority": "yes",
                "disability": "yes" if index < 2 else "no",
                "displaced": "na",
            }
            await save_special(session, vault, contact, answers, policy, NOW)
    data = await _results(sessions, record, Dimension.GROUP, vault)
    assert data["columns"] == ["all", "ethnic_minority", "disability", "displaced"]
    invite = _question(data, "hearing_invite")
    assert invite["respondents"] == {"all": 9, "ethnic_minority": 9, "disability": HIDDEN, "displaced": 0}
    with pytest.raises(ValueError, match="vault"):
        await _results(sessions, record, Dimension.GROUP)


async def test_the_funnel_counts_invitations_from_the_outbox(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    record, ids = await _people(sessions, [("marneuli", "ka", [0, 0, 0])] * 6)
    invitation = dump_outgoing(
        Outgoing(parts=(Text("x"),), choices=(Choice(f"sv:{record.id}:go", Text("y")),))
    )
    other = dump_outgoing(
        Outgoing(parts=(Text("x"),), choices=(Choice(f"sv:{record.id + 1}:go", Text("y")),))
    )
    async with sessions() as session, session.begin():
        for number in range(9):
            status = DeliveryStatus.SENT if number < 7 else DeliveryStatus.FAILED
            session.add(
                Delivery(
                    dedupe_key=f"k{number}",
                    contact_id=ids[number % 6],
                    channel="telegram",
                    address="1",
                    language="ka",
                    payload=invitation,
                    status=status,
                )
            )
        session.add(
            Delivery(
                dedupe_key="other",
                contact_id=ids[0],
                channel="telegram",
                address="1",
                language="ka",
                payload=other,
                status=DeliveryStatus.SENT,
            )
        )
    data = await _results(sessions, record)
    assert data["funnel"] == {"invited": 6, "invited_basis": "deliveries", "started": 6, "completed": 6}


async def test_a_survey_with_four_answers_shows_only_that_there_are_few(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    record, _ = await _people(sessions, [("marneuli", "ka", [0, 0, 0])] * 4)
    data = await _results(sessions, record)
    priority = _question(data, "priority")
    assert priority["respondents"] == {"all": HIDDEN}
    assert set(_counts(priority).values()) == {HIDDEN}  # even the zeros: the group is hidden whole
    assert data["funnel"]["started"] == HIDDEN  # type: ignore[index]
    assert "mean" not in _question(data, "spending_rating")


@pytest.mark.parametrize("by", [d for d in Dimension if d is not Dimension.GROUP])
async def test_no_breakdown_ever_shows_a_count_from_1_to_4(
    sessions: async_sessionmaker[AsyncSession], by: Dimension
) -> None:
    plan = [("marneuli", "az", [0, 0, 0])] * 7 + [("batumi", "ka", [1, 2, 1])] * 5
    plan += [("dmanisi", "hy", [2, 4, 1])] * 2 + [(None, "ru", [0, 3, 0])]
    record, ids = await _people(sessions, plan)
    async with sessions() as session, session.begin():
        for index, contact_id in enumerate(ids):
            contact = await session.get_one(Contact, contact_id)
            contact.age_band = ("16-24", "25-34", "35-49", None)[index % 4]
            contact.gender = ("woman", "man", "woman")[index % 3]
    data = await _results(sessions, record, by)
    assert len(data["columns"]) >= 2  # type: ignore[arg-type]
    shown: list[object] = [data["funnel"][key] for key in ("invited", "started", "completed")]  # type: ignore[index]
    for question in data["questions"]:  # type: ignore[attr-defined]
        shown += question["respondents"].values()
        shown += [count for answer in question["answers"] for count in answer["count"].values()]
    assert shown and all(value == HIDDEN or value == 0 or value >= 5 for value in shown)  # type: ignore[operator]
