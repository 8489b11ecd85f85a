"""An outbox payload brings back exactly the message that was queued, through real JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from channels.i18n import render
from channels.message import Choice, Content, Joined, LinkButton, Literal, Outgoing, Text, Urgency
from channels.payload import dump_outgoing, load_outgoing
from channels.telegram.render import render_telegram

HEARING = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)

MESSAGES: list[tuple[str, Outgoing]] = [
    ("plain text", Outgoing.say("Thank you.")),
    (
        "params of every scalar kind",
        Outgoing(
            parts=(
                Text.of(
                    "{name}: {count} answers, {share} share, {open}, {none}",
                    name="Batumi",
                    count=12,
                    share=0.25,
                    open=True,
                    none=None,
                ),
            )
        ),
    ),
    (
        "an aware datetime outside UTC",
        Outgoing(
            parts=(
                Text.of(
                    "The hearing starts at {when}.",
                    when=HEARING.astimezone(timezone(timedelta(hours=4))),
                ),
            )
        ),
    ),
    ("a date", Outgoing(parts=(Text.of("Answers until {day}.", day=date(2027, 1, 31)),))),
    ("plural", Outgoing(parts=(Text.plural_of("{n} question", "{n} questions", 5),))),
    (
        "nested renderables as params",
        Outgoing(
            parts=(
                Text.of(
                    "{controller} answers: {contact}",
                    controller=Content(
                        {"ka": "ბათუმის მუნიციპალიტეტი", "en": "Batumi City Municipality"}, fallback="en"
                    ),
                    contact=Text("the municipality's data protection officer"),
                ),
            )
        ),
    ),
    (
        "content, literal and joined parts",
        Outgoing(
            parts=(
                Content({"ka": "საჯარო განხილვა", "az": "İctimai dinləmə"}, fallback=None),
                Literal("<b>not markup</b> & kept"),
                Joined(
                    (Literal("a"), Text("Thank you."), Joined((Literal("x"), Literal("y")), sep="/")),
                    sep=" | ",
                ),
            )
        ),
    ),
    (
        "choices, links, progress, layout, urgency",
        Outgoing(
            parts=(Text("Will you come?"),),
            choices=(Choice("rsvp:7:yes", Text("Yes"), selected=True), Choice("rsvp:7:no", Literal("No"))),
            links=(LinkButton(Text("Read the notice"), "https://batumi.gov.ge/hearing/7"),),
            progress=(2, 5),
            columns=2,
            urgency=Urgency.URGENT,
        ),
    ),
    ("edit flag", Outgoing(parts=(Literal("x"),), edit=True)),
]


@pytest.mark.parametrize(("label", "message"), MESSAGES, ids=[label for label, _ in MESSAGES])
def test_round_trip_through_json(label: str, message: Outgoing) -> None:
    stored = json.loads(json.dumps(dump_outgoing(message)))
    assert load_outgoing(stored) == message


def test_datetime_param_renders_the_same_after_storage() -> None:
    message = Outgoing(parts=(Text.of("The hearing starts at {when}.", when=HEARING),))
    restored = load_outgoing(json.loads(json.dumps(dump_outgoing(message))))
    for lang in ("ka", "az", "hy", "ru", "en"):
        assert render_telegram(restored, lang) == render_telegram(message, lang)
        assert render(restored.parts[0], lang) == render(message.parts[0], lang)


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("naive datetime", datetime(2026, 12, 3, 15, 30)),
        ("a set", {1, 2}),
        ("an arbitrary object", object()),
    ],
)
def test_values_that_would_not_come_back_are_refused_at_enqueue(label: str, value: Any) -> None:
    with pytest.raises(TypeError):
        dump_outgoing(Outgoing(parts=(Text.of("{x}", x=value),)))


@pytest.mark.parametrize(
    "payload",
    [{"v": 99, "parts": []}, {"parts": []}, {"v": 1, "parts": [{"$": "image"}]}],
    ids=["future version", "no version", "unknown part kind"],
)
def test_unknown_payloads_are_rejected(payload: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        load_outgoing(payload)
