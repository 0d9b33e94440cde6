"""The HTTP protocol `alliance serve` runs: uvicorn's (httptools), with limits on a request's head.

uvicorn drops a connection left idle after a response (keep-alive), but waits for ever for the head
of a request that arrives a byte at a time, and httptools sets no bound on its size: one client
could hold connections open, or grow the server's memory, by never finishing a request line. Here
a head must arrive within `http_header_timeout_seconds` and `http_max_header_bytes`.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from alliance.settings import Settings

TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@functools.cache
def _limits() -> tuple[float, int]:
    """From the environment, as the app's settings are (`app_from_env`), once per process."""
    settings = Settings()
    return settings.http_header_timeout_seconds, settings.http_max_header_bytes


class HeadLimitedProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout, self.max_head_bytes = _limits()
        self._head_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
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
        elif waiting:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes and not self.transport.is_closing():
                self.transport.write(TOO_LARGE)
                self.transport.close()

    def _await_head(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._head_bytes = 0
        self._deadline = self.loop.call_later(self.head_timeout, self._head_overdue, self.cycle)

    def _head_overdue(self, cycle: Any) -> None:
        """Close the connection if no new request's head came since the deadline was set (and
        none is being answered: a pipelined request may have come)."""
        if self.cycle is cycle and (cycle is None or cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()
