"""Names of accounts, checked before they are stored: they become the actor of every audit event.

A username from a right-to-left override (U+202E), a control character or letters of two scripts
("аdmin" with a Cyrillic "а") would show as somebody else in the audit log and on a terminal.
Usernames are NFKC-normalised and kept to letters of one script, ASCII digits and `. _ -`; key
names are free text, but printable only (no control or bidi formatting characters). "Admin" and
"admin" are one name: a username's key (its case fold) is unique, so nobody can pass as another
account by changing a letter's case.
"""

from __future__ import annotations

import unicodedata

from alliance.core.errors import InvalidRequest

USERNAME_PUNCTUATION = frozenset("._-")
MAX_USERNAME = 100
MAX_KEY_NAME = 120


def _script(letter: str) -> str:
    """The script a letter belongs to, from its Unicode name ("LATIN SMALL LETTER A" -> "LATIN")."""
    return unicodedata.name(letter, "UNKNOWN").split(" ")[0]


def check_username(text: str) -> str:
    """The username as stored (NFKC), or InvalidRequest saying what is wrong with it."""
    name = unicodedata.normalize("NFKC", text).strip()
    if not 1 <= len(name) <= MAX_USERNAME:
        raise InvalidRequest(f"a username needs 1 to {MAX_USERNAME} characters")
    for char in name:
        if not (char.isalpha() or "0" <= char <= "9" or char in USERNAME_PUNCTUATION):
            raise InvalidRequest(
                f"a username holds letters, digits and . _ - only, not {unicodedata.name(char, f'U+{ord(char):04X}')}"
            )
    if name[0] in USERNAME_PUNCTUATION:
        raise InvalidRequest("a username begins with a letter or a digit")
    scripts = {_script(c) for c in name if c.isalpha()}
    if len(scripts) > 1:
        raise InvalidRequest(f"a username's letters come from one script, not {' and '.join(sorted(scripts))}")
    return name


def username_key(name: str) -> str:
    """What makes two usernames the same account name: NFKC, then case-folded ("Straße" = "STRASSE")."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).strip().casefold())


def check_key_name(text: str) -> str:
    """The key name as stored (NFKC, printable), or InvalidRequest."""
    name = unicodedata.normalize("NFKC", text).strip()
    if len(name) > MAX_KEY_NAME:
        raise InvalidRequest(f"a key name has at most {MAX_KEY_NAME} characters")
    bad = next((c for c in name if not c.isprintable()), None)
    if bad is not None:
        raise InvalidRequest(f"a key name is printable text, without U+{ord(bad):04X}")
    return name
