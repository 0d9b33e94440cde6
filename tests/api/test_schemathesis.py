"""Property-based requests over every route of the OpenAPI schema: none may answer 5xx.

Runs as a node admin (the widest rights) against a node on SQLite with a bank and an entry, so
that generated requests reach the code behind every check, not only the authorisation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from alliance.api.app import create_app
from alliance.core.access import SYSTEM, OrgKind, Role
from alliance.core.banks import NewEntry
from alliance.core.signals import Signal
from alliance.settings import Settings

_home = Path(tempfile.mkdtemp(prefix="alliance-schemathesis-"))
app = create_app(
    Settings(home=_home, hash_jobs=1, rate_limit_per_second=1e6, rate_limit_burst=10**6, match_refresh_seconds=0)
)
_node = app.state.node
_org = _node.accounts.create_organisation(SYSTEM, "Fuzz Org", "GB", OrgKind.NODE_OPERATOR, frozenset(Role))
TOKEN = _node.accounts.create_key(SYSTEM, _org.id, "fuzz", frozenset({Role.NODE_ADMIN})).token
_bank = _node.banks_for(SYSTEM).create_bank("fuzz-bank")
_node.store.add_entries(_bank.id, [NewEntry((Signal("md5", "0" * 32),))])

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_route_answers_5xx(case):
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
