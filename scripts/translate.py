"""Fill catalog entries from a translations file, after `make i18n` has extracted and merged: one step.

    python scripts/translate.py path/to/translations.yaml [--no-extract]

The file maps an English msgid to its translations, one key per language (`en` is never needed: the
English catalog mirrors the msgids). A plural entry is keyed by its singular msgid and gives a list per
language, in the catalog's plural order:

    "Campaign {id} was approved.":
      ka: "კამპანია {id} დამტკიცდა."
      az: "{id} nömrəli kampaniya təsdiqləndi."
      hy: "Արշավ {id}-ը հաստատվեց։"
      ru: "Кампания {id} утверждена."
    "{n} person":
      ka: ["{n} ადამიანი", "{n} ადამიანი"]
      ...

Existing translations are replaced by the file's (this is how a reviewer's corrections are applied). The
catalogs are rewritten under an exclusive lock, so several people (or processes) can run it at once.
A msgid of the file that the code no longer has is reported, not added.
"""

from __future__ import annotations

import argparse
import fcntl
import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).resolve().parent))
import i18n

LOCK = i18n.LOCALES / ".catalogs.lock"


def apply(translations: dict[str, dict[str, object]]) -> list[str]:
    """Write the translations into the ka/az/hy/ru catalogs; return the msgids the catalogs lack."""
    missing: set[str] = set()
    for lang in ("ka", "az", "hy", "ru"):
        po = i18n.LOCALES / lang / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        for msgid, per_language in translations.items():
            value = per_language.get(lang)
            if value is None:
                continue
            message = catalog.get(msgid)
            if message is None:
                missing.add(msgid)
                continue
            if message.pluralizable:
                forms = list(value) if isinstance(value, list) else [str(value)] * catalog.num_plurals
                if len(forms) != catalog.num_plurals:
                    raise SystemExit(f"{lang}: {msgid!r} needs {catalog.num_plurals} plural forms")
                message.string = tuple(str(f) for f in forms)
            else:
                message.string = str(value)
            message.flags.discard("fuzzy")
        with po.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, no_location=True)
    return sorted(missing)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--no-extract", action="store_true", help="only fill, do not extract first")
    args = parser.parse_args()
    translations: dict[str, dict[str, object]] = {}
    for path in args.files:
        translations.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not args.no_extract:
            i18n.main()
        missing = apply(translations)
    for msgid in missing:
        print(f"not in the code (skipped): {msgid!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
