"""Latin SMS mode: official romanizations that always come out as GSM-7."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.sms.segments import is_gsm7
from channels.sms.transliterate import saving, to_latin


@pytest.mark.parametrize(
    ("native", "latin"),
    [
        # the first eight are the worked examples published with the 2002 national system
        ("თბილისი", "tbilisi"),
        ("საქართველო", "sakartvelo"),
        ("მეღვინეთუხუცესი", "meghvinetukhutsesi"),
        ("ჭიანჭველა", "ch'ianch'vela"),
        ("ბაყაყი", "baq'aq'i"),
        ("ჩხალთის ქედი", "chkhaltis kedi"),
        ("აბჟააფთრა", "abzhaaptra"),
        ("ამბროლაურის მუნიციპალიტეტი", "ambrolauris munitsip'alit'et'i"),
        ("მარნეული", "marneuli"),
        ("ქართული", "kartuli"),
        ("ბათუმი", "batumi"),
        ("დმანისი", "dmanisi"),
        ("ჩოხატაური", "chokhat'auri"),
        ("წყალი", "ts'q'ali"),
        ("ჟურნალი", "zhurnali"),
        ("ᲛᲐᲠᲜᲔᲣᲚᲘ", "MARNEULI"),
        ("ᲭᲐᲭᲐ", "CH'ACH'A"),
    ],
)
def test_georgian_national_system_2002(native: str, latin: str) -> None:
    assert to_latin(native, "ka") == latin


@pytest.mark.parametrize(
    ("native", "latin"),
    [
        ("Հայաստան", "Hayastan"),
        ("Երևան", "Yerevan"),
        ("ԵՐԵՎԱՆ", "YEREVAN"),
        ("Մառնեուլի", "Marrneuli"),
        ("Բաթումի", "Bat'umi"),
        ("Դմանիսի", "Dmanisi"),
        ("Չոխատաուրի", "Ch'okhatauri"),
        ("այո", "ayo"),
        ("ոչ", "voch'"),
        ("Ով", "Ov"),
        ("հայերեն", "hayeren"),
        ("օգնություն", "ognut'yun"),
        ("Շնորհակալություն", "Shnorhakalut'yun"),
    ],
)
def test_armenian_bgn_pcgn_1981(native: str, latin: str) -> None:
    assert to_latin(native, "hy") == latin


@pytest.mark.parametrize(
    ("native", "latin"),
    [
        pytest.param("Կգա՞ք հանդիպմանը։", "Kgak' handipmany?", id="question-mark-to-sentence-end"),
        pytest.param("Այո՞", "Ayo?", id="question-without-full-stop"),
        pytest.param("Կգա՞ք\nԱյո", "Kgak'?\nAyo", id="question-ends-at-line-break"),
        pytest.param("Կգա՞ք 10.30-ին։", "Kgak' 10.30-in?", id="decimal-point-is-not-sentence-end"),
        pytest.param("Ի՜նչ լավ է։", "Inch' lav e!", id="exclamation-to-sentence-end"),
        pytest.param("Ո՛չ։ Այո։", "Voch'. Ayo.", id="emphasis-dropped-full-stops"),
        pytest.param("«Սակրեբուլո», բյուջե", '"Sakrebulo", byuje', id="guillemets"),
    ],
)
def test_armenian_punctuation(native: str, latin: str) -> None:
    assert to_latin(native, "hy") == latin


@pytest.mark.parametrize(
    ("native", "latin"),
    [
        ("Dmanisi bələdiyyəsi", "Dmanisi belediyyesi"),
        ("Marneuli bələdiyyəsi", "Marneuli belediyyesi"),
        ("İrəliləyiş", "Irelileyis"),
        ("ŞƏKİ", "SEKI"),
        ("Gələcəyəm", "Geleceyem"),
        ("ağ", "ag"),
        ("kömək", "kömek"),
        ("Gölün üzü ÖÜ", "Gölün üzü ÖÜ"),
        ("Çoxatauri, çay", "Çoxatauri, cay"),
        ("бәли", "beli"),
        ("Һәмчинин", "Hemcinin"),
    ],
)
def test_azerbaijani_keeps_only_gsm7_letters(native: str, latin: str) -> None:
    assert to_latin(native, "az") == latin


@pytest.mark.parametrize(
    ("native", "latin"),
    [
        ("Батуми", "Batumi"),
        ("Марнеули", "Marneuli"),
        ("Дманиси", "Dmanisi"),
        ("Чохатаури", "Chokhatauri"),
        ("Сакребуло", "Sakrebulo"),
        ("Мэрия", "Meriia"),
        ("Юрий", "Iurii"),
        ("Объект", "Obieekt"),
        ("Ёлка", "Elka"),
        ("Щука ЩУКА", "Shchuka SHCHUKA"),
        ("публичное обсуждение", "publichnoe obsuzhdenie"),
    ],
)
def test_russian_icao_9303(native: str, latin: str) -> None:
    assert to_latin(native, "ru") == latin


@pytest.mark.parametrize(
    ("text", "lang", "latin"),
    [
        pytest.param("City Hall: {50%} ~ €5", "en", "City Hall: {50%} ~ €5", id="gsm7-unchanged"),
        pytest.param("naïve “quotes” — Ñandú", "en", 'naive "quotes" - Ñandu', id="typography"),
        pytest.param("Hi 👋 there 👋", "en", "Hi there", id="emoji-removed-without-double-space"),
        pytest.param("ფასი: 5 ₾", "ka", "pasi: 5 GEL", id="lari-sign"),
        pytest.param("a\tb", "en", "a b", id="tab"),
        pytest.param("١٢ 你好", "en", "12", id="digits-kept-unknown-script-removed"),
        pytest.param("Марнеули — ბათუმი", "hy", "Marneuli - batumi", id="scripts-mixed"),
    ],
)
def test_everything_else_becomes_nearest_gsm7(text: str, lang: str, latin: str) -> None:
    assert to_latin(text, lang) == latin


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        to_latin("Hola", "es")


@pytest.mark.parametrize(
    ("text", "lang", "segments"),
    [
        pytest.param("მარნეული " * 10, "ka", (2, 1), id="ka-90-chars"),
        pytest.param("Մառնեուլի " * 10, "hy", (2, 1), id="hy-100-chars"),
        pytest.param("Марнеули " * 10, "ru", (2, 1), id="ru-90-chars"),
        pytest.param("Marneuli " * 10, "en", (1, 1), id="en-nothing-to-save"),
    ],
)
def test_saving_counts_both_forms(text: str, lang: str, segments: tuple[int, int]) -> None:
    assert saving(text, lang) == segments


@given(st.text(), st.sampled_from(["ka", "az", "hy", "ru", "en"]))
def test_output_is_always_gsm7(text: str, lang: str) -> None:
    assert is_gsm7(to_latin(text, lang))


_LETTERS = {
    "ka": "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ",
    "hy": "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆև",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыэюя",
    "az": "əışçğöüİƏIŞÇĞÖÜ",
}


@pytest.mark.parametrize(
    ("lang", "letter"), [(lang, ch) for lang, letters in _LETTERS.items() for ch in letters + letters.upper()]
)
def test_every_letter_of_our_languages_has_a_romanization(lang: str, letter: str) -> None:
    latin = to_latin(letter, lang)
    assert latin
    assert latin.isascii() or latin in "öüÇÖÜ"
