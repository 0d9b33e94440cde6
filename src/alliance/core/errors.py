"""The one exception tree of Alliance. Adapters map it to exit codes (CLI) and statuses (API) once.

AllianceError
 ├── InvalidSignal        a hash string that is empty, of the wrong length or not hex
 ├── HashingError         media that cannot be hashed (corrupt, truncated, too large, ...)
 ├── FormatError          an import file that cannot be read; names the line or record
 ├── NotFound             an unknown bank, entry or organisation
 ├── Conflict             a duplicate (bank name, entry already in a bank)
 ├── InvalidRequest       arguments that make no sense together (bad threshold, ...)
 ├── IndexFileError       a saved index that is corrupt, truncated, stale or too new
 ├── Overloaded           the node cannot record requests as fast as they come
 └── Throttled            a caller slowed down on purpose (a single-caller flood)
"""

from __future__ import annotations


class AllianceError(Exception):
    """Base of every error Alliance raises on purpose; its message is written for the user."""


class InvalidSignal(AllianceError, ValueError):
    """A hash string that does not parse as its signal type."""


class HashingError(AllianceError):
    """Media that cannot be hashed. `reason` is a short machine-readable word, the message is for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[HashingError], tuple[str, str]]:  # survives process pools
        return type(self), (self.reason, str(self))


class FormatError(AllianceError):
    """An import file that cannot be read. `where` names the line or record, for example 'line 7'."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.detail = message

    def __reduce__(self) -> tuple[type[FormatError], tuple[str, str]]:
        return type(self), (self.where, self.detail)


class NotFound(AllianceError):
    """Something that does not exist, or that the caller may not see."""


class Conflict(AllianceError):
    """A write that would duplicate something unique."""


class InvalidRequest(AllianceError):
    """Arguments that are each valid but make no sense here."""


class IndexFileError(AllianceError):
    """A saved index that cannot be trusted; the caller rebuilds it from the store."""


class Overloaded(AllianceError):
    """The node records requests more slowly than they come: it refuses new ones for a moment
    rather than serve them unrecorded or queue their records without end."""


class Throttled(AllianceError):
    """A caller slowed down on purpose (it flooded an entry alone); `retry_after` in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
