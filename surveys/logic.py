"""Skip logic and answer bounds: the condition AST, its text form, and its evaluation.

One syntax serves the YAML format and the XLSForm import: the small subset of XLSForm expressions that
surveys really use (`${q} = 'yes'`, `${age} >= 18`, `selected(${topics}, 'budget')`, `and`/`or`/`not`).
Evaluation follows ODK's XPath rules, so a form behaves the same in the bot as in Kobo or ODK Collect:
an unanswered question compares as the empty string (`${q} != 'yes'` is true, `${age} >= 18` is false),
ordering comparisons are numeric, and a multiple-choice answer compares as its space-joined values.
The tokenizer is ours, not pyxform's internal lexer: that one splits `>=` into two tokens.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

from channels.i18n import render
from channels.message import Text

if TYPE_CHECKING:
    from surveys.definition import Answer, AnswerValue, Question

LiteralValue: TypeAlias = str | int | float


class Operator(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


ORDERING = frozenset({Operator.LT, Operator.LE, Operator.GT, Operator.GE})
_FLIPPED = dict(zip(Operator, ["=", "!=", ">", ">=", "<", "<="], strict=True))
_APPLY: dict[Operator, Callable[[float, float], bool]] = dict(
    zip(Operator, (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge), strict=True)
)


@dataclass(frozen=True)
class Comparison:
    """`${name} <op> literal`: an earlier answer compared with a constant."""

    name: str
    operator: Operator
    value: LiteralValue

    def names(self) -> frozenset[str]:
        return frozenset({self.name})


@dataclass(frozen=True)
class Selected:
    """`selected(${name}, 'value')`: the option was picked (single or multiple choice, yes/no)."""

    name: str
    value: str

    def names(self) -> frozenset[str]:
        return frozenset({self.name})


@dataclass(frozen=True)
class And:
    operands: tuple[Condition, ...]

    def names(self) -> frozenset[str]:
        return frozenset().union(*(operand.names() for operand in self.operands))


@dataclass(frozen=True)
class Or:
    operands: tuple[Condition, ...]

    def names(self) -> frozenset[str]:
        return frozenset().union(*(operand.names() for operand in self.operands))


@dataclass(frozen=True)
class Not:
    operand: Condition

    def names(self) -> frozenset[str]:
        return self.operand.names()


Condition: TypeAlias = Comparison | Selected | And | Or | Not


class Subject(StrEnum):
    """What an XLSForm constraint bounds: the answer itself, its length, or how many options it picks."""

    VALUE = "."
    LENGTH = "string-length(.)"
    COUNT = "count-selected(.)"


@dataclass(frozen=True)
class Bound:
    subject: Subject
    operator: Operator
    value: int | float


class ExpressionError(ValueError):
    """An expression outside the supported subset; `text` says what and where (1-based column) as catalog
    text for the reader's language, `str()` in English."""

    def __init__(self, text: Text) -> None:
        self.text = text
        super().__init__(render(text, "en"))


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{[^}]*\})
    | (?P<number>-?(?:\d+(?:\.\d+)?|\.\d+))(?![\w.])
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_:-]*)
    | (?P<dot>\.)
    )""",
    re.VERBOSE,
)
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_NUMERIC = re.compile(r"\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if not match or match.lastgroup is None:
            start = len(text) - len(text[pos:].lstrip())
            raise ExpressionError(
                Text.of("unexpected '{token}' at column {column}", token=text[start], column=start + 1)
            )
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self, text: str | None = None) -> _Token | None:
        token = self.tokens[self.pos] if self.pos < len(self.tokens) else None
        return token if token and (text is None or token.text == text) else None

    def take(self, kind: str, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            what = text or kind
            if token is None:
                raise ExpressionError(Text.of("expected {what} but the text ended", what=what))
            raise ExpressionError(
                Text.of(
                    "expected {what} but found '{token}' at column {column}",
                    what=what,
                    token=token.text,
                    column=token.column,
                )
            )
        self.pos += 1
        return token

    def finish(self) -> None:
        if token := self.peek():
            raise ExpressionError(
                Text.of("unexpected '{token}' at column {column}", token=token.text, column=token.column)
            )

    def ref(self) -> str:
        token = self.take("ref")
        if not (match := _REF.fullmatch(token.text)):
            raise ExpressionError(
                Text.of(
                    "'{token}' at column {column} is not a question reference",
                    token=token.text,
                    column=token.column,
                )
            )
        return match.group(1)

    def condition(self) -> Condition:
        operands = [self.conjunction()]
        while self.peek("or"):
            self.pos += 1
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def conjunction(self) -> Condition:
        operands = [self.unary()]
        while self.peek("and"):
            self.pos += 1
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def unary(self) -> Condition:
        token = self.peek()
        if token and token.text == "(":
            self.pos += 1
            inner = self.condition()
            self.take("punct", ")")
            return inner
        if token and token.kind == "word" and self.is_call():
            return self.call(token)
        return self.comparison()

    def is_call(self) -> bool:
        following = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
        return following is not None and following.text == "("

    def call(self, token: _Token) -> Condition:
        self.pos += 2
        if token.text == "not":
            inner = self.condition()
            self.take("punct", ")")
            return Not(inner)
        if token.text == "selected":
            name = self.ref()
            self.take("punct", ",")
            value = self.take("string").text[1:-1]
            self.take("punct", ")")
            return Selected(name, value)
        raise ExpressionError(_unsupported_function(token))

    def literal(self) -> LiteralValue:
        token = self.peek()
        if token and token.kind == "string":
            self.pos += 1
            return token.text[1:-1]
        number = self.take("number").text
        return float(number) if "." in number else int(number)

    def comparison(self) -> Comparison:
        token = self.peek()
        if token is None or token.kind not in {"ref", "number", "string"}:
            if token is None:
                raise ExpressionError(Text.of("expected a comparison but the text ended"))
            raise ExpressionError(
                Text.of(
                    "expected a comparison but found '{token}' at column {column}",
                    token=token.text,
                    column=token.column,
                )
            )
        if token.kind == "ref":
            name = self.ref()
            return Comparison(name, Operator(self.take("op").text), self.literal())
        value = self.literal()
        flipped = Operator(_FLIPPED[Operator(self.take("op").text)])
        return Comparison(self.ref(), flipped, value)

    def bound(self) -> Bound:
        token = self.peek()
        if token and token.kind == "dot":
            self.pos += 1
            subject = Subject.VALUE
        elif token and token.text in {"string-length", "count-selected"} and self.is_call():
            self.pos += 2
            self.take("dot")
            self.take("punct", ")")
            subject = Subject.LENGTH if token.text == "string-length" else Subject.COUNT
        elif token and token.kind == "word" and self.is_call():
            raise ExpressionError(_unsupported_function(token))
        elif token is None:
            raise ExpressionError(
                Text.of("expected '.', string-length(.) or count-selected(.) but the text ended")
            )
        else:
            raise ExpressionError(
                Text.of(
                    "expected '.', string-length(.) or count-selected(.) "
                    "but found '{token}' at column {column}",
                    token=token.text,
                    column=token.column,
                )
            )
        op_token = self.take("op")
        number = self.take("number").text
        return Bound(subject, Operator(op_token.text), float(number) if "." in number else int(number))


def parse_condition(text: str) -> Condition:
    """Parse skip logic; raise `ExpressionError` for anything outside the supported subset."""
    parser = _Parser(text)
    condition = parser.condition()
    parser.finish()
    return condition


def parse_bounds(text: str) -> tuple[Bound, ...]:
    """Parse an XLSForm constraint made of bounds joined by `and` (`. >= 1 and . <= 10`)."""
    parser = _Parser(text)
    bounds = [parser.bound()]
    while parser.peek("and"):
        parser.pos += 1
        bounds.append(parser.bound())
    parser.finish()
    return tuple(bounds)


def format_literal(value: LiteralValue) -> str:
    if isinstance(value, str):
        if "'" in value and '"' in value:
            raise ValueError(f"a text value cannot contain both kinds of quote: {value!r}")
        return f'"{value}"' if "'" in value else f"'{value}'"
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")  # positional: the tokenizer reads no exponents
    return text if "." in text else f"{text}.0"


def format_condition(condition: Condition) -> str:
    """The text form that `parse_condition` reads back to an equal condition."""
    if isinstance(condition, Comparison):
        return f"${{{condition.name}}} {condition.operator} {format_literal(condition.value)}"
    if isinstance(condition, Selected):
        return f"selected(${{{condition.name}}}, {format_literal(condition.value)})"
    if isinstance(condition, Not):
        return f"not({format_condition(condition.operand)})"
    if isinstance(condition, And):
        return " and ".join(
            f"({format_condition(o)})" if isinstance(o, Or) else format_condition(o)
            for o in condition.operands
        )
    return " or ".join(format_condition(o) for o in condition.operands)


def _as_text(value: AnswerValue) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return " ".join(value)
    return value if isinstance(value, str) else format_literal(value)


def _as_number(value: AnswerValue | LiteralValue) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = _as_text(value)
    return float(text) if _NUMERIC.fullmatch(text) else math.nan


def _compare(condition: Comparison, value: AnswerValue) -> bool:
    literal, op = condition.value, condition.operator
    if op not in ORDERING and isinstance(literal, str) and not isinstance(value, int | float):
        return (_as_text(value) == literal) == (op is Operator.EQ)
    left, right = _as_number(value), _as_number(literal)
    if math.isnan(left) or math.isnan(right):
        return op is Operator.NE
    return _APPLY[op](left, right)


def evaluate(condition: Condition, answers: Mapping[str, Answer]) -> bool:
    """Evaluate against the answers so far; a name missing from `answers` was not asked."""
    if isinstance(condition, Comparison):
        answer = answers.get(condition.name)
        return _compare(condition, answer.value if answer else None)
    if isinstance(condition, Selected):
        answer = answers.get(condition.name)
        value = answer.value if answer else None
        return condition.value in value if isinstance(value, tuple) else value == condition.value
    if isinstance(condition, Not):
        return not evaluate(condition.operand, answers)
    if isinstance(condition, And):
        return all(evaluate(operand, answers) for operand in condition.operands)
    return any(evaluate(operand, answers) for operand in condition.operands)


def is_relevant(question: Question, answers: Mapping[str, Answer]) -> bool:
    """Whether to ask `question` now, given the answers to the questions before it."""
    return question.relevant is None or evaluate(question.relevant, answers)


def _unsupported_function(token: _Token) -> Text:
    return Text.of(
        "function {name}() at column {column} is not supported", name=token.text, column=token.column
    )
