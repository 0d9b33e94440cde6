"""Usernames and key names that cannot pass for someone else in the audit log or on a terminal."""

from __future__ import annotations

import re
import unicodedata

import pytest

from alliance.core.errors import InvalidRequest
from alliance.core.names import check_key_name, check_username


@pytest.mark.parametrize("name", ["uk-analyst", "j.smith_2", "Zoë", "müller", "анна", "山田"])
def test_ordinary_usernames_pass(name: str):
    assert check_username(name) == unicodedata.normalize("NFKC", name)


def test_usernames_are_normalised():
    assert check_username("Ｊｏｅ") == "Joe"  # fullwidth letters are the same letters
    assert check_username("Zoë") == "Zoë"  # one way to write each name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("admin\u202egpj", "RIGHT-TO-LEFT OVERRIDE"),
        ("ad\u200bmin", "ZERO WIDTH SPACE"),
        ("adm\x1b[2Jin", "U+001B"),
        ("nul\x00", "U+0000"),
        ("\u0430dmin", "CYRILLIC and LATIN"),  # a Cyrillic "а"
        ("[/bold]", "LEFT SQUARE BRACKET"),
        ("two words", "SPACE"),
        ("-rf", "begins with"),
        ("", "1 to 100"),
        ("a" * 101, "1 to 100"),
    ],
)
def test_spoofing_usernames_are_refused(name: str, why: str):
    with pytest.raises(InvalidRequest, match=re.escape(why)):
        check_username(name)


def test_key_names_are_printable_text():
    assert check_key_name("CI pipeline (prod) — nightly") == "CI pipeline (prod) — nightly"
    for bad in ("key\u202eyek", "a\x1b[2J", "line\nbreak", "zero\u200bwidth"):
        with pytest.raises(InvalidRequest, match="printable"):
            check_key_name(bad)
    with pytest.raises(InvalidRequest, match="at most"):
        check_key_name("k" * 121)
