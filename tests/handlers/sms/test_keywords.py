"""Inbound SMS keywords: whole-message matching in five languages, three scripts and any casing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.sms.keywords import STOP_WORDS, Keyword, _index, match_keyword

STOP, START, HELP, LANGUAGE, YES, NO = (
    Keyword.STOP,
    Keyword.START,
    Keyword.HELP,
    Keyword.LANGUAGE,
    Keyword.YES,
    Keyword.NO,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # en: Twilio's opt-out set and the rest
        ("STOP", STOP), ("stopall", STOP), ("Stop all", STOP), ("unsubscribe", STOP), ("End", STOP),
        ("quit", STOP), ("cancel", STOP), ("OPTOUT", STOP), ("revoke", STOP),
        ("start", START), ("JOIN", START), ("unstop", START),
        ("help", HELP), ("INFO", HELP), ("lang", LANGUAGE), ("Language", LANGUAGE),
        ("yes", YES), ("Y", YES), ("no", NO), ("N", NO),
        # ka: Mkhedruli, Mtavruli capitals, Latin with and without ejective apostrophes
        ("სტოპ", STOP), ("ᲡᲢᲝᲞ", STOP), ("გააჩერეთ", STOP), ("gaacheret", STOP), ("შეწყვეტა", STOP),
        ("shets'q'veta", STOP), ("shetsqveta", STOP), ("დაწყება", START), ("datsqeba", START),
        ("დახმარება", HELP), ("dakhmareba", HELP), ("daxmareba", HELP), ("ენა", LANGUAGE), ("ENA", LANGUAGE),
        ("კი", YES), ("ki", YES), ("kii", YES), ("დიახ", YES), ("DIAKH", YES), ("diax", YES),
        ("არა", NO), ("ᲐᲠᲐ", NO), ("ara", NO),
        # az: Latin with and without letters, dotted/dotless capitals, Cyrillic
        ("dayan", STOP), ("dayandır", STOP), ("DAYANDIR", STOP), ("dayandir", STOP), ("дајандыр", STOP),
        ("başla", START), ("BAŞLA", START), ("basla", START), ("bashla", START), ("башла", START),
        ("kömək", HELP), ("KÖMƏK", HELP), ("komek", HELP), ("DİL", LANGUAGE), ("dil", LANGUAGE),
        ("Bəli", YES), ("BƏLİ", YES), ("BELI", YES), ("бәли", YES), ("БӘЛИ", YES), ("bäli", YES),
        ("hə", YES), ("HƏ", YES), ("he", YES), ("ha", YES),
        ("xeyr", NO), ("Xeyr", NO), ("yox", NO), ("YOX", NO), ("јох", NO),
        # hy: Armenian capitals, prosody marks on the vowel, Latin
        ("ստոպ", STOP), ("ՍՏՈՊ", STOP), ("դադարեցնել", STOP), ("dadaretsnel", STOP),
        ("սկսել", START), ("sksel", START), ("օգնություն", HELP), ("ognutyun", HELP),
        ("ԼԵԶՈՒ", LANGUAGE), ("lezu", LANGUAGE),
        ("այո", YES), ("Այո՞", YES), ("«Այո»", YES), ("ayo", YES), ("հա", YES),
        ("ոչ", NO), ("Ո՛չ", NO), ("ՈՉ", NO), ("voch", NO), ("voch'", NO), ("vochk'", NO),
        ("չէ", NO), ("che", NO),
        # ru
        ("стоп", STOP), ("СТОП", STOP), ("стоп все", STOP), ("отписаться", STOP), ("otpisatsya", STOP),
        ("старт", START), ("начать", START), ("помощь", HELP), ("pomosh", HELP), ("pomoshch", HELP),
        ("ЯЗЫК", LANGUAGE), ("yazyk", LANGUAGE), ("да", YES), ("Да!", YES), ("da", YES),
        ("нет", NO), ("НЕТ.", NO), ("net", NO),
    ],
)  # fmt: skip
def test_keyword_in_every_language_and_script(text: str, expected: Keyword) -> None:
    assert match_keyword(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "STOP!",
        "  Stop. ",
        "stop\n",
        "«STOP»",
        "¡Stop!",
        "stop 🛑",
        "STOP!!!",
        "(stop)",
        "sto\u0301p",
        "ｓｔｏｐ",
    ],
)
def test_case_punctuation_and_width_variations(text: str) -> None:
    assert match_keyword(text) is STOP


@pytest.mark.parametrize(
    "text",
    [
        "stop the road works",
        "please stop",
        "stopping",
        "yes please",
        "კი, მოვალ",
        "yesterday",
        "nobody",
        "danet",
        "info@marneuli.gov.ge",
        "s t o p",
        "",
        "   ",
        "1",
        "2",
    ],
)
def test_anything_but_the_whole_word_is_not_a_keyword(text: str) -> None:
    assert match_keyword(text) is None


def test_a_spelling_claimed_by_two_keywords_is_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        _index({YES: {"az": ("hə",)}, NO: {"az": ("HƏ",)}})


@given(st.text())
def test_never_crashes(text: str) -> None:
    assert match_keyword(text) in (None, *Keyword)


_STOP_SPELLINGS = sorted({word for words in STOP_WORDS.values() for word in words})
_NOISE = st.text(
    alphabet=st.one_of(
        st.characters(categories=["Po", "Ps", "Pe", "Pi", "Pf", "Pd", "Pc", "Zs"]),
        st.sampled_from("\n\t\r ։՞«»"),
    ),
)


@given(st.sampled_from(_STOP_SPELLINGS), st.data(), _NOISE, _NOISE)
def test_any_stop_word_with_noise_and_casing_is_stop(
    word: str, data: st.DataObject, before: str, after: str
) -> None:
    uppers = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    cased = "".join(ch.upper() if up else ch for ch, up in zip(word, uppers, strict=True))
    assert match_keyword(before + cased + after) is STOP


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DATA", Keyword.DATA), ("my data", Keyword.DATA), ("მონაცემები", Keyword.DATA), ("monatsemebi", Keyword.DATA),
        ("Məlumatlarım", Keyword.DATA), ("melumatlarim", Keyword.DATA), ("տվյալներ", Keyword.DATA),
        ("данные", Keyword.DATA), ("мои данные", Keyword.DATA),
        ("DELETE", Keyword.DELETE), ("წაშლა", Keyword.DELETE), ("tsashla", Keyword.DELETE), ("SİL", Keyword.DELETE),
        ("ջնջել", Keyword.DELETE), ("удалить", Keyword.DELETE), ("udalit", Keyword.DELETE),
        ("withdraw", Keyword.WITHDRAW), ("გამოხმობა", Keyword.WITHDRAW), ("geri çək", Keyword.WITHDRAW),
        ("հետ կանչել", Keyword.WITHDRAW), ("ОТОЗВАТЬ", Keyword.WITHDRAW),
        ("ინფო", Keyword.HELP), ("инфо", Keyword.HELP),
        ("delete my account please", None), ("данные о бюджете", None),
    ],
)  # fmt: skip
def test_the_rights_keywords_in_every_language(text: str, expected: Keyword | None) -> None:
    assert match_keyword(text) is expected
