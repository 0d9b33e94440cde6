"""The served app: the HTTP API (`alliance.api`) with the web pages (`alliance.web`) in one process.

The composition root of the two adapters, as `node.py` is of the services: neither adapter imports
the other (`make lint` checks it), and `alliance serve` names this module for uvicorn.
"""

from __future__ import annotations

from fastapi import FastAPI

from alliance import web
from alliance.api.app import create_app as create_api
from alliance.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """The API under /v1 and /docs, the web pages under /."""
    app = create_api(settings)
    web.install(app)
    return app


def app_from_env() -> FastAPI:
    """The app for `uvicorn --factory`: settings from the environment, as `alliance serve` sets them."""
    return create_app(Settings())
