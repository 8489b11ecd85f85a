"""One table of typed words: every reader (consent, surveys, SMS keywords) accepts the same spellings."""

from __future__ import annotations

import pytest

from channels import vocabulary
from channels.message import Content
from channels.vocabulary import WORDS, Word, first_spelling, spellings, word_index, word_of
from surveys.answers import is_skip_word, parse_answer
from surveys.definition import Option, Question, QuestionKind


def _yes_no() -> Question:
    return Question(
        name="q",
        kind=QuestionKind.YES_NO,
        label=Content({"en": "Q?"}),
        choices=(Option("yes", Content({"en": "Yes"})), Option("no", Content({"en": "No"}))),
    )


@pytest.mark.parametrize("spelling", spellings(Word.YES))
def test_every_yes_spelling_answers_a_survey_yes(spelling: str) -> None:
    assert parse_answer(_yes_no(), spelling, "en").value == "yes"


@pytest.mark.parametrize("spelling", spellings(Word.NO))
def test_every_no_spelling_answers_a_survey_no(spelling: str) -> None:
    assert parse_answer(_yes_no(), spelling, "en").value == "no"


@pytest.mark.parametrize("spelling", ["diax", "kii", "vochk'", "DIAKH", "ᲐᲠᲐ", "Ո՛չ", "бәли"])
def test_the_words_consent_accepted_are_survey_answers_too(spelling: str) -> None:
    assert parse_answer(_yes_no(), spelling, "ka").value in ("yes", "no")


@pytest.mark.parametrize("spelling", spellings(Word.SKIP))
def test_every_skip_spelling_is_a_skip_word(spelling: str) -> None:
    assert is_skip_word(spelling)


def test_every_word_has_every_language() -> None:
    assert all(set(row) == {"en", "ka", "az", "hy", "ru"} for row in WORDS.values())


def test_no_two_words_share_a_key() -> None:
    assert len(word_index(Word)) == len({k for w in Word for k in word_index([w])})


def test_a_colliding_spelling_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {**WORDS, Word.NO: {**WORDS[Word.NO], "en": ("no", "Yes")}}
    monkeypatch.setattr(vocabulary, "WORDS", table)
    with pytest.raises(ValueError, match="both"):
        vocabulary.word_index([Word.YES, Word.NO])


def test_whole_message_only_and_limited_to_the_words_asked() -> None:
    assert word_of("stop the road works") is None
    assert word_of("Da!") is Word.YES
    assert word_of("da", among=(Word.NO,)) is None
    assert first_spelling(Word.SKIP, "az") == "ötür"
    assert first_spelling(Word.SKIP, "xx") == "skip"
