"""Import problems are catalog text: the console shows them in the staff member's language, the CLI in English."""

from __future__ import annotations

import pytest

from channels.i18n import render
from surveys.xlsform import XLSFormError, load_survey_xlsform
from surveys.yaml_format import SurveyFormatError, load_survey_yaml
from tests.surveys.test_xlsform import row, workbook


def test_a_yaml_problem_reads_in_georgian_and_stays_english_for_the_cli() -> None:
    with pytest.raises(SurveyFormatError) as error:
        load_survey_yaml("code: x\nlanguages: [ka, en]\ntitle: {ka: ა, en: a}\nquestions: []\nsurprise: 1\n")
    problem = next(p for p in error.value.problems if p.path == "surprise")
    assert problem.message.startswith("unknown key; known keys: ")
    assert str(problem) == f"surprise: {problem.message}"
    georgian = render(problem.text, "ka")
    assert georgian.startswith("უცნობი გასაღები") and "questions" in georgian


def test_a_cell_problem_keeps_its_parameters_in_every_language() -> None:
    with pytest.raises(XLSFormError) as error:
        load_survey_xlsform(workbook([row("select_one nowhere", "q", "ა", "a", "ա")]))
    problem = error.value.problems[0]
    assert problem.message == "no list 'nowhere' on the choices sheet"
    assert render(problem.text, "ru") == "На листе choices нет списка «nowhere»"
    assert render(problem.text, "az") == "choices vərəqində «nowhere» siyahısı yoxdur"
    assert "nowhere" in render(problem.text, "hy") and "nowhere" in render(problem.text, "ka")


def test_a_skip_logic_error_is_translated_with_its_column() -> None:
    from surveys.logic import ExpressionError, parse_condition

    with pytest.raises(ExpressionError) as error:
        parse_condition("${a} = 'x' and")
    assert str(error.value) == "expected a comparison but the text ended"
    assert render(error.value.text, "ru") == "Ожидалось сравнение, но текст закончился"
    with pytest.raises(ExpressionError) as error:
        parse_condition("today() = 1")
    assert str(error.value) == "function today() at column 1 is not supported"
    assert render(error.value.text, "az") == "1-ci sütundakı today() funksiyası dəstəklənmir"
