"""Skip logic: parsing the XLSForm subset, printing it back, and ODK-compatible evaluation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.message import Content
from surveys.definition import Answer, AnswerValue, Question, QuestionKind
from surveys.logic import (
    And,
    Bound,
    Comparison,
    Condition,
    ExpressionError,
    Not,
    Operator,
    Or,
    Selected,
    Subject,
    evaluate,
    format_condition,
    is_relevant,
    parse_bounds,
    parse_condition,
)

AGE_18 = Comparison("age", Operator.GE, 18)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${q} = 'yes'", Comparison("q", Operator.EQ, "yes")),
        ('${q}="yes"', Comparison("q", Operator.EQ, "yes")),
        ("${age}>=18", AGE_18),
        ("18 <= ${age}", AGE_18),
        ("${x} != -2.5", Comparison("x", Operator.NE, -2.5)),
        ("selected(${topics}, 'budget')", Selected("topics", "budget")),
        ("not(${q} = 'no')", Not(Comparison("q", Operator.EQ, "no"))),
        (
            "${a} = 1 or ${b} = 2 and ${c} = 3",
            Or((Comparison("a", Operator.EQ, 1),
                And((Comparison("b", Operator.EQ, 2), Comparison("c", Operator.EQ, 3))))),
        ),
        (
            "(${a} = 1 or ${b} = 2) and ${c} < 3",
            And((Or((Comparison("a", Operator.EQ, 1), Comparison("b", Operator.EQ, 2))),
                 Comparison("c", Operator.LT, 3))),
        ),
    ],
)  # fmt: skip
def test_parse_condition(text: str, expected: Condition) -> None:
    assert parse_condition(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("today() > 3", "function today() at column 1 is not supported"),
        ("${a} = ", "but the text ended"),
        ("${a} == 1", "expected number"),
        ("${a} + 1 > 2", "unexpected '+'"),
        ("${a} = 1 and", "expected a comparison"),
        ("(${a} = 1", "expected )"),
        ("${a}", "expected op"),
        ("1 = 1", "expected ref"),
        ("${a b} = 1", "is not a question reference"),
        ("${a} = 1 ${b} = 2", "unexpected '${b}' at column 10"),
        ("count-selected(${a}) > 1", "count-selected() at column 1 is not supported"),
    ],
)
def test_parse_condition_refuses_what_it_cannot_evaluate(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError, match=r".") as error:
        parse_condition(text)
    assert fragment in str(error.value)


names = st.sampled_from(["a", "q_1", "topics"])
literals = st.one_of(
    st.text(alphabet="abc xyz'_-ქართ", max_size=8),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e25, max_value=1e25).filter(
        lambda x: not x.is_integer()
    ),
)
leaves = st.one_of(
    st.builds(Comparison, names, st.sampled_from(list(Operator)), literals),
    st.builds(Selected, names, st.text(alphabet="abc_-0", min_size=1, max_size=5)),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(lambda items: And(tuple(items)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda items: Or(tuple(items)), st.lists(inner, min_size=2, max_size=3)),
    ),
    max_leaves=6,
)


def _flat(condition: Condition) -> Condition:
    """And(And(a, b), c) prints as a and b and c, which reads back flat: compare flattened forms."""
    if isinstance(condition, And | Or):
        items: list[Condition] = []
        for operand in condition.operands:
            flat = _flat(operand)
            items.extend(
                flat.operands if isinstance(flat, And | Or) and type(flat) is type(condition) else (flat,)
            )
        return type(condition)(tuple(items))
    if isinstance(condition, Not):
        return Not(_flat(condition.operand))
    return condition


@given(conditions)
def test_format_then_parse_gives_the_same_condition(condition: Condition) -> None:
    assert _flat(parse_condition(format_condition(condition))) == _flat(condition)


def answers(**values: AnswerValue) -> dict[str, Answer]:
    return {name: Answer(value) for name, value in values.items()}


@pytest.mark.parametrize(
    ("text", "given_answers", "expected"),
    [
        ("${q} = 'yes'", answers(q="yes"), True),
        ("${q} = 'yes'", answers(q="no"), False),
        ("${q} = 'yes'", {}, False),
        ("${q} != 'yes'", {}, True),  # ODK: an unanswered question is '' and '' != 'yes'
        ("${q} != 'yes'", {"q": Answer(None, declined=True)}, True),
        ("${age} >= 18", answers(age=18), True),
        ("${age} >= 18", answers(age=17), False),
        ("${age} >= 18", {}, False),
        ("${age} < 18", {}, False),  # not answered is not a number: every ordering is false
        ("${age} != 18", {}, True),
        ("${age} = '18'", answers(age=18), True),  # a number compares numerically with a numeric text
        ("${amount} > 2.5", answers(amount=2.75), True),
        ("${rating} <= 2", answers(rating=3), False),
        ("selected(${topics}, 'budget')", answers(topics=("budget", "roads")), True),
        ("selected(${topics}, 'budget')", answers(topics=("roads",)), False),
        ("selected(${topics}, 'budget')", {}, False),
        ("selected(${one}, 'budget')", answers(one="budget"), True),
        ("${topics} = 'budget roads'", answers(topics=("budget", "roads")), True),
        ("not(${q} = 'yes')", answers(q="yes"), False),
        ("${q} = 'yes' and ${age} >= 18", answers(q="yes", age=20), True),
        ("${q} = 'yes' and ${age} >= 18", answers(q="yes", age=10), False),
        ("${q} = 'yes' or ${age} >= 18", answers(q="no", age=20), True),
        ("${name} > 3", answers(name="abc"), False),
    ],
)
def test_evaluate_follows_odk(text: str, given_answers: dict[str, Answer], expected: bool) -> None:
    assert evaluate(parse_condition(text), given_answers) is expected


def test_is_relevant_without_a_condition_is_always_true() -> None:
    label = Content({"en": "Q"})
    plain = Question(name="q", kind=QuestionKind.TEXT, label=label)
    conditional = Question(name="r", kind=QuestionKind.TEXT, label=label, relevant=AGE_18)
    assert is_relevant(plain, {})
    assert not is_relevant(conditional, {})
    assert is_relevant(conditional, answers(age=30))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (". >= 1 and . <= 10", (Bound(Subject.VALUE, Operator.GE, 1), Bound(Subject.VALUE, Operator.LE, 10))),
        ("string-length(.) <= 200", (Bound(Subject.LENGTH, Operator.LE, 200),)),
        ("count-selected( . ) < 4", (Bound(Subject.COUNT, Operator.LT, 4),)),
        (".>0.5", (Bound(Subject.VALUE, Operator.GT, 0.5),)),
    ],
)
def test_parse_bounds(text: str, expected: tuple[Bound, ...]) -> None:
    assert parse_bounds(text) == expected


@pytest.mark.parametrize(
    "text", ["regex(., '[0-9]+')", ". >= ${x}", ". >= 1 or . <= 0", "${a} > 1", "string-length(.)"]
)
def test_parse_bounds_refuses_anything_else(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_bounds(text)
