"""What a node tells its operator: a request id for every request, one JSON log line per request,
and Prometheus metrics at `/metrics`.

The request id is answered in `X-Request-ID` and written into every audit event the request causes
(`services.audit.REQUEST_ID`), so a log line leads to its events and back. A log line names the
route's template (`/v1/entries/{entry_id}`), never the path's values or the query string, and never
a credential: what a platform asked about and did not find is nobody's business, and secrets do not
belong in logs. Metrics are labelled by route template for the same reason (and to bound their
number: a scan of random paths adds no series).

With several uvicorn workers, `alliance serve` sets `PROMETHEUS_MULTIPROC_DIR`: counters and
histograms are then summed over the workers by prometheus-client's multiprocess mode, whichever
worker answers the scrape, and the gauges (index, writers, hashing slots) are sampled by each
worker every few seconds and combined as each gauge says (`multiprocess_mode`).
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import os
import re
import sys
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, TextIO

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.routing import compile_path

from alliance.api.deps import authenticate
from alliance.api.limits import ASGIApp, Message, Receive, Scope, Send, client_of
from alliance.core.errors import NotFound
from alliance.services.audit import REQUEST_ID, actor_name
from alliance.services.background import repeat

if TYPE_CHECKING:
    import anyio

    from alliance.node import Node

log = logging.getLogger("alliance.requests")

REQUEST_ID_HEADER = b"x-request-id"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SAMPLE_SECONDS = 5.0
"""How often each worker samples its gauges in multiprocess mode (a scrape samples its own worker too)."""
UNMATCHED = "(unmatched)"
"""The route label of a request no route answers (404s of unknown paths)."""


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Telemetry:
    """The node's metrics, in a registry of their own (one per app, so tests can build many apps)."""

    def __init__(self, node: Node, hashing: anyio.CapacityLimiter) -> None:
        self.node, self.hashing = node, hashing
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "alliance_http_requests", "HTTP requests answered.", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "alliance_http_request_duration_seconds",
            "Time to answer a request, by route template.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rate_limited = Counter(
            "alliance_rate_limit_refusals", "Requests refused with 429 (rate limits, lockouts).", ["route"], registry=r
        )
        self.login_failures = Counter(
            "alliance_login_failures", "Logins refused: wrong username or password.", registry=r
        )
        self.match_requests = Counter("alliance_match_requests", "Match requests served.", registry=r)
        self.matches = Counter("alliance_matches", "Matches returned.", registry=r)
        self.match_queries = Counter(
            "alliance_match_queries", "Signals queried (a request sends up to 1,000).", registry=r
        )
        gauge: dict[str, Any] = {"registry": r}
        self.hashing_in_use = Gauge(
            "alliance_hashing_slots_in_use", "Uploads being hashed now.", multiprocess_mode="livesum", **gauge
        )
        self.hashing_total = Gauge(
            "alliance_hashing_slots", "Uploads that may be hashed at once.", multiprocess_mode="livesum", **gauge
        )
        self.backlog = Gauge(
            "alliance_writer_backlog",
            "Events queued for the store's background writers (503 at 100,000).",
            ["writer"],
            multiprocess_mode="livesum",
            **gauge,
        )
        self.index_size = Gauge(
            "alliance_index_hashes", "Hashes in the in-memory matching index.", multiprocess_mode="livemax", **gauge
        )
        self.index_lag = Gauge(
            "alliance_index_lag_changes",
            "Store changes the index has not replayed yet.",
            multiprocess_mode="livemax",
            **gauge,
        )
        self.index_refreshed = Gauge(
            "alliance_index_last_refresh_timestamp_seconds",
            "When the index last read the change log (the oldest over the workers).",
            multiprocess_mode="livemin",
            **gauge,
        )
        self._sampling: threading.Event | None = None

    def start(self) -> None:
        """Count matches from now on; in multiprocess mode, sample this worker's gauges in the background."""
        self.node.matcher.observers.append(self._matched)
        if multiprocess_dir():
            self._sampling = repeat(self.sample, SAMPLE_SECONDS, "metrics")

    def stop(self) -> None:
        if self._sampling is not None:
            self._sampling.set()
        if multiprocess_dir():
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]  # its gauges leave the sums

    def _matched(self, queries: int, matches: int) -> None:
        self.match_requests.inc()
        self.match_queries.inc(queries)
        self.matches.inc(matches)

    def sample(self) -> None:
        """Set the gauges from this process's state now."""
        self.hashing_in_use.set(self.hashing.borrowed_tokens)
        self.hashing_total.set(self.hashing.total_tokens)
        node = self.node
        self.backlog.labels("audit").set(node.audit.pending)
        self.backlog.labels("match-events").set(node.match_trust.events.pending)
        if "matcher" in node.__dict__:
            status = node.matcher.index.status()
            self.index_size.set(status.size)
            self.index_lag.set(max(0, status.store_sequence - status.sequence))
            self.index_refreshed.set(node.matcher.index.refreshed_at)

    def exposition(self) -> bytes:
        self.sample()
        if multiprocess_dir():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)
        if status == 429:
            self.rate_limited.labels(route).inc()
        elif status == 401 and route == "/v1/session" and method == "POST":
            self.login_failures.inc()


