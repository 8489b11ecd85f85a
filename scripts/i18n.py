"""Extract every interface string and update the five catalogs in one step: `make i18n`.

1. extract `_`-style keywords used in this code base (Text, Text.of, Outgoing.say, N_, t) into messages.pot;
2. create missing catalogs and merge the template into existing ones (new strings arrive untranslated,
   changed ones fuzzy, so the catalog test fails until a translator has looked at them);
3. set Plural-Forms from CLDR (Babel 2.18's init writes nplurals=1 for ka and hy; CLDR has two forms);
4. English is the source language: its catalog mirrors the msgids.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po, write_po
from babel.plural import to_gettext

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "bot" / "locales"
POT = LOCALES / "messages.pot"
LANGUAGES = ("ka", "az", "hy", "ru", "en")
SOURCES = [
    "bot",
    "handlers",
    "web",
    "channels",
    "campaigns",
    "surveys",
    "hearings",
    "benchmarking",
    "contacts",
]
KEYWORDS = [
    "N_",
    "Text",
    "Text.of",
    "of",
    "say",
    "Outgoing.say",
    "t:2",
    "plural_of:1,2",
    "Text.plural_of:1,2",
]


def cldr_plural_forms(lang: str) -> str:
    """The gettext header for CLDR's plural categories of `lang` (ka and hy: two; ru: four)."""
    return to_gettext(Locale.parse(lang).plural_form)


def cldr_plural_count(lang: str) -> int:
    return len(Locale.parse(lang).plural_form.tags) + 1  # CLDR lists every category but "other"


def main() -> int:
    pybabel = [sys.executable, "-m", "babel.messages.frontend"]
    extract = [
        *pybabel,
        "extract",
        "--no-location",
        "--sort-output",
        "-F",
        str(ROOT / "babel.cfg"),
        "--project=civicbot",
        "--copyright-holder=civicbot",
        "-o",
        str(POT),
    ]
    for keyword in KEYWORDS:
        extract += ["-k", keyword]
    subprocess.run([*extract, *[str(ROOT / s) for s in SOURCES]], check=True, cwd=ROOT)
    for lang in LANGUAGES:
        po = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        action = "update" if po.exists() else "init"
        subprocess.run(
            [
                *pybabel,
                action,
                "-i",
                str(POT),
                "-d",
                str(LOCALES),
                "-l",
                lang,
                *(["--no-fuzzy-matching", "--ignore-obsolete"] if action == "update" else []),
            ],
            check=True,
            cwd=ROOT,
        )
        fix_catalog(po, lang)
    return 0


def fix_catalog(po: Path, lang: str) -> None:
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    header = cldr_plural_forms(lang)
    catalog._num_plurals = cldr_plural_count(lang)
    catalog._plural_expr = header.split("plural=", 1)[1].rstrip(";")
    if lang == "en":
        for message in catalog:
            if not message.id:
                continue
            message.string = message.id if isinstance(message.id, str) else tuple(message.id)
            message.flags.discard("fuzzy")
    with po.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, no_location=True)


if __name__ == "__main__":
    raise SystemExit(main())
