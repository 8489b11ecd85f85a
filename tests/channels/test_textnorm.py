"""Reply normalization: what people type on basic phones in five languages reduces to one form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.textnorm import latin_key, normalize_reply


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("  STOP!! ", "stop", id="caps-and-punctuation"),
        pytest.param("Stop.\n", "stop", id="trailing-newline"),
        pytest.param("yes   i   do", "yes i do", id="inner-whitespace-collapses"),
        pytest.param("\u00a0stop\u2003", "stop", id="unicode-spaces"),
        pytest.param("\u200bstop\u00ad", "stop", id="invisible-format-characters"),
        pytest.param("1️⃣", "1", id="keycap-emoji"),
        pytest.param("stop 👍🏻", "stop", id="trailing-emoji-with-skin-tone"),
        pytest.param("+", "+", id="plus-kept-as-yes"),
        pytest.param("ﬁne", "fine", id="nfkc-ligature"),
    ],
)
def test_normalize_reply_trims_and_collapses(raw: str, expected: str) -> None:
    assert normalize_reply(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("١٢٣", "123", id="arabic-indic"),
        pytest.param("۴۵", "45", id="persian"),
        pytest.param("１２", "12", id="fullwidth"),
        pytest.param("१२", "12", id="devanagari"),
        pytest.param("൩", "3", id="malayalam"),
        pytest.param("②", "2", id="circled"),
    ],
)
def test_normalize_reply_makes_every_decimal_digit_ascii(raw: str, expected: str) -> None:
    assert normalize_reply(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Bəli", "beli", id="schwa"),
        pytest.param("BƏLİ", "beli", id="capital-schwa-dotted-i"),
        pytest.param("DAYANDIR", "dayandir", id="capital-dotless-i-source"),
        pytest.param("dayandır", "dayandir", id="dotless-i"),
        pytest.param("İstifadə", "istifade", id="capital-dotted-i-not-i-plus-dot"),
        pytest.param("başla", "basla", id="s-cedilla"),
        pytest.param("Çoxatauri", "coxatauri", id="c-cedilla"),
        pytest.param("bağışla", "bagisla", id="g-breve"),
        pytest.param("kömək", "komek", id="o-umlaut"),
        pytest.param("Üzv", "uzv", id="u-umlaut"),
        pytest.param("bäli", "beli", id="a-umlaut-stand-in-for-schwa"),
        pytest.param("café", "cafe", id="other-latin-diacritics"),
        pytest.param("cafe\u0301", "cafe", id="decomposed-combining-mark"),
    ],
)
def test_normalize_reply_folds_latin_letters(raw: str, expected: str) -> None:
    assert normalize_reply(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ᲡᲢᲝᲞ", "სტოპ", id="mtavruli-to-mkhedruli"),
        pytest.param("კი", "კი", id="georgian-untouched"),
        pytest.param("«Այո՞»", "այո", id="armenian-quotes-and-question-mark"),
        pytest.param("Ո՛չ", "ոչ", id="armenian-emphasis-inside-word"),
        pytest.param("Կգա՞ք հանդիպմանը։", "կգաք հանդիպմանը", id="armenian-full-stop"),
        pytest.param("ԼԵԶՈՒ", "լեզու", id="armenian-capitals"),
        pytest.param("БӘЛИ", "бәли", id="cyrillic-kept-lowercased"),
        pytest.param("Й", "й", id="cyrillic-short-i-keeps-its-breve"),
        pytest.param("Ёлка", "ёлка", id="cyrillic-yo-keeps-its-diaeresis"),
    ],
)
def test_normalize_reply_keeps_non_latin_scripts(raw: str, expected: str) -> None:
    assert normalize_reply(raw) == expected


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        pytest.param(["კი", "ki", "KI", "k'i"], "ki", id="ka-yes"),
        pytest.param(["დიახ", "diakh"], "diakh", id="ka-yes-formal"),
        pytest.param(["არა", "ara", "ARA"], "ara", id="ka-no"),
        pytest.param(["ᲡᲢᲝᲞ", "სტოპ", "stop"], "stop", id="ka-stop-mtavruli"),
        pytest.param(["შეწყვეტა", "shets'q'veta"], "shetsqveta", id="ka-ejectives-drop-apostrophe"),
        pytest.param(["bəli", "beli", "BƏLİ", "бәли", "БӘЛИ", "бели", "bäli"], "beli", id="az-yes"),
        pytest.param(["hə", "һә", "he"], "he", id="az-yes-colloquial"),
        pytest.param(["xeyr", "хејр"], "xeyr", id="az-no-cyrillic"),
        pytest.param(["yox", "јох"], "yox", id="az-no-short"),
        pytest.param(["dayandır", "DAYANDIR", "дајандыр"], "dayandir", id="az-stop"),
        pytest.param(["այո", "Այո՞", "ayo"], "ayo", id="hy-yes"),
        pytest.param(["ոչ", "Ո՛չ", "voch"], "voch", id="hy-no-initial-vo"),
        pytest.param(["չէ", "che"], "che", id="hy-no-colloquial"),
        pytest.param(["օգնություն", "ognutyun"], "ognutyun", id="hy-help-u-digraph"),
        pytest.param(["Երևան", "Yerevan"], "yerevan", id="hy-initial-ye-and-ev-ligature"),
        pytest.param(["да", "ДА", "da"], "da", id="ru-yes"),
        pytest.param(["нет", "net"], "net", id="ru-no"),
        pytest.param(["отписаться", "otpisatsya"], "otpisatsya", id="ru-soft-sign-dropped"),
        pytest.param(["язык", "yazyk"], "yazyk", id="ru-ya"),
        pytest.param(["stop-all", "stop all", "STOP  ALL"], "stop all", id="dash-is-a-space"),
    ],
)
def test_latin_key_native_and_latin_spellings_meet(spellings: list[str], key: str) -> None:
    assert [latin_key(s) for s in spellings] == [key] * len(spellings)


@pytest.mark.parametrize(
    ("word", "key"),
    [
        pytest.param("բերել", "berel", id="ye-after-consonant-is-e"),
        pytest.param("եկեղեցի", "yekeghetsi", id="ye-initial"),
        pytest.param("հայերեն", "hayeren", id="ye-after-vowel"),
        pytest.param("ով", "ov", id="ov-exception"),
        pytest.param("ուր", "ur", id="initial-u-digraph-is-not-vo"),
        pytest.param("Մառնեուլի", "marneuli", id="rr-keyed-as-typed"),
    ],
)
def test_latin_key_armenian_context_rules(word: str, key: str) -> None:
    assert latin_key(word) == key


def test_latin_key_leaves_other_scripts_distinct() -> None:
    assert latin_key("你好") == "你好"
    assert latin_key("你好") != latin_key("再见")


@given(st.text())
def test_normalize_reply_is_idempotent(text: str) -> None:
    once = normalize_reply(text)
    assert normalize_reply(once) == once


@given(st.text())
def test_latin_key_is_idempotent(text: str) -> None:
    once = latin_key(text)
    assert latin_key(once) == once


@given(st.text())
def test_normalized_text_has_no_edge_space_or_double_space(text: str) -> None:
    result = normalize_reply(text)
    assert result == result.strip()
    assert "  " not in result


@given(st.text(alphabet=st.characters(categories=["Nd"])))
def test_any_decimal_digit_string_becomes_ascii_digits(text: str) -> None:
    result = normalize_reply(text)
    assert result.isascii()
    assert result == "".join(str(int(ch)) for ch in text)


_GEORGIAN = "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ"
_ARMENIAN = "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆ"
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғҝһөүҹј"


@given(st.text(alphabet=_GEORGIAN + _ARMENIAN + _CYRILLIC + " "))
def test_latin_key_of_the_three_scripts_is_ascii(text: str) -> None:
    assert latin_key(text).isascii()
