"""Outgoing -> SMS text, and typed numbers -> the choice shown with that number (never one not offered)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.i18n import LANGUAGES, t
from channels.message import Choice, Content, LinkButton, Literal, Outgoing, Text
from channels.sms.render import choice_lines, number_range, pick_choice, pick_choices, render_sms
from channels.sms.segments import SmsEncoding, count_segments

PLACES = (
    Choice("mun:batumi", Content({"en": "Batumi", "ka": "ბათუმი"}, fallback="en")),
    Choice("mun:chokhatauri", Content({"en": "Chokhatauri", "ka": "ჩოხატაური"}, fallback="en")),
    Choice("mun:dmanisi", Content({"en": "Dmanisi", "ka": "დმანისი"}, fallback="en")),
    Choice("mun:marneuli", Content({"en": "Marneuli", "ka": "მარნეული"}, fallback="en")),
)


def test_choices_are_numbered_one_per_line_with_a_reply_hint() -> None:
    message = Outgoing(parts=(Literal("Where do you live?"),), choices=PLACES)

    assert render_sms(message, "en") == (
        "Where do you live?\n1 Batumi\n2 Chokhatauri\n3 Dmanisi\n4 Marneuli\nReply 1-4"
    )


def test_labels_and_hint_are_rendered_in_the_readers_language() -> None:
    body = render_sms(Outgoing(parts=(), choices=PLACES[:2]), "ka")

    assert body.splitlines() == ["1 ბათუმი", "2 ჩოხატაური", t("ka", "Reply {numbers}", numbers="1-2")]


def test_progress_leads_the_first_part_and_links_follow_as_urls() -> None:
    """A survey question (it has progress) says how to reply itself: no second hint."""
    message = Outgoing(
        parts=(Literal("Which project first?"), Literal("One answer.")),
        choices=(Choice("sa:1:0:1", Literal("Roads")),),
        links=(LinkButton(Literal("Budget"), "https://marneuli.gov.ge/budget"),),
        progress=(2, 5),
    )

    assert render_sms(message, "en").splitlines() == [
        "2/5 Which project first?",
        "One answer.",
        "1 Roads",
        "Budget: https://marneuli.gov.ge/budget",
    ]


def test_a_selected_choice_is_marked_without_leaving_gsm7() -> None:
    message = Outgoing(
        parts=(Literal("Topics"),), choices=(Choice("top:a", Literal("Roads"), selected=True),)
    )

    body = render_sms(message, "en")

    assert "1 Roads *" in body
    assert count_segments(body).encoding is SmsEncoding.GSM7


def test_latin_mode_romanizes_the_whole_message_into_gsm7() -> None:
    message = Outgoing(parts=(Literal("საჯარო განხილვა ხვალ"),), choices=PLACES[3:])

    native, latin = render_sms(message, "ka"), render_sms(message, "ka", latin=True)

    assert count_segments(native).encoding is SmsEncoding.UCS2
    assert latin.startswith("sajaro gankhilva khval\n1 marneuli\n")
    assert count_segments(latin).encoding is SmsEncoding.GSM7


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_renders_a_hint(lang: str) -> None:
    body = render_sms(Outgoing(parts=(Text("Which municipality do you live in?"),), choices=PLACES), lang)

    assert body.splitlines()[-1] == t(lang, "Reply {numbers}", numbers="1-4")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("2", "mun:chokhatauri", id="plain"),
        pytest.param(" 4. ", "mun:marneuli", id="punctuation"),
        pytest.param("#1", "mun:batumi", id="hash"),
        pytest.param("３", "mun:dmanisi", id="fullwidth-digit"),
        pytest.param("٢", "mun:chokhatauri", id="arabic-indic-digit"),
        pytest.param("1️⃣", "mun:batumi", id="keycap-emoji"),
        pytest.param("0", None, id="zero"),
        pytest.param("5", None, id="past-the-last"),
        pytest.param("02", "mun:chokhatauri", id="leading-zero"),
        pytest.param("1 2", None, id="two-numbers"),
        pytest.param("Batumi", None, id="a-word"),
        pytest.param("", None, id="empty"),
        pytest.param("-1", None, id="negative"),
    ],
)
def test_pick_choice(typed: str, expected: str | None) -> None:
    assert pick_choice(typed, [c.data for c in PLACES]) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("1 3", ["mun:batumi", "mun:dmanisi"], id="space"),
        pytest.param("3,1", ["mun:dmanisi", "mun:batumi"], id="comma-keeps-order"),
        pytest.param("2; 2", ["mun:chokhatauri"], id="repeated-once"),
        pytest.param("1 9", None, id="one-not-offered"),
        pytest.param("1-3", None, id="no-ranges"),
        pytest.param("   ", None, id="blank"),
    ],
)
def test_pick_choices(typed: str, expected: list[str] | None) -> None:
    assert pick_choices(typed, [c.data for c in PLACES]) == expected


def test_number_range() -> None:
    assert [number_range(n) for n in (1, 2, 12)] == ["1", "1-2", "1-12"]
    with pytest.raises(ValueError):
        number_range(0)


# -- properties ---------------------------------------------------------------------------------------

choice_data = st.text(alphabet=string.ascii_lowercase + string.digits + ":", min_size=1, max_size=20)
offered_lists = st.lists(choice_data, min_size=0, max_size=25, unique=True)


@given(offered=offered_lists, typed=st.text(max_size=12))
def test_a_typed_reply_never_maps_to_anything_not_offered(offered: list[str], typed: str) -> None:
    picked = pick_choice(typed, offered)
    assert picked is None or picked in offered
    several = pick_choices(typed, offered)
    assert several is None or (several and set(several) <= set(offered) and len(set(several)) == len(several))


@given(offered=offered_lists.filter(bool), data=st.data())
def test_the_number_shown_is_the_choice_read_back(offered: list[str], data: st.DataObject) -> None:
    choices = [Choice(item, Literal(f"option {i}")) for i, item in enumerate(offered)]
    lines = choice_lines(choices, "en")
    line = data.draw(st.sampled_from(lines))
    number = line.split(" ", 1)[0]
    assert pick_choice(number, offered) == choices[lines.index(line)].data
    body = render_sms(Outgoing(parts=(Literal("Q"),), choices=tuple(choices)), "en")
    assert body.splitlines()[1 : 1 + len(lines)] == lines


@given(offered=offered_lists, number=st.integers(min_value=-5, max_value=40))
def test_numbers_outside_the_list_are_refused(offered: list[str], number: int) -> None:
    expected = offered[number - 1] if 1 <= number <= len(offered) else None
    assert pick_choice(str(number), offered) == expected
