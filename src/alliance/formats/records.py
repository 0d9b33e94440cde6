"""The record every format reads into and writes from: one piece of media, described by its hashes."""

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
    """

    signals: tuple[Signal, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    where: str = ""
