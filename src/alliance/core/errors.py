"""The one exception tree of Alliance. Each class carries its HTTP status and its CLI exit code, so
the adapters read them from the error instead of keeping tables in step by hand.

AllianceError                   status  exit
 ├── InvalidSignal                422     4   a hash string that is empty, of the wrong length or not hex
 ├── HashingError                 422     4   media that cannot be hashed (corrupt, truncated, too large, ...)
 ├── FormatError                  422     4   an import file that cannot be read; names the line or record
 ├── InvalidRequest               422     4   arguments that make no sense together (bad threshold, ...)
 ├── NotFound                     404     3   an unknown bank, entry or organisation, or one the caller may not see
 ├── Conflict                     409     5   a duplicate (bank name, entry already in a bank)
 ├── AuthenticationFailed         401     4   no valid credential
 ├── CsrfFailed                   403     4   a session request that changes something without its CSRF token
 ├── PayloadTooLarge              413     4   a request body above the limit
 ├── RateLimited                  429     4   a caller over its rate limit
 ├── Throttled                    429     4   a caller slowed down on purpose (a single-caller flood)
 ├── StoreUnavailable             503     6   the database cannot be opened or reached
 ├── IndexFileError               503     6   a saved index that is corrupt, truncated, stale or too new
 └── Overloaded                   503     6   the node cannot record requests as fast as they come

Exit codes (README, "Exit codes"): 3 not found, 4 invalid input, 5 conflict, 6 the node cannot serve
now (its store or a saved index cannot be used, or it is overloaded: try again). 0, 1 (no match),
2 (usage) and 70 (a bug) are not errors of this tree.
"""

from __future__ import annotations

from typing import ClassVar

EXIT_NOT_FOUND = 3
EXIT_INVALID = 4
EXIT_CONFLICT = 5
EXIT_UNAVAILABLE = 6


class AllianceError(Exception):
    """Base of every error Alliance raises on purpose; its message is written for the user."""

    status: ClassVar[int] = 400
    """The HTTP status the API answers with."""
    exit_code: ClassVar[int] = EXIT_INVALID
    """The code the CLI exits with."""


class InvalidSignal(AllianceError, ValueError):
    """A hash string that does not parse as its signal type."""

    status = 422


class HashingError(AllianceError):
    """Media that cannot be hashed. `reason` is a short machine-readable word, the message is for people."""

    status = 422

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[HashingError], tuple[str, str]]:  # survives process pools
        return type(self), (self.reason, str(self))


class FormatError(AllianceError):
    """An import file that cannot be read. `where` names the line or record, for example 'line 7'."""

    status = 422

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.detail = message

    def __reduce__(self) -> tuple[type[FormatError], tuple[str, str]]:
        return type(self), (self.where, self.detail)


class InvalidRequest(AllianceError):
    """Arguments that are each valid but make no sense here."""

    status = 422


class NotFound(AllianceError):
    """Something that does not exist, or that the caller may not see (404 never 403: existence does not leak)."""

    status = 404
    exit_code = EXIT_NOT_FOUND


class Conflict(AllianceError):
    """A write that would duplicate something unique."""

    status = 409
    exit_code = EXIT_CONFLICT


class AuthenticationFailed(AllianceError):
    """No valid credential: a missing, unknown, expired or revoked key, or a wrong password."""

    status = 401


class CsrfFailed(AllianceError):
    """A session request that changes something without the session's CSRF token."""

    status = 403


class PayloadTooLarge(AllianceError):
    """A request body above the limit."""

    status = 413


class RateLimited(AllianceError):
    """A caller over its rate limit; `retry_after` in seconds."""

    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many requests; retry in {retry_after:.1f} s")
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[RateLimited], tuple[float]]:
        return type(self), (self.retry_after,)


class Throttled(AllianceError):
    """A caller slowed down on purpose (it flooded an entry alone); `retry_after` in seconds."""

    status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[Throttled], tuple[str, float]]:
        return type(self), (str(self), self.retry_after)


class StoreUnavailable(AllianceError):
    """The database cannot be opened or reached."""

    status = 503
    exit_code = EXIT_UNAVAILABLE


class IndexFileError(AllianceError):
    """A saved index that cannot be trusted; the caller rebuilds it from the store."""

    status = 503
    exit_code = EXIT_UNAVAILABLE


class Overloaded(AllianceError):
    """The node records requests more slowly than they come: it refuses new ones for a moment
    rather than serve them unrecorded or queue their records without end."""

    status = 503
    exit_code = EXIT_UNAVAILABLE
