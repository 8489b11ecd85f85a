"""Survey.create: every problem is found, with a path into the document."""

from __future__ import annotations

from dataclasses import replace

import pytest

from channels.i18n import LANGUAGES
from channels.message import Content
from surveys.definition import (
    Option,
    Question,
    QuestionKind,
    Survey,
    SurveyDefinitionError,
    SurveySettings,
    yes_no_options,
)
from surveys.logic import Comparison, Operator, Selected, parse_condition


def text(word: str, languages: tuple[str, ...] = LANGUAGES) -> Content:
    return Content({lang: f"{word} ({lang})" for lang in languages})


def choice_q(
    name: str = "topic", kind: QuestionKind = QuestionKind.SINGLE_CHOICE, **extra: object
) -> Question:
    options = (Option("roads", text("Roads")), Option("water", text("Water")), Option("parks", text("Parks")))
    return Question(name=name, kind=kind, label=text("Which one"), choices=options, **extra)  # type: ignore[arg-type]


def make(*questions: Question, languages: tuple[str, ...] = LANGUAGES, **extra: object) -> Survey:
    return Survey.create(
        code="test-survey",
        title=text("Title", languages),
        languages=languages,
        base_language=languages[0],
        questions=questions,
        **extra,  # type: ignore[arg-type]
    )


def paths(error: pytest.ExceptionInfo[SurveyDefinitionError]) -> list[str]:
    return [problem.path for problem in error.value.problems]


def test_a_valid_survey_is_built_with_its_questions_in_order() -> None:
    rating = Question(name="trust", kind=QuestionKind.RATING, label=text("Trust"), minimum=1, maximum=5)
    survey = make(choice_q(), rating)
    assert [q.name for q in survey.questions] == ["topic", "trust"]
    assert survey.question("trust").kind is QuestionKind.RATING
    with pytest.raises(KeyError):
        survey.question("missing")


def test_declared_fallback_covers_missing_texts_and_is_set_on_every_content() -> None:
    label = Content({"ka": "კითხვა", "en": "Question"})
    question = Question(name="q", kind=QuestionKind.TEXT, label=label)
    survey = make(question, settings=SurveySettings(fallback_language="ka"))
    assert survey.questions[0].label.in_language("hy") == "კითხვა"
    assert survey.title.fallback == "ka"


def test_without_fallback_every_language_needs_every_text() -> None:
    options = (Option("roads", text("Roads")), Option("water", Content({"ka": "წყალი", "en": "Water"})))
    question = Question(name="q", kind=QuestionKind.SINGLE_CHOICE, label=text("Q"), choices=options)
    with pytest.raises(SurveyDefinitionError) as error:
        make(question)
    assert paths(error) == [f"questions[0].choices[1].label.{lang}" for lang in ("az", "hy", "ru")]


def test_all_problems_are_reported_together() -> None:
    broken = choice_q(name="1bad")
    duplicate = choice_q(name="1bad")
    with pytest.raises(SurveyDefinitionError) as error:
        Survey.create(
            code="bad code!",
            title=text("T"),
            languages=LANGUAGES,
            base_language="de",
            questions=[broken, duplicate],
        )
    assert {"code", "base_language", "questions[0].name", "questions[1].name"} <= set(paths(error))


@pytest.mark.parametrize(
    ("value", "ok"),
    [("roads", True), ("1", True), ("road-works_2", True), ("a" * 20, True), ("a" * 21, False),
     ("Roads", False), ("two words", False), ("_declined", False), ("ბიუჯეტი", False), ("", False)],
)  # fmt: skip
def test_choice_values_are_compact_ascii(value: str, ok: bool) -> None:
    options = (Option(value, text("A")), Option("other", text("B")))
    question = Question(name="q", kind=QuestionKind.SINGLE_CHOICE, label=text("Q"), choices=options)
    if ok:
        assert make(question).questions[0].choices[0].value == value
    else:
        with pytest.raises(SurveyDefinitionError) as error:
            make(question)
        assert paths(error) == ["questions[0].choices[0].value"]


def test_choice_values_are_unique_within_a_question() -> None:
    options = (Option("a", text("A")), Option("a", text("B")))
    with pytest.raises(SurveyDefinitionError) as error:
        make(Question(name="q", kind=QuestionKind.SINGLE_CHOICE, label=text("Q"), choices=options))
    assert paths(error) == ["questions[0].choices[1].value"]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("${later} = 'x'", "${later} is not asked before this question"),
        ("${nowhere} = 'x'", "${nowhere} is not a question"),
        ("${topic} = 'bridges'", "'bridges' is not an option of ${topic}"),
        ("selected(${topic}, 'bridges')", "'bridges' is not an option of ${topic}"),
        ("${topic} > 2", "only numbers and ratings compare"),
        ("selected(${age}, 'x')", "selected() needs a choice question"),
        ("${age} = 'old'", "compare it with a number"),
        ("${many} = 'roads'", "use selected(${many}, 'value')"),
        ("${intro} = 'x'", "is a note and has no answer"),
    ],
)
def test_skip_logic_only_looks_back_at_answers_of_the_right_kind(condition: str, message: str) -> None:
    intro = Question(name="intro", kind=QuestionKind.NOTE, label=text("Hello"), required=False)
    age = Question(name="age", kind=QuestionKind.NUMBER, label=text("Age"))
    many = choice_q(name="many", kind=QuestionKind.MULTIPLE_CHOICE)
    asked = Question(
        name="asked", kind=QuestionKind.TEXT, label=text("Q"), relevant=parse_condition(condition)
    )
    later = Question(name="later", kind=QuestionKind.TEXT, label=text("L"))
    with pytest.raises(SurveyDefinitionError) as error:
        make(intro, choice_q(), age, many, asked, later)
    assert [p.path for p in error.value.problems] == ["questions[4].relevant"]
    assert message in error.value.problems[0].message


