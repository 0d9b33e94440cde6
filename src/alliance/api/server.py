"""The HTTP protocol `alliance serve` runs: uvicorn's (httptools), with limits on a request's head.

uvicorn drops a connection left idle after a response (keep-alive), but waits for ever for the head
of a request that arrives a byte at a time, and httptools sets no bound on its size: one client
could hold connections open, or grow the server's memory, by never finishing a request line. Here
a head must arrive within `http_header_timeout_seconds` and `http_max_header_bytes`.

A body that trickles is the same attack one step later, so a body must arrive within
`http_body_timeout_seconds`, extended by a second for every `BODY_BYTES_PER_SECOND` received (as
Apache's mod_reqtimeout does): a large upload on a slow link keeps going, a client that sends a
few bytes a second does not hold a connection for ever. While the app has paused reading (it is
the slow one), the clock does not run out.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from alliance.settings import Settings

BODY_BYTES_PER_SECOND = 1000
TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@functools.cache
def _limits() -> tuple[float, int, float]:
    """From the environment, as the app's settings are (`app_from_env`), once per process."""
    settings = Settings()
    return settings.http_header_timeout_seconds, settings.http_max_header_bytes, settings.http_body_timeout_seconds


class HeadLimitedProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout, self.max_head_bytes, self.body_timeout = _limits()
        self._head_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._body_started = 0.0
        self._body_bytes = 0
        self._body_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._deadline, self._body_deadline):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()  # the next request's head has the same time

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        waiting = before is None or not before.more_body  # no body to come: these bytes are a head
        super().data_received(data)
        if self.cycle is not before:
            self._head_bytes = 0  # a head was completed in this chunk
            if self.cycle is not None and self.cycle.more_body:
                self._await_body()
        elif not waiting:
            self._body_bytes += len(data)
        if waiting and self.cycle is before:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes and not self.transport.is_closing():
                self.transport.write(TOO_LARGE)
                self.transport.close()

    def _await_head(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._head_bytes = 0
        self._deadline = self.loop.call_later(self.head_timeout, self._head_overdue, self.cycle)

    def _await_body(self) -> None:
        self._body_started, self._body_bytes = self.loop.time(), 0
        self._arm_body_deadline(self.cycle)

    def _arm_body_deadline(self, cycle: Any) -> None:
        due = self._body_started + self.body_timeout + self._body_bytes / BODY_BYTES_PER_SECOND
        self._body_deadline = self.loop.call_at(due, self._body_overdue, cycle)

    def _body_overdue(self, cycle: Any) -> None:
        """Close the connection if this request's body is still coming, later than its size allows."""
        if self.cycle is not cycle or not cycle.more_body or self.transport.is_closing():
            return  # the body arrived, or the connection moved on
        due = self._body_started + self.body_timeout + self._body_bytes / BODY_BYTES_PER_SECOND
        if self.flow.read_paused or self.loop.time() < due:
            self._arm_body_deadline(cycle)  # the app is the slow one, or the body kept coming
        else:
            self.transport.close()

    def _head_overdue(self, cycle: Any) -> None:
        """Close the connection if no new request's head came since the deadline was set (and
        none is being answered: a pipelined request may have come)."""
        if self.cycle is cycle and (cycle is None or cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()
