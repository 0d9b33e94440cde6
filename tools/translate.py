"""Merge translations into a web catalogue: `python tools/translate.py ar FILE.py`, where FILE.py
defines a dict `AR = {msgid: translation}` (or the language's code in capitals).

Keeps every translation the catalogue has, adds the given ones, and drops msgids no longer in
`messages.pot` (run `make messages` first). For helpers adding many strings at once; a translator
may as well edit the `.po` file with any PO editor.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parents[1] / "src" / "alliance" / "web" / "locales"


def main(language: str, source: str) -> None:
    given: dict[str | tuple[str, ...], str | tuple[str, ...]] = runpy.run_path(source)[language.upper()]
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    with (LOCALES / "messages.pot").open("rb") as f:
        template = read_po(f)
    old = Catalog(locale=language)
    if path.exists():
        with path.open("rb") as f:
            old = read_po(f, locale=language)
    catalog = Catalog(locale=language, project="Alliance", fuzzy=False)
    for message in template:
        if not message.id:
            continue
        previous = old.get(message.id)
        text = given.get(message.id) or (previous.string if previous is not None else "")
        catalog.add(message.id, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, omit_header=False, no_location=True, sort_output=True, width=120)
    missing = [m.id for m in catalog if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
    print(f"{path}: {len(catalog)} messages, {len(missing)} untranslated")
    for msgid in missing:
        print(f"  untranslated: {msgid!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
