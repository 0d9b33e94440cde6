"""Limits that keep one caller from exhausting the node: request rates, body sizes, hashing work."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool

from alliance.api.errors import code_of, error_body
from alliance.core.access import ANONYMOUS
from alliance.core.errors import Overloaded, PayloadTooLarge, RateLimited
from alliance.core.names import username_key
from alliance.core.rates import TRACKED

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_OVERHEAD = 64 * 1024
"""Room for multipart headers around an uploaded file."""

LOGIN_BODY_LIMIT = 4096
"""A login is a username and a password: the one body read before authentication stays small."""


CLIENT_FACTOR = 2
"""A client address may fail this many times as often as a username (offices share addresses;
each of its failures costs argon2, so not many more)."""


def client_of(scope: Scope) -> str:
    """The caller's address (uvicorn takes it from X-Forwarded-For only from trusted proxies)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass(slots=True)
class _Failures:
    count: int
    last: float
    locked_until: float


class LoginThrottle:
    """Failed logins per username and per client address, in memory (each process on its own).

    From the `free`-th failure on (`free` x CLIENT_FACTOR for an address), each failure locks the
    name (or address) out for 1 s, then 2, 4, ... up to `max_lockout`; a failure older than
    `max_lockout` is forgotten. An unknown username is counted as a known one is, so a lockout
    says nothing about which exist. A refusal costs no password hashing.
    """

    def __init__(self, free: int, max_lockout: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.max_lockout, self.clock = free, max_lockout, clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, username: str, client: str) -> float:
        """Seconds until this username may try again from this address (0: now)."""
        with self._lock:
            now = self.clock()
            locks = (self._failures.get(key) for key in self._keys(username, client))
            return max((f.locked_until - now for f in locks if f is not None), default=0.0)

    def client_retry_after(self, client: str) -> float:
        """Seconds until this address may try any username again: known before the body is read."""
        with self._lock:
            failures = self._failures.get(self._keys("", client)[1])
            return 0.0 if failures is None else max(0.0, failures.locked_until - self.clock())

    def failed(self, username: str, client: str) -> None:
        with self._lock:
            now = self.clock()
            for key, free in zip(self._keys(username, client), (self.free, self.free * CLIENT_FACTOR), strict=True):
                failures = self._failures.pop(key, None)
                if failures is None or now - failures.last >= self.max_lockout:
                    failures = _Failures(0, now, now)
                failures.count += 1
                failures.last = now
                if failures.count >= free:
                    failures.locked_until = now + min(self.max_lockout, 2.0 ** (failures.count - free))
                self._failures[key] = failures  # the most recent last, so the oldest are forgotten first
            while len(self._failures) > TRACKED:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        """A right password clears the username's failures (not the address's: one good login must
        not buy an address more guesses at other names)."""
        with self._lock:
            self._failures.pop(self._keys(username, "")[0], None)

    @staticmethod
    def _keys(username: str, client: str) -> tuple[str, str]:
        return f"user:{username_key(username)}", f"client:{client}"


class LoginSlots:
    """argon2 takes 64 MB and tens of milliseconds of CPU per password: at most `slots` are checked
    at once per process. Up to `slots` x 8 callers wait in the event loop, for `wait` seconds at
    most; the others are refused at once (503), so a flood costs neither memory nor threads."""

    def __init__(self, slots: int, wait: float = 2.0) -> None:
        self._semaphore = anyio.Semaphore(slots)
        self.max_waiting, self.wait = slots * 8, wait
        self._waiting = 0

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        if self._waiting >= self.max_waiting:
            raise Overloaded("too many logins at once; retry in a moment")
        self._waiting += 1
        acquired = False
        try:
            with anyio.move_on_after(self.wait):
                await self._semaphore.acquire()
                acquired = True
        finally:
            self._waiting -= 1
        if not acquired:
            raise Overloaded("too many logins at once; retry in a moment")
        try:
            yield
        finally:
            self._semaphore.release()


class UploadSlots:
    """Uploads each caller has in progress (read, hashed, matched) in this process: at most
    `per_caller`, so that one key cannot hold every hashing slot. Used from the event loop only."""

    def __init__(self, per_caller: int) -> None:
        self.per_caller = per_caller
        self._held: dict[str, int] = {}

    def free(self, caller: str) -> bool:
        return self._held.get(caller, 0) < self.per_caller

    @contextmanager
    def hold(self, caller: str) -> Iterator[None]:
        if not self.free(caller):
            raise RateLimited(1.0)
        self._held[caller] = self._held.get(caller, 0) + 1
        try:
            yield
        finally:
            if self._held[caller] > 1:
                self._held[caller] -= 1
            else:
                del self._held[caller]


class BodyLimit:
    """Refuse bodies above the limit with 413, before reading them whole (Content-Length or streamed)."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app, self.json_limit, self.upload_limit = app, json_limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if _is_upload(scope) else self.json_limit
        if scope.get("path") == "/v1/session":
            limit = min(limit, LOGIN_BODY_LIMIT)
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
    """Answer 413 and record the refusal: as the caller, who authenticated before any body was read
    (`deps.AuthenticateFirst`), or, for a login, once per client address and burst."""
    app_state = scope["app"].state
    target = f"{scope.get('method')} {scope.get('path')}"
    details: dict[str, Any] = {"limit": limit}
    principal = scope.get("state", {}).get("principal")
    if principal is None:
        client = client_of(scope)
        details["client"] = client
        app_state.bursts.note(f"too_large:{client}", ANONYMOUS, "request", target, "too_large", details)
    else:
        await run_in_threadpool(app_state.node.audit.record, principal, "request", target, "too_large", details=details)
    await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(error_body(code_of(PayloadTooLarge), f"the request body is larger than {limit:,} bytes")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": PayloadTooLarge.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
