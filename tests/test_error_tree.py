"""The one error tree: every error Alliance raises on purpose is a class of `core.errors`, and
carries the HTTP status and the CLI exit code the adapters answer with."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import alliance
from alliance.api.app import create_app
from alliance.api.errors import error_tree
from alliance.core import errors
from alliance.core.errors import AllianceError
from alliance.settings import Settings

DOCUMENTED_EXIT_CODES = {3, 4, 5, 6}
"""The README's "Exit codes" paragraph: 3 not found, 4 invalid input, 5 conflict, 6 store or index."""

TODAY = {
    "InvalidSignal": (422, 4),
    "HashingError": (422, 4),
    "FormatError": (422, 4),
    "InvalidRequest": (422, 4),
    "NotFound": (404, 3),
    "Conflict": (409, 5),
    "AuthenticationFailed": (401, 4),
    "CsrfFailed": (403, 4),
    "PayloadTooLarge": (413, 4),
    "RateLimited": (429, 4),
    "Throttled": (429, 4),
    "StoreUnavailable": (503, 6),
    "IndexFileError": (503, 6),
    "Overloaded": (503, 6),
}
"""Statuses and exit codes as the hand-kept tables had them before they went."""


def _every_alliance_module() -> None:
    for module in pkgutil.walk_packages(alliance.__path__, "alliance."):
        if ".migrations" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def _alliance_errors() -> list[type[AllianceError]]:
    _every_alliance_module()  # a class defined anywhere in the package is a subclass by now
    return [kind for kind in error_tree() if kind.__module__.startswith("alliance.")]


def test_every_error_class_lives_in_the_one_module() -> None:
    strays = [f"{kind.__module__}.{kind.__name__}" for kind in _alliance_errors() if kind.__module__ != errors.__name__]
    assert strays == []


@pytest.mark.parametrize("kind", _alliance_errors(), ids=lambda kind: kind.__name__)
def test_every_error_class_has_a_status_and_an_exit_code(kind: type[AllianceError]) -> None:
    assert isinstance(kind.status, int) and 400 <= kind.status < 600
    assert kind.exit_code in DOCUMENTED_EXIT_CODES


def test_statuses_and_exit_codes_stay_what_they_were() -> None:
    tree = {kind.__name__: (kind.status, kind.exit_code) for kind in _alliance_errors() if kind is not AllianceError}
    assert tree == TODAY


def test_every_documented_error_status_is_one_of_the_tree(tmp_path) -> None:
    app = create_app(Settings(home=tmp_path / "home", database_url=None, hash_jobs=1))
    statuses = {kind.status for kind in error_tree()}
    documented: set[int] = set()
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code[0] in "45":
                    named = {int(status) for status in re.findall(r"\((\d{3})\)", response["description"])}
                    explicit = {int(code)} if code.isdigit() else set()
                    assert named | explicit <= statuses, f"{method} {path} {code}"
                    assert all(str(status)[0] == code[0] for status in named), f"{method} {path} {code}"
                    documented |= named | explicit
    assert documented == {kind.status for kind in error_tree() if kind is not AllianceError}
