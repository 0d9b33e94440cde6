"""What every format reads into and writes from: one piece of media described by its hashes, or a
part of the file that could not be used and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alliance.core.signals import Signal


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """One known piece of media as a file describes it.

    `signals` are validated and canonical. `metadata` holds every other field of the source record,
    JSON-compatible, so that writing the record back in the same format loses nothing.
    `where` says where in the file it came from ("line 3", "record 12"), for error messages.
    `status` is the trust state of the entry it was exported from (`core.banks.EntryStatus`), and
    `negative` says it came from a bank of known false positives: exports tell other tools both.
    `entry_id` is the Alliance entry it was exported from (a VICS MediaID when it has none).
    """

    signals: tuple[Signal, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    where: str = ""
    status: str | None = None
    negative: bool = False
    entry_id: int | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A part of an import file that holds nothing Alliance can use: a header, a URL signal, a bad hash.

    `reason` is short and the same for every such part (an import counts them by it); `detail`
    says what exactly was wrong with this one."""

    where: str
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


Item = MediaRecord | Skipped
"""What a format's reader yields, in file order."""
