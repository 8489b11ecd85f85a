"""The YAML format: the examples load, round-trip, and broken documents name the path to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.i18n import LANGUAGES
from surveys.definition import QuestionKind, Survey
from surveys.yaml_format import SurveyFormatError, dump_survey_yaml, load_survey_yaml, survey_from_data

EXAMPLES = Path(__file__).resolve().parents[2] / "surveys" / "examples"


@pytest.fixture(params=["budget_flash_poll.yaml", "participation_questionnaire.yaml"])
def example(request: pytest.FixtureRequest) -> Survey:
    return load_survey_yaml(EXAMPLES / request.param)


def test_examples_have_every_text_in_all_five_languages(example: Survey) -> None:
    assert example.languages == LANGUAGES
    assert example.settings.fallback_language is None
    for path, content in example.contents():
        assert set(content.translations) == set(LANGUAGES), path


def test_examples_round_trip_through_dump(example: Survey) -> None:
    assert load_survey_yaml(dump_survey_yaml(example)) == example


def test_budget_poll_has_three_questions() -> None:
    survey = load_survey_yaml(EXAMPLES / "budget_flash_poll.yaml")
    assert [q.kind for q in survey.questions] == [
        QuestionKind.SINGLE_CHOICE,
        QuestionKind.RATING,
        QuestionKind.YES_NO,
    ]
    assert survey.questions[1].prefer_not_to_answer


def test_participation_questionnaire_uses_every_kind_and_skip_logic() -> None:
    survey = load_survey_yaml(EXAMPLES / "participation_questionnaire.yaml")
    assert len(survey.questions) == 10
    assert {q.kind for q in survey.questions} == set(QuestionKind)
    assert [q.name for q in survey.questions if q.relevant] == [
        "attended",
        "hearings_count",
        "interpretation",
    ]
    rating = next(q for q in survey.questions if q.kind is QuestionKind.RATING)
    assert (rating.minimum, rating.maximum) == (1, 5)
    assert survey.question("channels").maximum == 3
    assert not survey.question("suggestion").required


GOOD = """
code: tiny
title: {ka: სათაური, en: Title}
languages: [ka, en]
questions:
  - name: topic
    kind: single_choice
    label: {ka: თემა, en: Topic}
    choices:
      - {value: roads, label: {ka: გზები, en: Roads}}
      - {value: water, label: {ka: წყალი, en: Water}}
  - name: ok
    kind: yes_no
    label: {ka: კარგია, en: Fine}
"""


def test_a_small_document_with_defaults() -> None:
    survey = load_survey_yaml(GOOD)
    assert survey.base_language == "ka"
    assert survey.questions[0].required
    ok = survey.questions[1]
    assert [o.value for o in ok.choices] == ["yes", "no"]
    assert ok.choices[0].label.translations == {"ka": "დიახ", "en": "Yes"}


def test_settings_prefer_not_to_answer_is_the_default_for_questions() -> None:
    survey = load_survey_yaml(
        GOOD.replace("questions:", "settings: {prefer_not_to_answer: true}\nquestions:")
    )
    assert all(q.prefer_not_to_answer for q in survey.questions)


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    ("document", "path", "fragment"),
    [
        (broken("en: Water}", "}"), "questions[0].choices[1].label.en", "missing"),
        (broken("    kind: yes_no", "    kind: yes_no\n    colour: red"), "questions[1].colour", "unknown key"),
        (broken("kind: yes_no", "kind: maybe"), "questions[1].kind", "expected one of"),
        (broken("value: roads", "value: yes"), "questions[0].choices[0].value", "quotes"),
        (broken("value: roads", "value: Roads"), "questions[0].choices[0].value", "a-z"),
        (broken("    kind: yes_no", "    kind: yes_no\n    relevant: ${topic} == 'x'"),
         "questions[1].relevant", "expected"),
        (broken("  - name: topic\n", "  - name: topic\n    relevant: ${ok} = 'yes'\n"),
         "questions[0].relevant", "not asked before"),
        (broken("    kind: yes_no", "    kind: yes_no\n    min: one"), "questions[1].min", "expected a number"),
        (broken("    kind: yes_no", "    kind: yes_no\n    required: perhaps"), "questions[1].required", "true or false"),
        (broken("label: {ka: კარგია, en: Fine}", "label: {ka: კარგია, en: Fine, hy: Լավ}"),
         "questions[1].label.hy", "not a language of this survey"),
        (broken("code: tiny\n", ""), "code", "required"),
        (broken("label: {ka: თემა, en: Topic}", "label: {ka: თემა, en: Topic, one, two}"),
         "questions[0].label.one", "in quotes"),
    ],
)  # fmt: skip
def test_broken_documents_name_the_path(document: str, path: str, fragment: str) -> None:
    with pytest.raises(SurveyFormatError) as error:
        load_survey_yaml(document)
    problems = {problem.path: problem.message for problem in error.value.problems}
    assert path in problems, problems
    assert fragment in problems[path]


def test_every_problem_is_reported_at_once() -> None:
    document = (
        broken("kind: yes_no", "kind: maybe").replace("en: Water}", "}").replace("code: tiny", "code: 7 7")
    )
    with pytest.raises(SurveyFormatError) as error:
        load_survey_yaml(document)
    assert {p.path for p in error.value.problems} >= {"questions[1].kind", "questions[0].choices[1].label.en"}


def test_meaning_problems_come_with_document_paths_too() -> None:
    with pytest.raises(SurveyFormatError) as error:
        load_survey_yaml(broken("code: tiny", "code: 'not valid!'").replace("en: Water}", "}"))
    assert {p.path for p in error.value.problems} == {"code", "questions[0].choices[1].label.en"}


@pytest.mark.parametrize("document", ["just text", "- a\n- b", ""])
def test_a_document_that_is_not_a_mapping_is_refused(document: str) -> None:
    with pytest.raises(SurveyFormatError, match="expected a mapping"):
        load_survey_yaml(document)


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(SurveyFormatError, match="line 3"):
        load_survey_yaml("code: x\ntitle: {ka: a\nlanguages: [ka\n")


def test_survey_from_data_accepts_parsed_documents() -> None:
    data = {
        "code": "d",
        "title": {"en": "T"},
        "languages": ["en"],
        "questions": [
            {"name": "n", "kind": "number", "label": {"en": "How many"}, "min": 0, "decimal": True}
        ],
    }
    question = survey_from_data(data).questions[0]
    assert (question.minimum, question.decimal) == (0, True)


def test_dump_leaves_defaults_out_and_keeps_skip_logic_text() -> None:
    survey = load_survey_yaml(EXAMPLES / "participation_questionnaire.yaml")
    text = dump_survey_yaml(survey)
    assert "relevant: ${aware_hearings} = 'yes' and ${attended} != 'neither'" in text
    assert "decimal" not in text
    assert "Գիտեի՞ք" in text  # unicode kept as is, not escaped
