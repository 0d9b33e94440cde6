"""The least a Python server can do per upload, for bench/api.py to measure beside the node.

An ASGI app without a framework: it reads the body, hashes it as /v1/match/upload does (the same
`query_signals` call: the file's own signals and the normalised view, one upload at a time per
process on a worker thread), and answers the signals as JSON. No authentication, rate limit,
matching, audit or error handling: what an upload costs a Python server over HTTP before any of
the node's own work, so the node's upload rate can be read against this ceiling as well as against
bench/hash.py.

    uvicorn bare_upload:app --app-dir bench --workers 2
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from alliance.core.media.hashing import query_signals

Message = MutableMapping[str, Any]

_slots = anyio.CapacityLimiter(max(1, int(os.environ.get("BARE_HASHING_SLOTS", "1"))))


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    if scope["method"] != "POST":  # readiness
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    work = functools.partial(query_signals, b"".join(chunks), dihedral=False)
    media, _, _ = await anyio.to_thread.run_sync(work, limiter=_slots)
    body = json.dumps({"signals": [{"type": s.type, "value": s.value} for s in media.signals]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
