"""Callback data stays compact ASCII within Telegram's 64 bytes, and reading it never fails."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from channels.message import Content
from storage.models import Channel
from surveys.definition import Option, Question, QuestionKind
from surveys.prompts import Callback, parse_callback, question_message

LONGEST_ID = 10**12 - 1


def _question(kind: QuestionKind, options: int) -> Question:
    choices = tuple(
        Option(f"value-{n:02d}-xxxxxxxxxx", Content({"en": f"Option {n}"})) for n in range(options)
    )
    return Question(
        name="q" * 40, kind=kind, label=Content({"en": "?"}), choices=choices, prefer_not_to_answer=True,
        required=False,
    )  # fmt: skip


def test_the_largest_ids_still_fit_in_64_bytes() -> None:
    for kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        message = question_message(
            _question(kind, 99), response_id=LONGEST_ID, index=999, channel=Channel.TELEGRAM, progress=(1, 1)
        )
        assert message.choices
        for choice in message.choices:
            assert choice.data.isascii() and len(choice.data.encode()) <= 40
            assert parse_callback(choice.data) is not None


def test_what_buttons_carry_reads_back() -> None:
    assert parse_callback("sv:12:go") == Callback("sv", 12)
    assert parse_callback("sa:7:3:2") == Callback("sa", 7, 3, 2)
    assert parse_callback("sd:7:3") == Callback("sd", 7, 3)
    assert parse_callback("sk:7:4") == Callback("sk", 7, 4)


@given(st.text(max_size=80))
def test_any_data_is_read_without_raising(data: str) -> None:
    callback = parse_callback(data)
    assert callback is None or callback.kind in ("sv", "sa", "sm", "sd", "sk")