class RequestTelemetry:
    """Outermost middleware: gives each request its id, times it, logs it in one line, counts it."""

    def __init__(self, app: ASGIApp, telemetry: Telemetry) -> None:
        self.app, self.telemetry = app, telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # if the app raises before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
            seconds = time.perf_counter() - started
            route = route_of(scope)
            self.telemetry.observe(route, scope["method"], status, seconds)
            if log.isEnabledFor(logging.INFO):
                principal = scope.get("state", {}).get("principal")
                fields = {
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "ms": round(seconds * 1000, 2),
                    "client": client_of(scope),
                    "actor": actor_name(principal) if principal is not None else None,
                }
                # A record made directly: `log.info` would walk the stack for the caller's line, a
                # third of the line's cost on the hot path, for a line whose origin is known.
                log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "request", (), None, extra=fields))


def route_of(scope: Scope) -> str:
    """The template of the route that answered, or would have (a request refused before routing)."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", UNMATCHED))
    app = scope.get("app")
    path = str(scope.get("path", ""))
    for pattern, template in _templates(app) if app is not None else ():
        if pattern.match(path):
            return template
    return UNMATCHED


@functools.cache
def _templates(app: Any) -> list[tuple[re.Pattern[str], str]]:
    """The app's route templates as patterns, from its OpenAPI schema (built once per app)."""
    return [(compile_path(template)[0], template) for template in app.openapi()["paths"]]


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format."}},
)
async def metrics(request: Request) -> Response:
    """The node's metrics in the Prometheus text format, for a node admin's API key or the metrics
    token (`ALLIANCE_METRICS_TOKEN`): request counts and latencies by route, matches, hashing
    slots, writer backlogs, the index, rate-limit refusals and failed logins. No hash, no name."""
    telemetry: Telemetry = request.app.state.telemetry
    node = telemetry.node
    expected = node.settings.metrics_token
    sent = request.headers.get("authorization", "")
    if not (expected and sent.lower().startswith("bearer ") and _same(sent[7:].strip(), expected.get_secret_value())):
        principal = await authenticate(request)  # 401 without a valid credential, audited once per burst
        if not principal.is_node_admin:
            node.audit.record(principal, "metrics.read", "/metrics", "refused")
            raise NotFound("no such resource")
    return Response(telemetry.exposition(), media_type=CONTENT_TYPE_LATEST)


def _same(sent: str, expected: str) -> bool:
    return hmac.compare_digest(sent.encode(), expected.encode())


LOG_FIELDS = ("request_id", "method", "route", "status", "ms", "client", "actor")
"""The fields a log record may carry beyond its message: what `RequestTelemetry` logs, nothing a caller sent
but its method, and the route it reached."""


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id of the request being
    served (if any), and the request fields. A traceback is kept (a bug report needs it); the store's
    errors carry no query parameters (`store.db` hides them), so no hash reaches a log that way."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for name in LOG_FIELDS[1:]:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


_HANDLER_MARK = "_alliance_json"


def install_json_logging(level: str, stream: TextIO | None = None) -> logging.Handler:
    """Send the node's logs (and uvicorn's) as JSON lines to `stream` (stderr), at `level`;
    replaces the handler a previous call installed."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    setattr(handler, _HANDLER_MARK, True)
    for name in ("alliance", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level.upper())
        logger.propagate = False
    return handler
