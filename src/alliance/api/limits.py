"""Limits that keep one caller from exhausting the node: request rates, body sizes, hashing work."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from alliance.api.errors import RateLimited, error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_OVERHEAD = 64 * 1024
"""Room for multipart headers around an uploaded file."""


class TokenBuckets:
    """One token bucket per caller: `rate` requests a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, last refill)
        self._refusals: dict[str, float] = {}  # caller -> when a refusal was last reported
        self._lock = threading.Lock()

    def first_refusal_in_a_while(self, caller: str, quiet_seconds: float = 10.0) -> bool:
        """True once per `quiet_seconds` of refusals per caller: enough for the audit log."""
        with self._lock:
            now = self.clock()
            if now - self._refusals.get(caller, -quiet_seconds) < quiet_seconds:
                return False
            self._refusals[caller] = now
            return True

    def take(self, caller: str) -> None:
        """Spend one token or raise `RateLimited` saying when the next one comes."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(caller, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[caller] = (tokens, now)
                raise RateLimited((1.0 - tokens) / self.rate)
            self._buckets[caller] = (tokens - 1.0, now)


class BodyLimit:
    """Refuse bodies above the limit with 413, before reading them whole (Content-Length or streamed)."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app, self.json_limit, self.upload_limit = app, json_limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if _is_upload(scope) else self.json_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, limit)
            return
        received = 0
        responded = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal responded
            responded = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not responded:
                await _refuse(scope, send, limit)


class _BodyTooLarge(Exception):
    pass


def _is_upload(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path.endswith("/upload") or path == "/v1/hash"


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    """Answer 413 and record the refusal (before authentication: the body was never read)."""
    from alliance.api.deps import ANONYMOUS

    node = scope["app"].state.node
    target = f"{scope.get('method')} {scope.get('path')}"
    await run_in_threadpool(node.audit.record, ANONYMOUS, "request", target, "too_large", details={"limit": limit})
    await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(error_body("payload_too_large", f"the request body is larger than {limit:,} bytes")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
