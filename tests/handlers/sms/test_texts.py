"""SMS wording: Telegram-only messages swapped, and a plain message joined to the question after it."""

from __future__ import annotations

from channels.message import Choice, Literal, Outgoing, Text
from contacts.privacy import PrivacyPolicy
from handlers.sms import texts

POLICY = PrivacyPolicy("2026-11", "dpo@example.ge")
QUESTION = Outgoing(parts=(Literal("Which?"),), choices=(Choice("mun:a", Literal("A")),))


def test_a_plain_message_joins_the_question_after_it() -> None:
    thanks = Outgoing(parts=(Literal("Thank you!"),))

    (joined,) = texts.combine([thanks, QUESTION])

    assert joined.parts == (Literal("Thank you!"), Literal("Which?"))
    assert joined.choices == QUESTION.choices


def test_choices_and_progress_keep_their_own_messages() -> None:
    survey_question = Outgoing(parts=(Literal("Q"),), choices=QUESTION.choices, progress=(1, 3))
    intro = Outgoing(parts=(Literal("A short poll"),))

    assert texts.combine([QUESTION, QUESTION]) == [QUESTION, QUESTION]
    assert texts.combine([intro, survey_question]) == [intro, survey_question]


def test_telegram_commands_are_never_sent_by_sms() -> None:
    stale = Outgoing.say("This button is no longer active.")
    polls = Outgoing.say("You are not filling in a survey. Send /polls to see the open surveys.")

    for message in (stale, polls):
        assert texts.adapt(message, "en", None, POLICY) == texts.say(texts.NOT_UNDERSTOOD)


def test_the_consent_question_becomes_the_short_notice_without_buttons() -> None:
    question = Outgoing(
        parts=(Text("long notice"),),
        choices=(Choice("cons:yes", Text("I agree")), Choice("cons:no", Text("No"))),
    )

    adapted = texts.adapt(question, "en", None, POLICY)

    assert adapted.choices == ()
    assert [part.msgid for part in adapted.parts if isinstance(part, Text)] == [
        texts.CONSENT_NOTICE,
        texts.CONSENT_PROMPT,
    ]
