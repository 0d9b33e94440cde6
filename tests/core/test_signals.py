import pytest

from alliance.core.errors import InvalidSignal
from alliance.core.signals import PDQ, Signal, is_matchable, parse_signal, signal_type, signal_type_names

PDQ_HEX = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def test_registry_knows_the_four_types():
    assert signal_type_names() == ["md5", "pdq", "sha1", "sha256"]


@pytest.mark.parametrize(("kind", "length"), [("pdq", 64), ("md5", 32), ("sha1", 40), ("sha256", 64)])
def test_canonical_form_is_lowercase_stripped_hex(kind, length):
    raw = " " + "AB" * (length // 2) + "\n"
    assert parse_signal(kind, raw).value == "ab" * (length // 2)


@pytest.mark.parametrize(
    ("kind", "text", "words"),
    [
        ("pdq", "", "empty"),
        ("pdq", "   ", "empty"),
        ("pdq", "abc", "64 hex characters, got 3"),
        ("md5", "g" * 32, "'g', which is not a hex digit"),
        ("sha1", "a" * 41, "40 hex characters, got 41"),
        ("sha256", PDQ_HEX[:-1] + "-", "not a hex digit"),
    ],
)
def test_invalid_hashes_say_why(kind, text, words):
    with pytest.raises(InvalidSignal, match=words):
        parse_signal(kind, text)


def test_unknown_type_lists_known_ones():
    with pytest.raises(InvalidSignal, match="known: md5, pdq, sha1, sha256"):
        signal_type("photodna")


@pytest.mark.parametrize("quality", [-1, 101, 50.5, True])
def test_pdq_quality_must_be_0_to_100(quality):
    with pytest.raises(InvalidSignal, match="quality"):
        parse_signal("pdq", PDQ_HEX, quality)


def test_exact_hashes_carry_no_quality():
    with pytest.raises(InvalidSignal):
        parse_signal("md5", "a" * 32, 80)


def test_pdq_distance_counts_differing_bits():
    other = format(int(PDQ_HEX, 16) ^ 0b1011, "064x")
    assert PDQ().distance(PDQ_HEX, other) == 3
    assert PDQ().distance(PDQ_HEX, PDQ_HEX) == 0
    inverted = format(int(PDQ_HEX, 16) ^ (2**256 - 1), "064x")
    assert PDQ().distance(PDQ_HEX, inverted) == 256


def test_low_quality_pdq_is_not_matchable_but_exact_hashes_are():
    assert not is_matchable(Signal("pdq", PDQ_HEX, 49))
    assert is_matchable(Signal("pdq", PDQ_HEX, 50))
    assert is_matchable(Signal("pdq", PDQ_HEX, None))
    assert is_matchable(Signal("md5", "a" * 32))
    assert not is_matchable(Signal("pdq", PDQ_HEX, 70), min_quality=80)
