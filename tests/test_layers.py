"""The layers hold: the import-linter contracts in pyproject.toml (`make lint` runs them too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import alliance

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept() -> None:
    source = str(Path(alliance.__file__).resolve().parents[1])  # this checkout's src, whatever is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    lint_imports = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_serve_names_the_api_that_uvicorn_loads() -> None:
    """`alliance serve` names the app (API and pages) instead of importing it: the names must resolve."""
    from uvicorn.importer import import_from_string

    from alliance.api.server import HeadLimitedProtocol
    from alliance.asgi import app_from_env
    from alliance.cli.serve import API_APP, API_PROTOCOL

    assert import_from_string(API_APP) is app_from_env
    assert import_from_string(API_PROTOCOL) is HeadLimitedProtocol
