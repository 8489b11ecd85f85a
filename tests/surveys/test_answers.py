"""Reading typed answers: tables per language and kind, and properties that hold for any text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.i18n import LANGUAGES
from channels.message import Content, Text
from surveys.answers import PREFER_NOT_TO_ANSWER, AnswerError, choice_numbering, parse_answer
from surveys.definition import DECLINED, Answer, Option, Question, QuestionKind, yes_no_options


def text(word: str) -> Content:
    return Content({lang: f"{word} {lang}" for lang in LANGUAGES})


def options(count: int) -> tuple[Option, ...]:
    return tuple(Option(f"o{number}", text(f"Option {number}")) for number in range(1, count + 1))


YES_NO = Question(name="yn", kind=QuestionKind.YES_NO, label=text("Q"), choices=yes_no_options(LANGUAGES))
TOPIC = Question(
    name="topic",
    kind=QuestionKind.SINGLE_CHOICE,
    label=text("Q"),
    choices=(
        Option("roads", Content({"ka": "გზები", "hy": "Ճանապարհներ", "en": "Roads"})),
        Option("water", Content({"ka": "წყალი", "hy": "Ջուր", "en": "Water"})),
        Option("parks", Content({"ka": "პარკები", "hy": "Զբոսայգիներ", "en": "Parks"})),
    ),
)
FOUR = Question(name="four", kind=QuestionKind.MULTIPLE_CHOICE, label=text("Q"), choices=options(4))
TWELVE = Question(name="twelve", kind=QuestionKind.MULTIPLE_CHOICE, label=text("Q"), choices=options(12))
RATING = Question(name="r", kind=QuestionKind.RATING, label=text("Q"), minimum=1, maximum=5)
AGE = Question(name="age", kind=QuestionKind.NUMBER, label=text("Q"), minimum=-10, maximum=120)
AMOUNT = Question(
    name="amount", kind=QuestionKind.NUMBER, label=text("Q"), minimum=0, maximum=100, decimal=True
)
FREE = Question(name="free", kind=QuestionKind.TEXT, label=text("Q"), max_length=10, required=False)


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        # ka
        ("კი", "yes"), ("ki", "yes"), ("დიახ", "yes"), ("diakh", "yes"), ("არა", "no"), ("ara", "no"),
        # az
        ("bəli", "yes"), ("Beli", "yes"), ("Hə", "yes"), ("he", "yes"), ("xeyr", "no"), ("Yox", "no"),
        # hy
        ("այո", "yes"), ("Այո։", "yes"), ("ayo", "yes"), ("ha", "yes"), ("ոչ", "no"), ("voch", "no"),
        ("չէ", "no"), ("che", "no"),
        # ru
        ("да", "yes"), ("Да!", "yes"), ("da", "yes"), ("нет", "no"), ("net", "no"),
        # en
        ("yes", "yes"), ("Y", "yes"), ("no", "no"), ("N.", "no"),
        # digits in any script
        ("1", "yes"), (" 2 ", "no"), ("١", "yes"), ("２", "no"),
    ],
)  # fmt: skip
def test_yes_no_by_number_or_word_in_every_language(reply: str, value: str) -> None:
    assert parse_answer(YES_NO, reply, "ka") == Answer(value)


def test_yes_no_words_map_to_the_lists_own_values() -> None:
    one_zero = Question(
        name="q", kind=QuestionKind.YES_NO, label=text("Q"),
        choices=(Option("1", text("Yes")), Option("0", text("No"))),
    )  # fmt: skip
    assert parse_answer(one_zero, "კი", "ka") == Answer("1")
    assert parse_answer(one_zero, "xeyr", "az") == Answer("0")
    assert parse_answer(one_zero, "2", "az") == Answer("0")


@pytest.mark.parametrize("reply", ["3", "maybe", "1 2", "yes no"])
def test_yes_no_refuses_anything_else(reply: str) -> None:
    assert parse_answer(YES_NO, reply, "en") == AnswerError(Text("Please reply with 1 for yes or 2 for no."))


@pytest.mark.parametrize(
    "reply", ["2", " 2.", "２", "٢", "#2", "2)", "water", "WATER", "წყალი", "ջուր", "tsqali"]
)
def test_single_choice_by_number_or_label(reply: str) -> None:
    assert parse_answer(TOPIC, reply, "ka") == Answer("water")


@pytest.mark.parametrize("reply", ["4", "0", "2 3", "1.5", "water roads", "9" * 5000])
def test_single_choice_refuses_numbers_not_shown(reply: str) -> None:
    assert parse_answer(TOPIC, reply, "hy") == AnswerError(
        Text.of("Please reply with the number of one option, from 1 to {high}.", high=3)
    )


@pytest.mark.parametrize("reply", ["1,3", "1 3", "1, 3", "1;3", "13", "3,1", "1.3", "1,,3", "３ １", "1,3,1"])
def test_multiple_choice_with_up_to_nine_numbers(reply: str) -> None:
    assert parse_answer(FOUR, reply, "en") == Answer(("o1", "o3"))


@pytest.mark.parametrize(
    ("reply", "values"), [("12", ("o12",)), ("1 12", ("o1", "o12")), ("10,2", ("o2", "o10"))]
)
def test_multiple_choice_with_ten_or_more_reads_whole_numbers(reply: str, values: tuple[str, ...]) -> None:
    assert parse_answer(TWELVE, reply, "en") == Answer(values)


@pytest.mark.parametrize("reply", ["13", "123", "1-3", "a,b", "5"])
def test_multiple_choice_refuses_numbers_not_shown(reply: str) -> None:
    question = TWELVE if reply in {"13", "123"} else FOUR
    high = 12 if question is TWELVE else 4
    assert parse_answer(question, reply, "en") == AnswerError(
        Text.of(
            "Please reply with the numbers of your choices from 1 to {high}, separated by commas.", high=high
        )
    )


def test_multiple_choice_selection_bounds_and_constraint_message() -> None:
    bounded = Question(
        name="m", kind=QuestionKind.MULTIPLE_CHOICE, label=text("Q"), choices=options(4), minimum=2, maximum=3
    )
    assert parse_answer(bounded, "1", "en") == AnswerError(
        Text.plural_of("Please choose at least {n} option.", "Please choose at least {n} options.", 2)
    )
    assert parse_answer(bounded, "1234", "en") == AnswerError(
        Text.plural_of("Please choose at most {n} option.", "Please choose at most {n} options.", 3)
    )
    own = Content(dict.fromkeys(LANGUAGES, "≤ 3"))
    with_message = Question(**{**bounded.__dict__, "constraint_message": own})
    assert parse_answer(with_message, "1234", "en") == AnswerError(own)
    assert parse_answer(bounded, "4 2", "en") == Answer(("o2", "o4"))


def test_prefer_not_to_answer_is_the_last_number() -> None:
    question = Question(**{**FOUR.__dict__, "prefer_not_to_answer": True})
    assert choice_numbering(question)[-1] == (5, DECLINED)
    assert parse_answer(question, "5", "en") == Answer(None, declined=True)
    assert parse_answer(question, "1,5", "en") == AnswerError(
        Text("“Prefer not to answer” cannot be combined with other options.")
    )
    assert Text("Prefer not to answer") == PREFER_NOT_TO_ANSWER


def test_choice_numbering_matches_the_options_and_the_rating_scale() -> None:
    assert choice_numbering(TOPIC) == [(1, "roads"), (2, "water"), (3, "parks")]
    zero_to_ten = Question(
        name="z", kind=QuestionKind.RATING, label=text("Q"), minimum=0, maximum=10, prefer_not_to_answer=True
    )
    assert choice_numbering(zero_to_ten) == [(n, str(n)) for n in range(11)] + [(11, DECLINED)]
    assert choice_numbering(AGE) == []


@pytest.mark.parametrize(("reply", "value"), [("4", 4), ("4.0", 4), ("4,0", 4), ("５", 5), ("1", 1)])
def test_rating_in_scale(reply: str, value: int) -> None:
    assert parse_answer(RATING, reply, "ru") == Answer(value)


@pytest.mark.parametrize("reply", ["0", "6", "4.5", "four", "-1"])
def test_rating_out_of_scale_is_refused(reply: str) -> None:
    assert parse_answer(RATING, reply, "ru") == AnswerError(
        Text.of("Please reply with a number from {low} to {high}.", low=1, high=5)
    )


def test_rating_declined_by_number_or_skip_word() -> None:
    question = Question(**{**RATING.__dict__, "prefer_not_to_answer": True})
    assert parse_answer(question, "6", "en") == Answer(None, declined=True)
    assert parse_answer(question, "Пропустить", "ru") == Answer(None, declined=True)


@pytest.mark.parametrize(
    ("reply", "value"),
    [("18", 18), ("-5", -5), ("−5", -5), ("120", 120), ("٣٠", 30), ("0", 0), ("7.0", 7), ("007", 7)],
)
def test_whole_numbers(reply: str, value: int) -> None:
    result = parse_answer(AGE, reply, "az")
    assert result == Answer(value)
    assert isinstance(result, Answer) and type(result.value) is int


@pytest.mark.parametrize(("reply", "value"), [("2,5", 2.5), ("2.5", 2.5), ("0,75", 0.75), ("100", 100)])
def test_decimals_take_a_comma_or_a_dot(reply: str, value: float) -> None:
    assert parse_answer(AMOUNT, reply, "ka") == Answer(value)


@pytest.mark.parametrize(
    ("question", "reply", "message"),
    [
        (AGE, "1,5", Text("Please reply with a whole number.")),
        (AGE, "121", Text.of("Please reply with a number from {low} to {high}.", low=-10, high=120)),
        (AGE, "-11", Text.of("Please reply with a number from {low} to {high}.", low=-10, high=120)),
        (AGE, "1 000", Text("Please reply with a number.")),
        (AGE, "eighteen", Text("Please reply with a number.")),
        (AGE, "1e3", Text("Please reply with a number.")),
        (AMOUNT, "100,01", Text.of("Please reply with a number from {low} to {high}.", low=0, high=100)),
        (Question(name="n", kind=QuestionKind.NUMBER, label=text("Q"), minimum=5), "4",
         Text.of("Please reply with a number of at least {low}.", low=5)),
        (Question(name="n", kind=QuestionKind.NUMBER, label=text("Q"), maximum=5), "6",
         Text.of("Please reply with a number of at most {high}.", high=5)),
    ],
)  # fmt: skip
def test_numbers_are_refused_with_what_to_send(question: Question, reply: str, message: Text) -> None:
    assert parse_answer(question, reply, "en") == AnswerError(message)


@pytest.mark.parametrize(
    ("reply", "value"), [("  ახალი გზა  ", "ახალი გზა"), ("Yol\n", "Yol"), ("1234567890", "1234567890")]
)
def test_text_is_trimmed(reply: str, value: str) -> None:
    assert parse_answer(FREE, reply, "ka") == Answer(value)


def test_text_over_the_limit_is_refused() -> None:
    assert parse_answer(FREE, "12345678901", "en") == AnswerError(
        Text.plural_of(
            "Please keep your answer to {n} character or fewer.",
            "Please keep your answer to {n} characters or fewer.",
            10,
        )
    )


@pytest.mark.parametrize(
    "word",
    ["skip", "SKIP", "გამოტოვება", "gamotoveba", "Ötür", "otur", "Բաց թողնել", "bats toghnel", "пропустить"],
)
def test_skip_words_in_every_language(word: str) -> None:
    required = Question(name="t", kind=QuestionKind.TEXT, label=text("Q"))
    declinable = Question(**{**required.__dict__, "prefer_not_to_answer": True})
    assert parse_answer(FREE, word, "en") == Answer(None)
    assert parse_answer(declinable, word, "en") == Answer(None, declined=True)
    assert parse_answer(required, word, "en") == AnswerError(Text("This question needs an answer."))


def test_an_empty_reply_is_no_answer() -> None:
    assert parse_answer(FREE, "  ", "en") == Answer(None)
    assert parse_answer(TOPIC, "", "en") == AnswerError(Text("This question needs an answer."))


def test_a_note_takes_no_answer() -> None:
    note = Question(name="n", kind=QuestionKind.NOTE, label=text("Hi"), required=False)
    assert parse_answer(note, "anything", "en") == Answer(None)


# Properties: whatever people type, the parser answers, and never with an option the question lacks.

ANY_REPLY = st.text() | st.from_regex(r"\s*[0-9０-９٠-٩,;. -]{0,12}\s*", fullmatch=True)
CHOICE_QUESTIONS = [YES_NO, TOPIC, FOUR, TWELVE, Question(**{**FOUR.__dict__, "prefer_not_to_answer": True})]


@given(st.sampled_from(CHOICE_QUESTIONS), ANY_REPLY, st.sampled_from(LANGUAGES))
def test_choice_answers_are_always_options_of_the_question(question: Question, reply: str, lang: str) -> None:
    result = parse_answer(question, reply, lang)
    assert isinstance(result, Answer | AnswerError)
    if isinstance(result, Answer):
        values = result.value if isinstance(result.value, tuple) else (result.value,)
        assert set(values) <= set(question.option_values()) | {None}
        assert result.value is not None or result.declined or not question.required


@given(st.sampled_from([RATING, AGE, AMOUNT, FREE]), ANY_REPLY, st.sampled_from(LANGUAGES))
def test_number_and_text_answers_respect_their_bounds(question: Question, reply: str, lang: str) -> None:
    result = parse_answer(question, reply, lang)
    if isinstance(result, Answer) and isinstance(result.value, int | float):
        assert question.minimum is not None and question.maximum is not None
        assert question.minimum <= result.value <= question.maximum
    if isinstance(result, Answer) and isinstance(result.value, str):
        assert len(result.value) <= question.text_limit()


@given(st.integers().filter(lambda n: not -10 <= n <= 120))
def test_whole_numbers_outside_the_range_are_refused(number: int) -> None:
    assert isinstance(parse_answer(AGE, str(number), "en"), AnswerError)


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not 0 <= x <= 100))
def test_decimals_outside_the_range_are_refused(number: float) -> None:
    typed = format(Decimal(repr(number)), "f").replace(".", ",")
    assert isinstance(parse_answer(AMOUNT, typed, "en"), AnswerError)


@given(st.integers(min_value=1, max_value=5))
def test_every_rating_in_scale_is_read_back(number: int) -> None:
    assert parse_answer(RATING, str(number), "en") == Answer(number)
