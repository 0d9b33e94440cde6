"""Languages of the web pages: Babel message catalogues, the reader's choice, localised numbers and dates.

English is the language of the source (every msgid); each other language is one catalogue,
`locales/<code>/LC_MESSAGES/messages.po`, found at start. The `.po` files are the only form kept:
they are compiled in memory when the package loads (a few milliseconds), so a clean clone needs
no build step and no compiled `.mo` can fall behind its source. `make messages` extracts the
msgids into `locales/messages.pot` and merges them into each catalogue.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal

LOCALES = Path(__file__).resolve().parent / "locales"
SOURCE_LANGUAGE = "en"
LANGUAGE_COOKIE = "alliance_lang"


@cache
def languages() -> tuple[str, ...]:
    """English, then every language with a catalogue, in code order."""
    found = sorted(p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po"))
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of `language`, compiled from its `.po` (English: the msgids themselves)."""
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy guess is not shown as a translation
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The reader's language: the one they chose (a cookie), else their browser's, else English."""
    offered = languages()
    if cookie in offered:
        return str(cookie)
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in (accept_language or "").split(",")]
    found = negotiate_locale([w for w in wanted if w and w != "*"], list(offered), sep="_")
    if found is None:  # "ar_EG" for "ar": negotiate_locale matches whole tags only
        found = next((w.split("_")[0] for w in wanted if w.split("_")[0] in offered), None)
    return found or SOURCE_LANGUAGE


@cache
def locale_of(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE_LANGUAGE)


def direction(language: str) -> str:
    """`rtl` for Arabic (and any right-to-left script), `ltr` otherwise: the page's `dir`."""
    return locale_of(language).text_direction


def language_name(language: str) -> str:
    """The language's name in itself ("العربية"), for the selector."""
    return locale_of(language).get_display_name(locale_of(language)) or language


current_language: ContextVar[str] = ContextVar("current_language", default=SOURCE_LANGUAGE)
"""The language of the page being rendered, for the template filters and `_()`."""


def gettext_(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def number(value: int | float | None) -> str:
    """A number as the reader writes it (grouping, decimal sign, digits)."""
    if value is None:
        return "–"
    return format_decimal(value, locale=locale_of(current_language.get()))


def chart_number(value: float) -> str:
    """A number on a chart as the reader writes it: whole, or to one decimal, below 10,000; in the
    locale's short form above ("250K", "1.2M"; "250 ألف", "1.2 مليون"). The same locale as the
    table beside the chart (`number`), so the two read alike."""
    locale = locale_of(current_language.get())
    if abs(value) >= 10_000:
        digits = 1 if abs(value) >= 1_000_000 else 0
        return format_compact_decimal(value, format_type="short", fraction_digits=digits, locale=locale)
    return format_decimal(value, format="#,##0.#", locale=locale)


def when(value: datetime | None, style: str = "medium") -> str:
    """A date and time as the reader writes it, in UTC (the node's clock)."""
    if value is None:
        return "–"
    return format_datetime(value, style, tzinfo=UTC, locale=locale_of(current_language.get()))


def day(value: date | None, style: str = "medium") -> str:
    """A calendar day as the reader writes it."""
    if value is None:
        return "–"
    return format_date(value, style, locale=locale_of(current_language.get()))


def message_ids(catalogue: Iterable[object]) -> set[str]:
    """The msgids of a Babel catalogue (the header's empty id left out), for the tests and tools."""
    ids = set()
    for message in catalogue:
        msgid = getattr(message, "id", "")
        ids.add(msgid if isinstance(msgid, str) else msgid[0])
    ids.discard("")
    return ids
