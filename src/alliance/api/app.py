"""`create_app(settings)`: the node's HTTP API, built once per process from one settings object."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from starlette.formparsers import MultiPartParser

from alliance import __version__
from alliance.api import handlers
from alliance.api.deps import AuthenticateFirst
from alliance.api.errors import documented_errors
from alliance.api.limits import UPLOAD_OVERHEAD, BodyLimit, LoginSlots, LoginThrottle, UploadSlots
from alliance.api.routes import admin, audit, banks, docs, health, investigations, matching, session, trust
from alliance.api.routes import alliance as alliance_routes
from alliance.api.schemas import ErrorOut
from alliance.api.telemetry import RequestTelemetry, Telemetry, install_json_logging
from alliance.api.telemetry import router as metrics_router
from alliance.core.rates import TokenBuckets
from alliance.node import Node
from alliance.services.audit import BurstLog
from alliance.services.background import repeat
from alliance.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    # With an interval, a thread follows the change log; with 0, every match reads it first.
    follow = settings.match_refresh_seconds > 0
    node = Node(settings, refresh_interval=None if follow else 0.0, key_cache_seconds=settings.key_cache_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        matcher = node.matcher  # loaded before the first request, so /readyz means it
        telemetry.start()
        following = matcher.index.follow(settings.match_refresh_seconds) if follow else None
        node.purge_match_events()
        node.start_background()
        # What is alive now (modules, the index, the app) lives as long as the process: moved out
        # of the collector's sight, a full collection no longer walks it, which took tens of
        # milliseconds in the middle of requests (p99 of match requests 243 -> 52 ms in one run).
        gc.collect()
        gc.freeze()
        sweeping = repeat(bursts.sweep, 1.0, "refusal-bursts")  # counts of bursts gone quiet
        yield
        sweeping.set()
        bursts.sweep(everything=True)  # the counts of bursts still going, before the writer stops
        if following is not None:
            following.set()
        node.stop_background()
        telemetry.stop()
        node.close()

    app = FastAPI(
        title="Alliance node",
        version=__version__,
        description="Hash banks and matching for the Global Alliance against Child Sexual Abuse Online. "
        "Stores hashes, never media. Every read and write is authorised and audited.",
        lifespan=lifespan,
        docs_url=None,  # `routes.docs` serves its own, with assets from the node (no CDN)
        redoc_url=None,
        # Starlette answered `/v1/banks/` with a redirect to an absolute URL built from the Host
        # header, which anyone sets: no redirects, the one spelling of each path.
        redirect_slashes=False,
        # One error body for every failure: documented once for all routes, in place of FastAPI's
        # own 422 body (`HTTPValidationError`), which the node never sends.
        responses={
            "4XX": {"model": ErrorOut, "description": f"Refused: the `error.code` says why: {documented_errors(4)}."},
            "5XX": {
                "model": ErrorOut,
                "description": f"The node cannot answer now (503: retry later): {documented_errors(5)}.",
            },
        },
    )
    # Uploads are parsed in memory: above 1 MB Starlette would otherwise spill a file to a temporary
    # file on disk, and media must never reach the disk. (A class attribute: one value per process.)
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, settings.max_file_bytes + UPLOAD_OVERHEAD)
    bursts = BurstLog(node.audit)
    app.state.node = node
    app.state.bursts = bursts
    app.state.buckets = TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst)
    # Per client address: failed authentications, and failed logins (each replica on its own).
    app.state.anonymous_buckets = TokenBuckets(settings.anonymous_rate_per_second, settings.anonymous_burst)
    app.state.login_throttle = LoginThrottle(settings.login_max_failures, settings.login_lockout_max_seconds)
    app.state.login_slots = LoginSlots(settings.login_concurrency)
    app.state.upload_slots = UploadSlots(settings.uploads_per_key)
    # Every route that hashes runs its hashing on a thread under this limiter: at most
    # `hashing_slots` uploads are hashed at once, and the others wait in the event loop.
    app.state.hashing_limiter = anyio.CapacityLimiter(settings.hashing_slots)
    handlers.install(app)
    for module in (health, matching, banks, trust, investigations, admin, audit, session):
        app.include_router(module.router)
    app.include_router(alliance_routes.router)
    app.include_router(metrics_router)
    docs.install(app)
    # The login flow (throttle, slots, audit) for the web pages too, which may not import the API.
    app.state.login = session.login_flow
    app.add_middleware(
        BodyLimit, json_limit=settings.max_request_bytes, upload_limit=settings.max_file_bytes + UPLOAD_OVERHEAD
    )
    app.add_middleware(AuthenticateFirst)  # no credential, no body read, no 413 to record
    app.state.telemetry = telemetry = Telemetry(node, app.state.hashing_limiter)
    app.add_middleware(RequestTelemetry, telemetry=telemetry)  # the outermost: ids, logs and metrics of all
    return app


def app_from_env() -> FastAPI:
    """The app for `uvicorn --factory`: settings from the environment, as `alliance serve` sets them."""
    settings = Settings()
    install_json_logging(settings.log_level)
    return create_app(settings)
