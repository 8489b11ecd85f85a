"""Survey results: counts and percentages per question, breakdowns by group, the response funnel.

Every count goes through `surveys.disclosure.protect`, so no group of fewer than 5 people is shown or
derivable (the rule is documented there). The breakdown by self-identified group reads special data
only through `contacts.privacy.special_groups` and only into aggregates; the groups overlap (a person
may belong to several), so they are columns of their own, never a split of everyone.

Decisions: answers of unfinished responses count (each answer was given; the funnel shows how many
finished). "Invited" counts the people an invitation to the survey (a message with its `sv:<id>:go`
button) was sent to, from the outbox; a survey never announced through the outbox (only found
through /polls) counts the people it is open to now instead, and says so (`invited_basis`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import ColumnElement, Text, cast, func, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contacts import options
from contacts.privacy import special_groups
from contacts.simulated import real_person
from contacts.vault import DataVault
from storage.models import Contact, Municipality
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyRecord, SurveyResponse
from surveys import lifecycle
from surveys.definition import DECLINED, Answer, Question, QuestionKind, Survey
from surveys.disclosure import HIDDEN, MIN_GROUP, Grid, protect
from surveys.prompts import start_data
from surveys.responses import from_json

ALL = "all"
UNKNOWN = "unknown"
NO_ANSWER = "_none"
ANSWERED = "_answered"


class Dimension(StrEnum):
    MUNICIPALITY = "municipality"
    LANGUAGE = "language"
    CHANNEL = "channel"
    AGE_BAND = "age_band"
    GENDER = "gender"
    GROUP = "group"


@dataclass(frozen=True)
class Respondent:
    response_id: int
    completed: bool
    values: Mapping[Dimension, str]
    groups: frozenset[str] = frozenset()

    def columns(self, dimension: Dimension | None) -> list[str]:
        if dimension is None:
            return [ALL]
        if dimension is Dimension.GROUP:
            return sorted(self.groups)
        return [self.values[dimension]]


@dataclass(frozen=True)
class Funnel:
    invited: int | str
    invited_basis: str  # "deliveries" or "targeted"
    started: int | str
    completed: int | str


@dataclass
class QuestionResult:
    question: Question
    rows: list[str]
    overall: Grid
    breakdown: Grid | None
    means: dict[str, float] = field(default_factory=dict)
    medians: dict[str, float] = field(default_factory=dict)


@dataclass
class SurveyResults:
    record: SurveyRecord
    survey: Survey
    funnel: Funnel
    dimension: Dimension | None
    columns: list[str]
    questions: list[QuestionResult]


async def survey_results(
    session: AsyncSession,
    record: SurveyRecord,
    *,
    by: Dimension | None = None,
    vault: DataVault | None = None,
    with_simulated: int | None = None,
) -> SurveyResults:
    """Everything `civicbot survey results` shows, already protected; `vault` is needed for `by=group`.

    `with_simulated` also counts that one simulated person (the public page shows a chat-simulator user
    the results with their own test answers in them, and nobody else).
    """
    if by is Dimension.GROUP and vault is None:
        raise ValueError("the breakdown by self-identified group needs the data vault")
    survey = lifecycle.definition(record)
    counted = _counted(with_simulated)
    people = await _respondents(session, record, vault if by is Dimension.GROUP else None, counted)
    answers = await _answers(session, record.id, counted)
    columns = _columns(people, by)
    results = [
        _question(question, people, answers.get(question.name, {}), by, columns)
        for question in survey.questions
        if question.kind is not QuestionKind.NOTE
    ]
    return SurveyResults(record, survey, await _funnel(session, record, people), by, columns, results)


def _columns(people: list[Respondent], by: Dimension | None) -> list[str]:
    if by is None:
        return [ALL]
    if by is Dimension.GROUP:
        return list(options.GROUPS)
    return sorted({person.values[by] for person in people}, key=lambda value: (value == UNKNOWN, value))


def _counted(with_simulated: int | None) -> ColumnElement[bool]:
    """Real people's responses; plus one simulated person's, for the page that shows them their own."""
    real = real_person(SurveyResponse.contact_id)
    return real if with_simulated is None else or_(real, SurveyResponse.contact_id == with_simulated)


async def _respondents(
    session: AsyncSession, record: SurveyRecord, vault: DataVault | None, counted: ColumnElement[bool]
) -> list[Respondent]:
    rows = await session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.status,
            SurveyResponse.channel,
            SurveyResponse.language,
            SurveyResponse.contact_id,
            Contact.age_band,
            Contact.gender,
            Municipality.code,
        )
        .outerjoin(Contact, Contact.id == SurveyResponse.contact_id)
        .outerjoin(Municipality, Municipality.id == Contact.municipality_id)
        .where(SurveyResponse.survey_id == record.id, counted)
        .order_by(SurveyResponse.id)
    )
    people = []
    for response_id, status, channel, language, contact_id, age_band, gender, municipality in rows.all():
        groups: frozenset[str] = frozenset()
        if vault is not None and contact_id is not None:
            answered = await special_groups(session, vault, contact_id) or {}
            groups = frozenset(group for group, answer in answered.items() if answer == "yes")
        values = {
            Dimension.MUNICIPALITY: municipality or UNKNOWN,
            Dimension.LANGUAGE: language,
            Dimension.CHANNEL: channel,
            Dimension.AGE_BAND: age_band or UNKNOWN,
            Dimension.GENDER: gender or UNKNOWN,
        }
        people.append(Respondent(response_id, status == ResponseStatus.COMPLETED, values, groups))
    return people


async def _answers(
    session: AsyncSession, survey_id: int, counted: ColumnElement[bool]
) -> dict[str, dict[int, Answer]]:
    rows = await session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.question, SurveyAnswer.value, SurveyAnswer.declined)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey_id, counted)
    )
    answers: dict[str, dict[int, Answer]] = defaultdict(dict)
    for response_id, question, value, declined in rows.all():
        answers[question][response_id] = Answer(from_json(value), declined)
    return answers


def categories(question: Question) -> list[str]:
    """The rows of a question's table: its options (or scale points, or "answered"), then the declined
    and the unanswered where the question allows them."""
    if question.kind is QuestionKind.RATING and question.minimum is not None and question.maximum is not None:
        rows = [str(value) for value in range(int(question.minimum), int(question.maximum) + 1)]
    elif question.choices:
        rows = list(question.option_values())
    else:
        rows = [ANSWERED]
    if question.prefer_not_to_answer:
        rows.append(DECLINED)
    if not question.required:
        rows.append(NO_ANSWER)
    return rows


def _rows_of(question: Question, answer: Answer) -> list[str]:
    if answer.declined:
        return [DECLINED]
    value = answer.value
    if value is None:
        return [NO_ANSWER]
    if isinstance(value, tuple):
        return list(value)
    if question.kind in (QuestionKind.NUMBER, QuestionKind.TEXT):
        return [ANSWERED]
    return [str(value)]


def _question(
    question: Question,
    people: list[Respondent],
    answers: Mapping[int, Answer],
    by: Dimension | None,
    columns: list[str],
) -> QuestionResult:
    rows = categories(question)
    exclusive = question.kind is not QuestionKind.MULTIPLE_CHOICE
    overall = _grid(question, people, answers, None, [ALL], rows, exclusive)
    protect(overall)
    result = QuestionResult(question, rows, overall, None)
    if by is not None:
        breakdown = _grid(question, people, answers, by, columns, rows, exclusive)
        breakdown.hidden |= {("row", row) for row in rows if overall.is_hidden(("cell", row, ALL))}
        if overall.is_hidden(("column", ALL)):
            breakdown.hidden.add(("total",))
        protect(breakdown, fixed=[("total",), *[("row", row) for row in rows]])
        result.breakdown = breakdown
    _add_statistics(result, people, answers, by)
    return result


def _grid(
    question: Question,
    people: list[Respondent],
    answers: Mapping[int, Answer],
    by: Dimension | None,
    columns: list[str],
    rows: list[str],
    exclusive: bool,
) -> Grid:
    counts: dict[tuple[Hashable, Hashable], int] = defaultdict(int)
    sizes: dict[Hashable, int] = defaultdict(int)
    totals: dict[Hashable, int] = defaultdict(int)
    total = 0
    for person in people:
        answer = answers.get(person.response_id)
        if answer is None:
            continue
        total += 1
        picked = _rows_of(question, answer)
        for row in picked:
            totals[row] += 1
        for column in person.columns(by):
            sizes[column] += 1
            for row in picked:
                counts[(row, column)] += 1
    partition = by is not Dimension.GROUP
    return Grid(rows, columns, counts, sizes, totals, total, exclusive, partition)


def _add_statistics(
    result: QuestionResult, people: list[Respondent], answers: Mapping[int, Answer], by: Dimension | None
) -> None:
    """Mean and median of numbers and ratings, per column, only where every count of it is shown."""
    if result.question.kind not in (QuestionKind.NUMBER, QuestionKind.RATING):
        return
    values: dict[str, list[float]] = defaultdict(list)
    for person in people:
        answer = answers.get(person.response_id)
        if answer is None or not isinstance(answer.value, int | float) or answer.declined:
            continue
        for column in {ALL, *(person.columns(by) if by else ())}:
            values[column].append(float(answer.value))
    for column, numbers in values.items():
        grid = result.overall if column == ALL else result.breakdown
        if grid is None or len(numbers) < MIN_GROUP or not _complete(grid, column, result.rows):
            continue
        result.means[column] = round(statistics.fmean(numbers), 2)
        result.medians[column] = statistics.median(numbers)


def _complete(grid: Grid, column: str, rows: list[str]) -> bool:
    """Every count of the column that goes into the statistic is shown (declined ones do not)."""
    counted = [row for row in rows if row not in (DECLINED, NO_ANSWER)]
    return not grid.is_hidden(("column", column)) and not any(
        grid.is_hidden(("cell", row, column)) for row in counted
    )


async def _funnel(session: AsyncSession, record: SurveyRecord, people: list[Respondent]) -> Funnel:
    started = len(people)
    completed = sum(1 for person in people if person.completed)
    invited, basis = await _invited(session, record)
    return Funnel(_small(invited), basis, _small(started), _small(completed))


def _small(count: int) -> int | str:
    return HIDDEN if 0 < count < MIN_GROUP else count


async def _invited(session: AsyncSession, record: SurveyRecord) -> tuple[int, str]:
    has_outbox = await session.run_sync(lambda sync: inspect(sync.connection()).has_table("deliveries"))
    if has_outbox:
        invitation = cast(Delivery.payload, Text).like(f'%"{start_data(record.id)}"%')
        if await session.scalar(select(func.count()).select_from(Delivery).where(invitation)):
            reached = Delivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.DELIVERED))
            people = await session.scalar(
                select(func.count(func.distinct(Delivery.contact_id))).where(
                    invitation, reached, real_person(Delivery.contact_id)
                )
            )
            return int(people or 0), "deliveries"
    return await lifecycle.targeted_people(session, record), "targeted"
