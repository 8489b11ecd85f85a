"""XLSForm import: a good form in Georgian, Azerbaijani and Armenian, and every kind of broken one."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from surveys.definition import QuestionKind
from surveys.logic import And, Comparison, Operator, Selected
from surveys.xlsform import XLSFormError, load_survey_xlsform

KA, AZ, HY = "label::Georgian (ka)", "label::Azerbaijani (az)", "label::Armenian (hy)"
SURVEY_HEADER = ["type", "name", KA, AZ, HY, "hint::ka", "hint::az", "hint::hy", "required", "relevant",
                 "constraint", "constraint_message::ka", "constraint_message::az", "constraint_message::hy",
                 "appearance", "parameters"]  # fmt: skip
CHOICES_HEADER = ["list_name", "name", KA, AZ, HY]


def row(type_: str, name: str = "", ka: str = "", az: str = "", hy: str = "", **cells: str) -> list[str]:
    values = {"type": type_, "name": name, KA: ka, AZ: az, HY: hy} | {
        key.replace("__", "::"): value for key, value in cells.items()
    }
    return [values.get(header, "") for header in SURVEY_HEADER]


GOOD_SURVEY = [
    row("start", "started"),
    row("note", "intro", "გმადლობთ!", "Təşəkkür edirik!", "Շնորհակալություն։"),
    row("select_one yn", "aware", "იცით საჯარო განხილვების შესახებ?", "İctimai müzakirələr barədə bilirsinizmi?",
        "Գիտե՞ք հանրային քննարկումների մասին։", required="yes"),
    row("begin group", "details", "დეტალები", "Təfərrüatlar", "Մանրամասներ", relevant="${aware} = '1'"),
    row("integer", "age", "ასაკი", "Yaşınız", "Տարիքը", required="TRUE", constraint=". >= 18 and . <= 120",
        constraint_message__ka="18-დან 120-მდე", constraint_message__az="18-dən 120-yə qədər",
        constraint_message__hy="18-ից 120"),
    row("range", "trust", "ნდობა", "Etimad", "Վստահություն", parameters="start=1 end=5 step=1",
        hint__ka="1 — არა, 5 — სრულად", hint__az="1 — yox, 5 — tam", hint__hy="1 — ոչ, 5 — լիովին"),
    row("end group"),
    row("select_multiple topics", "topics", "თემები", "Mövzular", "Թեմաներ", constraint="count-selected(.) <= 2"),
    row("select_one topics", "main", "მთავარი თემა", "Əsas mövzu", "Հիմնական թեմա", appearance="likert"),
    row("decimal", "spend", "თანხა", "Məbləğ", "Գումար", constraint=". >= 0"),
    row("text", "idea", "იდეა", "İdeya", "Գաղափար", relevant="selected(${topics}, 'budget') or not(${age} < 30)",
        constraint="string-length(.) <= 200", required="no"),
    row("end", "ended"),
]  # fmt: skip
GOOD_CHOICES = [
    ["yn", "1", "დიახ", "Bəli", "Այո"],
    ["yn", "0", "არა", "Xeyr", "Ոչ"],
    ["topics", "budget", "ბიუჯეტი", "Büdcə", "Բյուջե"],
    ["topics", "roads", "გზები", "Yollar", "Ճանապարհներ"],
    ["topics", "water", "წყალი", "Su", "Ջուր"],
]
GOOD_SETTINGS = {
    "form_id": "participation-xls",
    "form_title": "Participation",
    "default_language": "Georgian (ka)",
}


def workbook(
    survey: Sequence[Sequence[str]] = GOOD_SURVEY,
    choices: Sequence[Sequence[str]] | None = GOOD_CHOICES,
    settings: dict[str, str] | None = GOOD_SETTINGS,
    survey_header: Sequence[str] = SURVEY_HEADER,
    choices_header: Sequence[str] = CHOICES_HEADER,
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(list(survey_header))
    for values in survey:
        sheet.append([value or None for value in values])
    if choices is not None:
        choice_sheet = book.create_sheet("choices")
        choice_sheet.append(list(choices_header))
        for values in choices:
            choice_sheet.append([value or None for value in values])
    if settings is not None:
        settings_sheet = book.create_sheet("settings")
        settings_sheet.append(list(settings))
        settings_sheet.append(list(settings.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_good_form_imports_with_types_languages_bounds_and_skip_logic() -> None:
    survey = load_survey_xlsform(workbook())
    assert survey.code == "participation-xls"
    assert survey.languages == ("ka", "az", "hy")
    assert survey.base_language == "ka"
    assert survey.title.translations == {"ka": "Participation", "az": "Participation", "hy": "Participation"}
    kinds = {q.name: q.kind for q in survey.questions}
    assert kinds == {
        "intro": QuestionKind.NOTE, "aware": QuestionKind.YES_NO, "age": QuestionKind.NUMBER,
        "trust": QuestionKind.RATING, "topics": QuestionKind.MULTIPLE_CHOICE, "main": QuestionKind.SINGLE_CHOICE,
        "spend": QuestionKind.NUMBER, "idea": QuestionKind.TEXT,
    }  # fmt: skip
    aware, age, trust = survey.question("aware"), survey.question("age"), survey.question("trust")
    assert [o.value for o in aware.choices] == ["1", "0"]
    assert aware.required and age.required and not survey.question("idea").required
    assert aware.label.translations["hy"] == "Գիտե՞ք հանրային քննարկումների մասին։"
    assert (age.minimum, age.maximum, age.decimal) == (18, 120, False)
    assert (
        age.constraint_message is not None
        and age.constraint_message.translations["az"] == "18-dən 120-yə qədər"
    )
    assert (trust.minimum, trust.maximum) == (1, 5)
    assert trust.hint is not None and trust.hint.translations["hy"] == "1 — ոչ, 5 — լիովին"
    assert survey.question("topics").maximum == 2
    assert [o.value for o in survey.question("main").choices] == ["budget", "roads", "water"]
    assert (survey.question("spend").minimum, survey.question("spend").decimal) == (0, True)
    assert survey.question("idea").max_length == 200


def test_a_groups_condition_is_added_to_each_question_inside() -> None:
    survey = load_survey_xlsform(workbook())
    in_group = Comparison("aware", Operator.EQ, "1")
    assert survey.question("age").relevant == in_group
    assert survey.question("trust").relevant == in_group
    assert survey.question("topics").relevant is None
    idea = survey.question("idea").relevant
    assert idea is not None and idea.names() == {"topics", "age"}
    assert Selected("topics", "budget") in idea.operands  # type: ignore[union-attr]


def test_group_and_row_conditions_are_combined() -> None:
    survey_rows = [
        row("select_one yn", "aware", "ა", "a", "ա"),
        row("integer", "age", "ასაკი", "Yaş", "Տարիք"),
        row("begin_group", "g", relevant="${aware} = '1'"),
        row("text", "why", "რატომ", "Niyə", "Ինչու", relevant="${age} >= 18"),
        row("end_group"),
    ]
    why = load_survey_xlsform(workbook(survey_rows)).question("why")
    assert why.relevant == And((Comparison("aware", Operator.EQ, "1"), Comparison("age", Operator.GE, 18)))


def test_bare_language_codes_a_plain_label_column_and_a_path(tmp_path: Path) -> None:
    header = ["type", "name", "label", "label::az", "label::hy"]
    survey_rows = [["text", "idea", "იდეა", "İdeya", "Գաղափար"]]
    path = tmp_path / "my-form.xlsx"
    path.write_bytes(
        workbook(survey_rows, choices=None, settings={"default_language": "ka"}, survey_header=header)
    )
    survey = load_survey_xlsform(path)
    assert survey.code == "my-form"
    assert survey.languages == ("ka", "az", "hy")
    assert survey.questions[0].label.translations["ka"] == "იდეა"


def problems_of(data: bytes) -> list[tuple[str, int | None, str | None]]:
    with pytest.raises(XLSFormError) as error:
        load_survey_xlsform(data)
    return [(problem.sheet, problem.row, problem.column) for problem in error.value.problems]


def replaced(index: int, new_row: list[str]) -> list[list[str]]:
    rows = [list(values) for values in GOOD_SURVEY]
    rows[index] = new_row
    return rows


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (workbook(replaced(1, row("geopoint", "where", "სად", "Harada", "Որտեղ"))), ("survey", 3, "type")),
        (workbook(replaced(1, row("calculate", "c", "c", "c", "c"))), ("survey", 3, "type")),
        (workbook(replaced(3, row("begin repeat", "rep", "r", "r", "r"))), ("survey", 5, "type")),
        (workbook(replaced(10, row("text", "idea", "ი", "İ", "Գ", relevant="today() > 1"))), ("survey", 12, "relevant")),
        (workbook(replaced(9, row("decimal", "spend", "თ", "M", "Գ", constraint="regex(., '[0-9]')"))),
         ("survey", 11, "constraint")),
        (workbook(replaced(9, row("decimal", "spend", "თ", "M", ""))), ("survey", 11, HY)),
        (workbook(replaced(9, row("select_one nolist", "spend", "თ", "M", "Գ"))), ("survey", 11, "type")),
        (workbook(replaced(9, row("range", "spend", "თ", "M", "Գ", parameters="start=1 end=5 step=2"))),
         ("survey", 11, "parameters")),
        (workbook(replaced(9, row("text", "spend", "თ", "M", "Գ", constraint="string-length(.) >= 3"))),
         ("survey", 11, "constraint")),
        (workbook(replaced(3, row("text", "x", "ა", "a", "ա"))), ("survey", 8, "type")),
        (workbook(choices=[*GOOD_CHOICES[:3], ["topics", "roads", "გზები", "", "Ճանապարհներ"], GOOD_CHOICES[4]]),
         ("choices", 5, AZ)),
        (workbook(choices=[*GOOD_CHOICES, ["topics", "Big Roads", "ა", "a", "ա"]]), ("choices", 7, "name")),
        (workbook(survey_header=[*SURVEY_HEADER[:5], "label::French (fr)", *SURVEY_HEADER[6:]]),
         ("survey", 1, "label::French (fr)")),
        (workbook(replaced(1, row("note", "intro", "ა", "a", "Շնորհակալություն?"))), ("survey", 3, HY)),
        (workbook(replaced(1, row("text", "t", "ა", "a", "ա", relevant="${idea} = 'x'"))), ("survey", 3, "relevant")),
        (workbook([[*row("text", "t", "ა", "a", "ա"), "1 + 1"]], survey_header=[*SURVEY_HEADER, "calculation"]),
         ("survey", 2, "calculation")),
        (workbook(replaced(1, row("text", "t", "ა", "a", "ա", required="sometimes"))), ("survey", 3, "required")),
        (workbook(replaced(1, row("text", "meta", "ა", "a", "ա"))), ("survey", 3, "name")),
        (workbook(settings={"default_language": "Klingon (tlh)"}), ("settings", 2, "default_language")),
    ],
)  # fmt: skip
def test_each_kind_of_broken_form_is_refused_with_its_cell(
    data: bytes, expected: tuple[str, int | None, str | None]
) -> None:
    assert expected in problems_of(data)


def test_all_problems_are_collected_in_one_refusal() -> None:
    rows = [list(values) for values in GOOD_SURVEY]
    rows[1] = row("geopoint", "where", "სად", "Harada", "Որտեղ")
    rows[4] = row("integer", "age", "ასაკი", "Yaşınız", "", relevant="now() > 1")
    rows[9] = row("select_one nolist", "spend", "თ", "M", "Գ")
    found = problems_of(workbook(rows))
    assert ("survey", 3, "type") in found
    assert ("survey", 6, HY) in found
    assert ("survey", 6, "relevant") in found
    assert ("survey", 11, "type") in found


def test_the_message_names_sheet_row_and_column_letter() -> None:
    with pytest.raises(XLSFormError) as error:
        load_survey_xlsform(workbook(replaced(1, row("geopoint", "where", "სად", "Harada", "Որտեղ"))))
    assert str(error.value.problems[0]).startswith(
        "sheet 'survey', row 3, column A 'type': the type 'geopoint'"
    )


def test_a_workbook_without_a_survey_sheet_or_not_a_workbook_is_refused() -> None:
    book = Workbook()
    assert book.active is not None
    book.active.title = "questions"
    buffer = io.BytesIO()
    book.save(buffer)
    assert problems_of(buffer.getvalue()) == [("survey", None, None)]
    assert problems_of(b"not a zip file") == [("", None, None)]


def test_a_form_without_language_columns_is_refused() -> None:
    header = ["type", "name", "label"]
    found = problems_of(
        workbook([["text", "idea", "Idea"]], choices=None, settings=None, survey_header=header)
    )
    assert ("survey", 1, "label") in found


@pytest.mark.parametrize("metadata", ["start", "end", "today", "deviceid", "end time", "audit", "username"])
def test_metadata_rows_are_skipped(metadata: str) -> None:
    name = "" if metadata == "audit" else metadata.replace(" ", "_")
    survey_rows = [row(metadata, name), row("text", "idea", "იდეა", "İdeya", "Գաղափար")]
    assert [q.name for q in load_survey_xlsform(workbook(survey_rows)).questions] == ["idea"]


def test_the_conformance_gate_reports_what_only_pyxform_knows() -> None:
    with pytest.raises(XLSFormError, match="reserved for form metadata") as error:
        load_survey_xlsform(workbook(replaced(1, row("text", "meta", "ა", "a", "ա"))))
    assert str(error.value).startswith(
        "sheet 'survey', row 3, column 'name': ODK (pyxform) does not accept the form:"
    )
