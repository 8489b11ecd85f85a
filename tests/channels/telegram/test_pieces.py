"""A reply too long for one Telegram message goes as several: every piece within the limit once escaped,
nothing lost or cut inside an entity, the buttons on the last piece, a message that fits untouched."""

from __future__ import annotations

import html

import pytest

from channels.i18n import render
from channels.message import Choice, Literal, Outgoing, Text
from channels.telegram.pieces import LIMIT, pieces, split_reply
from channels.telegram.render import render_telegram

BUTTON = Choice("adm:ap:1", Text("Approve"))


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("label", "parts"),
    [
        ("many short parts", [Literal(f"ნაბიჯი {n}: " + "წყალი & <შუქი> " * 20) for n in range(30)]),
        (
            "one long part with line breaks",
            [Literal("\n".join("Su <kəsintisi> & təmir" for _ in range(400)))],
        ),
        ("one long part without a break", [Literal("&" * 5000)]),
        ("one long word among spaces", [Literal(("ა" * 3000) + " " + ("ბ" * 3000))]),
        ("a long part between two short", [Text("Approve"), Literal("x <y> " * 2000), Literal("end")]),
    ],
)
def test_every_piece_fits_and_nothing_is_lost(label: str, parts: list[Text | Literal]) -> None:
    message = Outgoing(parts=tuple(parts), choices=(BUTTON,))
    split = pieces(message, "en")
    rendered = [render_telegram(piece, "en") for piece in split]
    assert len(split) > 1, label
    assert all(_units(r.text) <= LIMIT for r in rendered), label
    assert all(
        "&" not in r.text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "") for r in rendered
    )
    assert [bool(r.reply_markup) for r in rendered] == [False] * (len(split) - 1) + [True], label
    whole = "".join(render(part, "en") for part in parts)
    kept = "".join(html.unescape(r.text) for r in rendered)
    assert sorted(kept.replace("\n", "").replace(" ", "")) == sorted(whole.replace("\n", "").replace(" ", ""))


def test_a_message_that_fits_is_sent_as_it_is() -> None:
    message = Outgoing(parts=(Literal("short & sweet"),), choices=(BUTTON,), edit=True)
    assert split_reply([message, message], "en") == [message, message]
