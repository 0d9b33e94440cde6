"""Signal types: the kinds of hash Alliance knows, how to parse them and how far apart two are.

A *signal* is one hash of one piece of media. Exact types (md5, sha1, sha256) match only when equal;
perceptual types (pdq, later video types) match when their distance is within a bank's threshold.
Callers look types up in the registry by name, so a new type (vpdq) is one `register` call and no
caller changes.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import ClassVar

from alliance.core.errors import InvalidSignal

_HEX_DIGITS = frozenset(string.hexdigits)


@dataclass(frozen=True, slots=True)
class Signal:
    """One hash of one piece of media, in canonical form. `quality` is set for perceptual types."""

    type: str
    value: str
    quality: int | None = None


@dataclass(frozen=True, slots=True)
class ViewSignal:
    """A signal of one view of a picture other than the one its own signals describe: the whole
    image when a border was trimmed, a small copy, a crop (`alliance.core.pdq_views` names them).

    An entry stores these so that altered copies (resized, cropped, overlaid) still match it. They
    describe how Alliance matches, not the file: hash lists and exports never carry them.
    """

    view: str
    signal: Signal


class SignalType:
    """How one kind of hash is written, validated and compared.

    Subclasses set `name`, `hex_length` and `perceptual`; perceptual types also define `distance`.
    """

    name: ClassVar[str]
    hex_length: ClassVar[int]
    perceptual: ClassVar[bool] = False

    def canonical(self, text: str) -> str:
        """Return the canonical (lowercase hex) form of `text`, or raise `InvalidSignal` saying why."""
        value = text.strip().lower()
        if not value:
            raise InvalidSignal(f"empty {self.name} hash")
        if len(value) != self.hex_length:
            raise InvalidSignal(
                f"{self.name} hash must be {self.hex_length} hex characters, got {len(value)}: {_shorten(value)!r}"
            )
        if not _HEX_DIGITS.issuperset(value):
            bad = next(c for c in value if c not in _HEX_DIGITS)
            raise InvalidSignal(f"{self.name} hash contains {bad!r}, which is not a hex digit: {_shorten(value)!r}")
        return value

    def check_quality(self, quality: int | None) -> int | None:
        """Exact hashes carry no quality; perceptual types override this."""
        if quality is not None:
            raise InvalidSignal(f"{self.name} hashes carry no quality, got {quality}")
        return None

    def distance(self, a: str, b: str) -> int:
        """Exact types: 0 when equal, otherwise 1 (they have no notion of 'close')."""
        return 0 if a == b else 1


class ExactHashType(SignalType):
    """A cryptographic digest of the file bytes: equal bytes, equal hash; one changed byte, no match."""


class MD5(ExactHashType):
    name = "md5"
    hex_length = 32


class SHA1(ExactHashType):
    name = "sha1"
    hex_length = 40


class SHA256(ExactHashType):
    name = "sha256"
    hex_length = 64


class PDQ(SignalType):
    """Meta's PDQ perceptual image hash: 256 bits, compared by Hamming distance.

    Distance 31 or less out of 256 is the usual match threshold. Quality (0-100) says how much
    detail the image had; below 50 the hash is unreliable (flat or tiny images), so it is stored
    but not used for perceptual matching.
    """

    name = "pdq"
    hex_length = 64
    perceptual = True
    bits: ClassVar[int] = 256

    def check_quality(self, quality: int | None) -> int | None:
        if quality is None:
            return None
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100:
            raise InvalidSignal(f"pdq quality must be an integer from 0 to 100, got {quality!r}")
        return quality

    def distance(self, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()


PDQ_MIN_QUALITY = 50
"""PDQ hashes below this quality are kept but not used for perceptual matching."""

_REGISTRY: dict[str, SignalType] = {}


def register(signal_type: SignalType) -> None:
    """Make a signal type known to every caller by its name."""
    _REGISTRY[signal_type.name] = signal_type


def signal_type(name: str) -> SignalType:
    """The registered type called `name`; `InvalidSignal` lists the known ones otherwise."""
    try:
        return _REGISTRY[name.strip().lower()]
    except KeyError:
        raise InvalidSignal(f"unknown signal type {name!r}; known: {', '.join(signal_type_names())}") from None


def signal_type_names() -> list[str]:
    return sorted(_REGISTRY)


def parse_signal(type_name: str, text: str, quality: int | None = None) -> Signal:
    """Validate `text` as a hash of type `type_name` and return it in canonical form."""
    kind = signal_type(type_name)
    return Signal(kind.name, kind.canonical(text), kind.check_quality(quality))


def is_matchable(signal: Signal, min_quality: int = PDQ_MIN_QUALITY) -> bool:
    """False for a perceptual hash too weak to match on (quality below `min_quality`)."""
    if signal_type(signal.type).perceptual and signal.quality is not None:
        return signal.quality >= min_quality
    return True


def _shorten(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


for _type in (PDQ(), MD5(), SHA1(), SHA256()):
    register(_type)
