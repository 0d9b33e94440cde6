"""Languages: every message of the pages has an Arabic translation, the reader's language is chosen
as documented, and numbers and dates follow it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from alliance.web import i18n

WEB = Path(i18n.__file__).resolve().parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def source_msgids() -> set[str]:
    """Every msgid the web package's templates and modules use now (what `make messages` extracts)."""
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), METHODS, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_sources_use_messages():
    assert {"Log in", "Wrong username or password.", "Home"} <= source_msgids()


@pytest.mark.parametrize("language", [code for code in i18n.languages() if code != i18n.SOURCE_LANGUAGE])
def test_every_message_has_a_translation(language):
    with (i18n.LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale=language)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalogue
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(source_msgids() - translated)
    assert missing == [], f"untranslated in {language} (run `make messages` and translate): {missing}"


def test_arabic_is_offered_and_written_right_to_left():
    assert "ar" in i18n.languages()
    assert i18n.direction("ar") == "rtl" and i18n.direction("en") == "ltr"
    assert i18n.translations("ar").gettext("Log in") == "تسجيل الدخول"


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, "en"),
        (None, "ar-EG,ar;q=0.9,en;q=0.8", "ar"),
        (None, "ar-SA", "ar"),
        (None, "fr-FR,fr;q=0.9", "en"),
        ("en", "ar", "en"),  # the reader's choice beats the browser's
        ("ar", "en-GB", "ar"),
        ("xx", "ar", "ar"),  # a cookie naming no catalogue is ignored
    ],
)
def test_the_language_is_the_readers_choice_then_the_browsers(cookie, accept, expected):
    assert i18n.choose_language(cookie, accept) == expected


def test_numbers_and_dates_follow_the_language():
    moment = datetime(2026, 3, 14, 15, 9, tzinfo=UTC)
    token = i18n.current_language.set("en")
    try:
        english = (i18n.number(1234567.5), i18n.when(moment))
    finally:
        i18n.current_language.reset(token)
    token = i18n.current_language.set("ar")
    try:
        arabic = (i18n.number(1234567.5), i18n.when(moment))
    finally:
        i18n.current_language.reset(token)
    assert english[0] == "1,234,567.5" and "Mar" in english[1]
    assert arabic[0].replace("\u061c", "") in ("1,234,567.5", "١٬٢٣٤٬٥٦٧٫٥")  # CLDR's "ar": Latin digits
    assert arabic[1] != english[1] and "،" in arabic[1]  # Arabic's comma and its own order