def test_valid_skip_logic_is_accepted() -> None:
    age = Question(name="age", kind=QuestionKind.NUMBER, label=text("Age"))
    relevant = parse_condition("selected(${topic}, 'roads') and ${age} >= 18 or ${topic} != 'water'")
    asked = Question(name="asked", kind=QuestionKind.TEXT, label=text("Q"), relevant=relevant)
    survey = make(choice_q(), age, asked)
    assert survey.questions[2].relevant == relevant


@pytest.mark.parametrize(
    ("question", "path"),
    [
        (Question(name="r", kind=QuestionKind.RATING, label=text("R")), "questions[0].min"),
        (Question(name="r", kind=QuestionKind.RATING, label=text("R"), minimum=1, maximum=12), "questions[0].max"),
        (Question(name="r", kind=QuestionKind.RATING, label=text("R"), minimum=5, maximum=1), "questions[0].min"),
        (Question(name="n", kind=QuestionKind.NUMBER, label=text("N"), minimum=1.5), "questions[0].min"),
        (Question(name="n", kind=QuestionKind.NUMBER, label=text("N"), minimum=9, maximum=1), "questions[0].max"),
        (choice_q(kind=QuestionKind.MULTIPLE_CHOICE, maximum=4), "questions[0].max"),
        (choice_q(minimum=1), "questions[0].min"),
        (Question(name="t", kind=QuestionKind.TEXT, label=text("T"), max_length=1001), "questions[0].max_length"),
        (Question(name="n", kind=QuestionKind.NUMBER, label=text("N"), max_length=10), "questions[0].max_length"),
        (Question(name="t", kind=QuestionKind.TEXT, label=text("T"), decimal=True), "questions[0].decimal"),
        (Question(name="i", kind=QuestionKind.NOTE, label=text("Hi")), "questions[0].required"),
        (Question(name="y", kind=QuestionKind.YES_NO, label=text("Y")), "questions[0].choices"),
        (Question(name="t", kind=QuestionKind.TEXT, label=text("T"), choices=(Option("a", text("A")),)),
         "questions[0].choices"),
        (replace(choice_q(), choices=choice_q().choices[:1]), "questions[0].choices"),
    ],
)  # fmt: skip
def test_bounds_and_options_must_fit_the_kind(question: Question, path: str) -> None:
    with pytest.raises(SurveyDefinitionError) as error:
        make(question)
    assert path in paths(error)


def test_an_eleven_point_rating_and_decimal_bounds_are_fine() -> None:
    rating = Question(name="r", kind=QuestionKind.RATING, label=text("R"), minimum=0, maximum=10)
    amount = Question(
        name="n", kind=QuestionKind.NUMBER, label=text("N"), minimum=0.5, maximum=2.5, decimal=True
    )
    assert make(rating, amount).questions[1].maximum == 2.5


@pytest.mark.parametrize(
    ("lang", "bad", "message"),
    [
        ("hy", "Կգաք հանդիպմանը?", "՞"),
        ("hy", "Շնորհակալություն: Ցտեսություն", "։"),
        ("az", "Bäli", "ə"),
        ("az", "Бәли", "ə"),
    ],
)
def test_typography_rules_of_the_glossary_are_checked(lang: str, bad: str, message: str) -> None:
    label = Content({**text("Q").translations, lang: bad})
    with pytest.raises(SurveyDefinitionError) as error:
        make(Question(name="q", kind=QuestionKind.TEXT, label=label))
    assert paths(error) == [f"questions[0].label.{lang}"]
    assert message in error.value.problems[0].message


def test_correct_armenian_and_azerbaijani_pass() -> None:
    label = Content(
        {**text("Q").translations, "hy": "Կգա՞ք հանդիպմանը ժամը 10:00-ին։", "az": "Gələcəksinizmi?"}
    )
    assert make(Question(name="q", kind=QuestionKind.TEXT, label=label)).questions[0].label == label


def test_languages_must_be_ours_and_texts_only_in_survey_languages() -> None:
    label = Content({"ka": "კითხვა", "de": "Frage"})
    with pytest.raises(SurveyDefinitionError) as error:
        Survey.create(
            code="s",
            title=Content({"ka": "ს"}),
            languages=["ka", "ka", "xx"],
            base_language="ka",
            questions=[Question(name="q", kind=QuestionKind.TEXT, label=label)],
            settings=SurveySettings(fallback_language="en"),
        )
    assert {"languages[1]", "languages[2]", "settings.fallback_language", "questions[0].label.de"} <= set(
        paths(error)
    )


def test_yes_no_options_are_yes_first_in_the_requested_languages() -> None:
    yes, no = yes_no_options(["ka", "hy"])
    assert (yes.value, no.value) == ("yes", "no")
    assert yes.label.translations == {"ka": "დიახ", "hy": "Այո"}
    assert no.label.translations == {"ka": "არა", "hy": "Ոչ"}


def test_condition_names_lists_every_reference() -> None:
    condition = parse_condition("not(${a} = 1) and (selected(${b}, 'x') or ${c} < 2)")
    assert condition.names() == {"a", "b", "c"}
    assert Comparison("a", Operator.EQ, 1).names() == {"a"}
    assert Selected("b", "x").names() == {"b"}
