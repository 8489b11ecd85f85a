"""The five catalogs are complete, consistent with their source and with CLDR, and typographically right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from channels.i18n import LANGUAGES, gettext_for, locales_dir

PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _catalog(lang: str) -> Catalog:
    path = locales_dir() / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def _strings(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


def _messages(lang: str) -> list[Message]:
    return [m for m in _catalog(lang) if m.id]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_and_not_fuzzy(lang: str) -> None:
    bad = [m.id for m in _messages(lang) if m.fuzzy or not all(_strings(m))]
    assert bad == [], f"{lang}: {len(bad)} untranslated or fuzzy, e.g. {bad[:3]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_the_source(lang: str) -> None:
    wrong = []
    for message in _messages(lang):
        expected = set(PLACEHOLDER.findall(" ".join(_ids(message))))
        for string in _strings(message):
            if string and set(PLACEHOLDER.findall(string)) != expected:
                wrong.append((message.id, string))
    assert wrong == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_header_agrees_with_cldr(lang: str) -> None:
    catalog = _catalog(lang)
    cldr_forms = len(Locale.parse(lang).plural_form.tags) + 1
    assert catalog.num_plurals == cldr_forms, f"{lang}: header says {catalog.num_plurals}, CLDR {cldr_forms}"
    for message in _messages(lang):
        if message.pluralizable:
            assert len(_strings(message)) == cldr_forms


@pytest.mark.parametrize("lang", ["ka", "az", "hy", "ru"])
def test_no_english_left_behind(lang: str) -> None:
    """A translation identical to a sentence-length English msgid was not translated."""
    same = [
        m.id
        for m in _messages(lang)
        if any(s == m.id for s in _strings(m)) and re.search(r"[a-z]{3} [a-z]{3}", str(m.id))
    ]
    assert same == []


def test_azerbaijani_uses_schwa_not_look_alikes() -> None:
    wrong = [s for m in _messages("az") for s in _strings(m) if re.search("[äÄәӘ]|[\u0400-\u04ff]", s)]
    assert wrong == []


def test_armenian_punctuation() -> None:
    """Armenian ends sentences with ։ and marks questions with ՞ on the word, never ASCII ? or a colon."""
    wrong = [
        s
        for m in _messages("hy")
        for s in _strings(m)
        if "?" in PLACEHOLDER.sub("", s) or re.search(r"[\u0530-\u058f]:(\s|$)", s)
    ]
    assert wrong == []


def test_georgian_is_never_uppercased() -> None:
    """Mtavruli capitals appear only when something called upper() on Georgian text."""
    wrong = [s for m in _messages("ka") for s in _strings(m) if re.search("[\u1c90-\u1cbf]", s)]
    assert wrong == []


def test_rendering_uses_the_catalog() -> None:
    assert gettext_for("en", "Please choose your language.") == "Please choose your language."
    translated = {lang: gettext_for(lang, "Please choose your language.") for lang in LANGUAGES}
    assert len(set(translated.values())) == len(LANGUAGES)


def test_catalog_files_exist_for_every_language() -> None:
    for lang in LANGUAGES:
        assert (Path(locales_dir()) / lang / "LC_MESSAGES" / "messages.po").is_file()
