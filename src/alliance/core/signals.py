"""Signal types: the kinds of hash Alliance knows, how to parse them and how far apart two are.

A *signal* is one hash of one piece of media. Exact types (md5, sha1, sha256) match only when equal;
perceptual types (pdq, later video types) match when their distance is within a bank's threshold.
Callers look types up in the registry by name, so a new type (vpdq) is one module with its class
and one `register` call; matching, storage, the formats and the API ask the registry and do not change.

A type says which kind of index finds it (`IndexKind`): exact types are looked up by value, Hamming
types go through an in-memory index of their own (`index_engine`), as python-threatexchange binds
each signal type to its index.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from alliance.core.index.engine import HammingIndex

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
    image when a border was trimmed, a small copy, a crop (`alliance.core.media.pdq_views` names them).

    An entry stores these so that altered copies (resized, cropped, overlaid) still match it. They
    describe how Alliance matches, not the file: hash lists and exports never carry them.
    """

    view: str
    signal: Signal


class IndexKind(StrEnum):
    """How matching finds a type's signals."""

    EXACT = "exact"
    """Equal or not: looked up by value in the store."""
    HAMMING = "hamming"
    """Near or not: a range search by Hamming distance in an in-memory index."""


class SignalType:
    """How one kind of hash is written, validated, compared and found.

    Subclasses set `name` and `hex_length`; Hamming types also set `index_kind`, their thresholds
    and `distance`. `exchange_name` is what python-threatexchange and HMA call the type (te-csv), and
    `vics_name` its name in VICS JSON.
    """

    name: ClassVar[str]
    hex_length: ClassVar[int]
    index_kind: ClassVar[IndexKind] = IndexKind.EXACT
    default_threshold: ClassVar[int] = 0
    """The match threshold of a bank that sets none for this type (exact types: always 0)."""
    max_threshold: ClassVar[int] = 0
    """The largest threshold a bank may set (exact types take none)."""
    exchange_name: ClassVar[str]
    """Defaults to `name`."""
    vics_name: ClassVar[str]
    """Defaults to `name` in capitals."""

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        name = cls.__dict__.get("name")
        if name is not None:
            cls.exchange_name = cls.__dict__.get("exchange_name", name)
            cls.vics_name = cls.__dict__.get("vics_name", name.upper())

    @property
    def perceptual(self) -> bool:
        """Whether near hashes match too (a Hamming index), not only equal ones."""
        return self.index_kind is IndexKind.HAMMING

    @property
    def hash_bytes(self) -> int:
        return self.hex_length // 2

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

    def index_engine(self) -> type[HammingIndex]:
        """The index class that finds this type's near hashes (Hamming types only)."""
        raise TypeError(f"{self.name} is looked up by value; it has no index")


class HammingType(SignalType):
    """A perceptual hash compared bit by bit: near copies differ in a few bits.

    Its index is, unless the subclass names a faster one, the exact linear scan sized to its hashes.
    """

    index_kind = IndexKind.HAMMING

    def distance(self, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()

    def index_engine(self) -> type[HammingIndex]:
        from alliance.core.index.engine import linear_engine  # numpy is loaded only where an index is built

        return linear_engine(self.name, self.hash_bytes)


class ExactHashType(SignalType):
    """A cryptographic digest of the file bytes: equal bytes, equal hash; one changed byte, no match."""


class MD5(ExactHashType):
    name = "md5"
    hex_length = 32
    exchange_name = "video_md5"  # python-threatexchange and HMA have no other MD5 type
    vics_name = "MD5"


class SHA1(ExactHashType):
    name = "sha1"
    hex_length = 40
    exchange_name = "sha1"
    vics_name = "SHA1"


class SHA256(ExactHashType):
    name = "sha256"
    hex_length = 64
    exchange_name = "video_sha256"
    vics_name = "SHA256"


class PDQ(HammingType):
    """Meta's PDQ perceptual image hash: 256 bits, compared by Hamming distance.

    Distance 31 or less out of 256 is the usual match threshold. Quality (0-100) says how much
    detail the image had; below 50 the hash is unreliable (flat or tiny images), so it is stored
    but not used for perceptual matching.
    """

    name = "pdq"
    hex_length = 64
    bits: ClassVar[int] = 256
    default_threshold = 31
    max_threshold = 64
    exchange_name = "pdq"
    vics_name = "PDQ"

    def check_quality(self, quality: int | None) -> int | None:
        if quality is None:
            return None
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100:
            raise InvalidSignal(f"pdq quality must be an integer from 0 to 100, got {quality!r}")
        return quality

    def index_engine(self) -> type[HammingIndex]:
        from alliance.core.index.mih import MIHPDQIndex

        return MIHPDQIndex


PDQ_MIN_QUALITY = 50
"""PDQ hashes below this quality are kept but not used for perceptual matching."""

_REGISTRY: dict[str, SignalType] = {}


def register(signal_type: SignalType) -> None:
    """Make a signal type known to every caller by its name."""
    _REGISTRY[signal_type.name] = signal_type


def unregister(name: str) -> None:
    """Forget a type (tests that register one of their own put things back this way)."""
    _REGISTRY.pop(name, None)


def signal_type(name: str) -> SignalType:
    """The registered type called `name`; `InvalidSignal` lists the known ones otherwise."""
    try:
        return _REGISTRY[name.strip().lower()]
    except KeyError:
        raise InvalidSignal(f"unknown signal type {name!r}; known: {', '.join(signal_type_names())}") from None


def signal_type_names() -> list[str]:
    return sorted(_REGISTRY)


def signal_types() -> list[SignalType]:
    """Every registered type, in the order they were registered (PDQ, then the digests)."""
    return list(_REGISTRY.values())


def hamming_types() -> list[SignalType]:
    """The registered types matched by distance, each through an index of its own."""
    return [kind for kind in _REGISTRY.values() if kind.perceptual]


def exchange_type(name: str) -> SignalType | None:
    """The type python-threatexchange or HMA calls `name` (case-insensitive), if any is registered."""
    wanted = name.strip().lower()
    return next((kind for kind in _REGISTRY.values() if kind.exchange_name == wanted), None)


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
