"""Every route x every role x own and foreign organisation, with the exact expected status.

The table below is the whole policy as a caller sees it. A route added to the API without a row
here fails `test_every_route_has_a_row`, so nobody can ship an endpoint whose access was never
decided.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from alliance.core.access import Role
from alliance.core.banks import EntryStatus
from tests.api import alliance_world as aw
from tests.api import investigation_world as iw
from tests.api.conftest import PASSWORD, World

R = Role
EVERYONE = frozenset(Role)
CURATORS = frozenset({R.NODE_ADMIN, R.ORG_ADMIN, R.ANALYST})
READERS = frozenset({R.NODE_ADMIN, R.ORG_ADMIN, R.ANALYST, R.INVESTIGATOR})
MATCHERS = READERS | {R.PLATFORM}
ADMINS = frozenset({R.NODE_ADMIN, R.ORG_ADMIN})
AUDITORS = frozenset({R.NODE_ADMIN, R.AUDITOR})
NODE_ADMIN = frozenset({R.NODE_ADMIN})
GRADERS = frozenset({R.ANALYST, R.INVESTIGATOR})


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as in the OpenAPI schema
    ok: int
    own: frozenset[Role]  # roles of the resource's own organisation that may
    foreign: frozenset[Role]  # roles of another organisation that may
    request: Callable[[World], dict[str, Any]]  # url (concrete path), json, files, params
    anonymous: int = 401


def photo(world: World) -> dict[str, Any]:
    return {"file": ("photo.jpg", world.photos[1].read_bytes(), "image/jpeg")}


TABLE = [
    Row("GET", "/healthz", 200, EVERYONE, EVERYONE, lambda w: {"url": "/healthz"}, anonymous=200),
    Row("GET", "/readyz", 200, EVERYONE, EVERYONE, lambda w: {"url": "/readyz"}, anonymous=200),
    Row("GET", "/metrics", 200, NODE_ADMIN, NODE_ADMIN, lambda w: {"url": "/metrics"}),
    Row("POST", "/v1/hash", 200, EVERYONE, EVERYONE, lambda w: {"url": "/v1/hash", "files": photo(w)}),
    Row(
        "POST",
        "/v1/match",
        200,
        MATCHERS,
        NODE_ADMIN,
        lambda w: {"url": "/v1/match", "json": {"signals": [{"type": "md5", "value": "0" * 32}], "banks": [w.bank]}},
    ),
    Row(
        "POST",
        "/v1/match/upload",
        200,
        MATCHERS,
        NODE_ADMIN,
        lambda w: {"url": "/v1/match/upload", "files": photo(w), "params": {"bank": w.bank}},
    ),
    Row("GET", "/v1/banks", 200, EVERYONE, EVERYONE, lambda w: {"url": "/v1/banks"}),
    Row(
        "POST",
        "/v1/banks",
        201,
        CURATORS,
        CURATORS,
        lambda w: {"url": "/v1/banks", "json": {"name": f"new-{len(w.node.store.list_banks())}"}},
    ),
    Row("GET", "/v1/banks/{name}", 200, MATCHERS, NODE_ADMIN, lambda w: {"url": f"/v1/banks/{w.bank}"}),
    Row(
        "PATCH",
        "/v1/banks/{name}",
        200,
        CURATORS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/banks/{w.bank}", "json": {"description": "updated"}},
    ),
    Row("GET", "/v1/banks/{name}/entries", 200, READERS, NODE_ADMIN, lambda w: {"url": f"/v1/banks/{w.bank}/entries"}),
    Row(
        "POST",
        "/v1/banks/{name}/entries",
        201,
        READERS,
        NODE_ADMIN,
        lambda w: {
            "url": f"/v1/banks/{w.bank}/entries",
            "json": {
                "entries": [
                    {"signals": [{"type": "sha256", "value": format(len(w.node.audit.store.events()), "064x")}]}
                ]
            },
        },
    ),
    Row(
        "POST",
        "/v1/banks/{name}/entries/upload",
        201,
        READERS,
        NODE_ADMIN,
        lambda w: {
            "url": f"/v1/banks/{w.bank}/entries/upload",
            "files": photo(w),
            "params": {"skip_duplicates": "true"},
        },
    ),
    Row("GET", "/v1/entries/{entry_id}", 200, READERS, NODE_ADMIN, lambda w: {"url": f"/v1/entries/{w.entry_id}"}),
    Row(
        "POST",
        "/v1/entries/{entry_id}/retire",
        200,
        CURATORS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/entries/{w.fresh_entry()}/retire", "json": {"reason": "test"}},
    ),
    Row("GET", "/v1/review", 200, EVERYONE, EVERYONE, lambda w: {"url": "/v1/review"}),
    Row(
        "POST",
        "/v1/entries/{entry_id}/grades",
        201,
        GRADERS,
        frozenset(),
        lambda w: {
            "url": f"/v1/entries/{w.fresh_entry(EntryStatus.PROPOSED)}/grades",
            "json": {"illegal": True, "age_band": "pubescent", "severity": 3},
        },
    ),
    Row(
        "GET",
        "/v1/entries/{entry_id}/grades",
        200,
        CURATORS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/entries/{w.entry_id}/grades"},
    ),
    Row(
        "POST",
        "/v1/entries/{entry_id}/review",
        200,
        CURATORS,
        NODE_ADMIN,
        lambda w: {
            "url": f"/v1/entries/{w.fresh_entry(EntryStatus.PROPOSED, needs_review=True)}/review",
            "json": {"grade": {"illegal": False, "age_band": "none"}, "reason": "settled"},
        },
    ),
    Row(
        "POST",
        "/v1/matches/{match_id}/dispute",
        200,
        MATCHERS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/matches/{w.fresh_match()}/dispute", "json": {"reason": "a meme"}},
    ),
    # Each organisation reads its own disputes (possibly none).
    Row("GET", "/v1/disputes", 200, EVERYONE, EVERYONE, lambda w: {"url": "/v1/disputes"}),
    Row(
        "POST",
        "/v1/entries/{entry_id}/dispute-resolution",
        200,
        CURATORS,
        NODE_ADMIN,
        lambda w: {
            "url": f"/v1/entries/{w.fresh_entry(EntryStatus.DISPUTED)}/dispute-resolution",
            "json": {"outcome": "entry_stands", "reason": "checked"},
        },
    ),
    Row(
        "POST",
        "/v1/entries/{entry_id}/lift-quarantine",
        200,
        CURATORS,
        NODE_ADMIN,
        lambda w: {
            "url": f"/v1/entries/{w.fresh_entry(EntryStatus.QUARANTINED)}/lift-quarantine",
            "json": {"reason": "reviewed"},
        },
    ),
    Row(
        "GET",
        "/v1/entries/{entry_id}/history",
        200,
        READERS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/entries/{w.entry_id}/history"},
    ),
    # Investigations: police only (the investigator role, which only law enforcement holds), each
    # agency its own; another's series and cases exist for it only as their policy shares them
    # (nothing, here). Node admins run the node, not investigations: 404 too.
    Row("GET", "/v1/series", 200, iw.INVESTIGATORS, iw.INVESTIGATORS, lambda w: {"url": "/v1/series"}),
    Row(
        "POST",
        "/v1/series",
        201,
        iw.INVESTIGATORS,
        iw.INVESTIGATORS,
        lambda w: {"url": "/v1/series", "json": {"name": f"s-{iw.n()}"}},
    ),
    Row(
        "GET",
        "/v1/series/{series_id}",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/series/{iw.series(w)}"},
    ),
    Row(
        "PATCH",
        "/v1/series/{series_id}",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/series/{iw.series(w)}", "json": {"active": True}},
    ),
    Row(
        "GET",
        "/v1/series/{series_id}/items",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/series/{iw.series(w)}/items"},
    ),
    Row(
        "POST",
        "/v1/series/{series_id}/items",
        201,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/series/{iw.series(w)}/items", "json": iw.items()},
    ),
    Row(
        "POST",
        "/v1/series/{series_id}/links",
        201,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {
            "url": f"/v1/series/{iw.series(w)}/links",
            "json": {"other_series": iw.fresh_series(w), "kind": "same_victim"},
        },
    ),
    Row(
        "GET",
        "/v1/series/{series_id}/victims",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/series/{iw.series(w)}/victims"},
    ),
    Row(
        "POST",
        "/v1/series/{series_id}/victims",
        201,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/series/{iw.series(w)}/victims", "json": {"identifier": f"GB-V-{iw.n()}"}},
    ),
    Row(
        "PATCH",
        "/v1/victims/{victim_id}",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/victims/{iw.victim(w)}", "json": {"age_band": "pubescent"}},
    ),
    Row(
        "GET",
        "/v1/series/{series_id}/export",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/series/{iw.series(w)}/export"},
    ),
    Row("GET", "/v1/cases", 200, iw.INVESTIGATORS, iw.INVESTIGATORS, lambda w: {"url": "/v1/cases"}),
    Row(
        "POST",
        "/v1/cases",
        201,
        iw.INVESTIGATORS,
        iw.INVESTIGATORS,
        lambda w: {"url": "/v1/cases", "json": {"case_number": f"C-{iw.n()}"}},
    ),
    Row("GET", "/v1/cases/{case_id}", 200, iw.INVESTIGATORS, frozenset(), lambda w: {"url": f"/v1/cases/{iw.case(w)}"}),
    Row(
        "POST",
        "/v1/cases/{case_id}/close",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/cases/{iw.fresh_case(w)}/close"},
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/items",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/cases/{iw.case(w)}/items", "json": iw.items()},
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/import",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {
            "url": f"/v1/cases/{iw.case(w)}/import",
            "json": {"format": "te-csv", "content": f"signal_type,signal_value\nmd5,{iw.n():032x}\n"},
        },
    ),
    Row(
        "GET",
        "/v1/cases/{case_id}/deconfliction",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/cases/{iw.case(w)}/deconfliction"},
    ),
    Row(
        "GET",
        "/v1/cases/{case_id}/export",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/cases/{iw.case(w)}/export"},
    ),
    Row("GET", "/v1/notifications", 200, iw.INVESTIGATORS, iw.INVESTIGATORS, lambda w: {"url": "/v1/notifications"}),
    Row(
        "POST",
        "/v1/notifications/{notification_id}/read",
        200,
        iw.INVESTIGATORS,
        frozenset(),
        lambda w: {"url": f"/v1/notifications/{iw.notification(w)}/read"},
    ),
    # Counts only, naming no series, case or agency: shared like the Alliance's indicators.
    Row("GET", "/v1/investigations/figures", 200, EVERYONE, EVERYONE, lambda w: {"url": "/v1/investigations/figures"}),
    Row("GET", "/v1/organisations", 200, EVERYONE, EVERYONE, lambda w: {"url": "/v1/organisations"}),
    Row(
        "POST",
        "/v1/organisations",
        201,
        NODE_ADMIN,
        NODE_ADMIN,
        lambda w: {
            "url": "/v1/organisations",
            "json": {"name": f"Org {len(w.node.accounts.store.organisations())}", "country": "FR", "kind": "ngo"},
        },
    ),
    Row(
        "PATCH",
        "/v1/organisations/{org_id}",
        200,
        NODE_ADMIN,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/organisations/{w.own.id}", "json": {"allowed_roles": [r.value for r in Role]}},
    ),
    Row(
        "GET",
        "/v1/organisations/{org_id}/users",
        200,
        ADMINS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/organisations/{w.own.id}/users"},
    ),
    Row(
        "POST",
        "/v1/organisations/{org_id}/users",
        201,
        ADMINS,
        NODE_ADMIN,
        lambda w: {
            "url": f"/v1/organisations/{w.own.id}/users",
            "json": {
                "username": f"u{len(w.node.accounts.store.users())}",
                "password": PASSWORD,
                "roles": ["org_admin"],
            },
        },
    ),
    Row(
        "GET",
        "/v1/organisations/{org_id}/keys",
        200,
        ADMINS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/organisations/{w.own.id}/keys"},
    ),
    Row(
        "POST",
        "/v1/organisations/{org_id}/keys",
        201,
        ADMINS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/organisations/{w.own.id}/keys", "json": {"name": "k", "roles": ["org_admin"]}},
    ),
    Row(
        "POST",
        "/v1/keys/{key_id}/revoke",
        200,
        ADMINS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/keys/{w.fresh_key()}/revoke"},
    ),
    Row(
        "POST",
        "/v1/keys/{key_id}/rotate",
        200,
        ADMINS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/keys/{w.fresh_key(R.ORG_ADMIN)}/rotate", "json": {"grace_hours": 1}},
    ),
    Row(
        "POST",
        "/v1/users/{user_id}/disable",
        200,
        ADMINS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/users/{w.fresh_user()}/disable"},
    ),
    Row(
        "POST",
        "/v1/users/{user_id}/enable",
        200,
        ADMINS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/users/{w.fresh_user()}/enable"},
    ),
    Row(
        "POST",
        "/v1/users/{user_id}/reset-password",
        200,
        ADMINS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/users/{w.fresh_user()}/reset-password", "json": {}},
    ),
    Row(
        "DELETE",
        "/v1/users/{user_id}/sessions",
        200,
        ADMINS,
        NODE_ADMIN,
        lambda w: {"url": f"/v1/users/{w.fresh_user()}/sessions"},
    ),
    # A key is not a person: only a logged-in user changes their password (test_account_lifecycle.py).
    Row(
        "POST",
        "/v1/session/password",
        422,
        EVERYONE,
        EVERYONE,
        lambda w: {"url": "/v1/session/password", "json": {"current_password": PASSWORD, "new_password": "x" * 12}},
    ),
    Row("GET", "/v1/audit", 200, AUDITORS, AUDITORS, lambda w: {"url": "/v1/audit"}),
    Row("GET", "/v1/audit/export", 200, AUDITORS, AUDITORS, lambda w: {"url": "/v1/audit/export"}),
    Row("GET", "/v1/audit/checkpoint", 200, AUDITORS, AUDITORS, lambda w: {"url": "/v1/audit/checkpoint"}),
    Row("GET", "/v1/me", 200, EVERYONE, EVERYONE, lambda w: {"url": "/v1/me"}),
    Row("DELETE", "/v1/session", 204, EVERYONE, EVERYONE, lambda w: {"url": "/v1/session"}),
    # Logging in needs no credential; each role logs in as its own user.
    Row("POST", "/v1/session", 200, EVERYONE, EVERYONE, lambda w: {"url": "/v1/session"}, anonymous=422),
    # The Alliance. "Own" is GB (the resource's country); the foreign organisation (DE) holds the secretariat.
    Row(
        "GET",
        "/v1/alliance/members",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: aw.seeded(w) and {"url": "/v1/alliance/members", "params": {"on": "2014-09-30"}},
    ),
    Row(
        "GET",
        "/v1/alliance/countries/{code}",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: aw.seeded(w) and {"url": "/v1/alliance/countries/GB"},
    ),
    Row(
        "GET",
        "/v1/alliance/targets",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: aw.seeded(w) and {"url": "/v1/alliance/targets"},
    ),
    Row(
        "GET",
        "/v1/alliance/secretariat",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: aw.seeded(w) and {"url": "/v1/alliance/secretariat"},
    ),
    Row(
        "POST",
        "/v1/alliance/secretariat/handover",
        201,
        aw.NODE_ADMIN,
        aw.SECRETARIAT,
        lambda w: {
            "url": "/v1/alliance/secretariat/handover",
            "json": {"org_id": aw.foreign_secretariat(w).own.id, "chair": "UK"},
        },
    ),
    Row(
        "GET",
        "/v1/alliance/commitments",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: aw.seeded(w) and {"url": "/v1/alliance/commitments"},
    ),
    Row(
        "POST",
        "/v1/alliance/commitments",
        201,
        aw.DRAFTING,
        aw.NODE_ADMIN,
        lambda w: {"url": "/v1/alliance/commitments", "json": aw.commitment_body(w)},
    ),
    Row(
        "PATCH",
        "/v1/alliance/commitments/{commitment_id}",
        200,
        aw.DRAFTING,
        aw.NODE_ADMIN,
        lambda w: {"url": f"/v1/alliance/commitments/{aw.gb_commitment(w)}", "json": {"status": "in_progress"}},
    ),
    Row(
        "GET",
        "/v1/alliance/reports",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: aw.seeded(w) and {"url": "/v1/alliance/reports"},
    ),
    Row(
        "POST",
        "/v1/alliance/reports",
        201,
        aw.DRAFTING,
        aw.NODE_ADMIN,
        lambda w: {"url": "/v1/alliance/reports", "json": {"country": "GB", "year": aw.free_year(w)}},
    ),
    Row(
        "GET",
        "/v1/alliance/reports/{report_id}",
        200,
        aw.DRAFTING,
        aw.NODE_ADMIN,
        lambda w: {"url": f"/v1/alliance/reports/{aw.gb_report(w)}"},
    ),
    Row(
        "PUT",
        "/v1/alliance/reports/{report_id}/sections/{target}",
        200,
        aw.DRAFTING,
        aw.NODE_ADMIN,
        lambda w: {"url": f"/v1/alliance/reports/{aw.gb_report(w)}/sections/3", "json": {"actions": "schools"}},
    ),
    Row(
        "POST",
        "/v1/alliance/reports/{report_id}/submit",
        200,
        aw.DRAFTING,
        aw.NODE_ADMIN,
        lambda w: {"url": f"/v1/alliance/reports/{aw.gb_report(w)}/submit"},
    ),
    Row(
        "POST",
        "/v1/alliance/reports/{report_id}/review",
        200,
        aw.NODE_ADMIN,
        aw.SECRETARIAT,
        lambda w: {"url": f"/v1/alliance/reports/{aw.gb_report(w, aw.ReportStatus.SUBMITTED)}/review", "json": {}},
    ),
    Row(
        "POST",
        "/v1/alliance/reports/{report_id}/return",
        200,
        aw.NODE_ADMIN,
        aw.SECRETARIAT,
        lambda w: {
            "url": f"/v1/alliance/reports/{aw.gb_report(w, aw.ReportStatus.SUBMITTED)}/return",
            "json": {"note": "more on target 3"},
        },
    ),
    Row(
        "POST",
        "/v1/alliance/reports/{report_id}/publish",
        200,
        aw.NODE_ADMIN,
        aw.SECRETARIAT,
        lambda w: {"url": f"/v1/alliance/reports/{aw.gb_report(w, aw.ReportStatus.REVIEWED)}/publish"},
    ),
    Row(
        "POST",
        "/v1/alliance/reports/{report_id}/correction",
        201,
        aw.DRAFTING,
        aw.NODE_ADMIN,
        lambda w: {"url": f"/v1/alliance/reports/{aw.gb_report(w, aw.ReportStatus.PUBLISHED)}/correction"},
    ),
    Row(
        "GET",
        "/v1/alliance/indicators",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: aw.seeded(w) and {"url": "/v1/alliance/indicators", "params": {"country": "GB"}},
    ),
    Row(
        "PUT",
        "/v1/alliance/indicators/{country}/{year}/{name}",
        200,
        aw.DRAFTING,
        aw.SECRETARIAT,
        lambda w: (
            aw.foreign_secretariat(w)
            and {
                "url": "/v1/alliance/indicators/GB/2013/victims_identified",
                "json": {"value": 140, "source": "INTERPOL ICSE"},
            }
        ),
    ),
    Row(
        "GET",
        "/v1/alliance/campaigns",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: aw.seeded(w) and {"url": "/v1/alliance/campaigns", "params": {"q": "share"}},
    ),
    Row(
        "POST",
        "/v1/alliance/campaigns",
        201,
        aw.DRAFTING,
        aw.NODE_ADMIN,
        lambda w: (
            aw.seeded(w)
            and {
                "url": "/v1/alliance/campaigns",
                "json": {
                    "country": "GB",
                    "title": "Sharing is not caring",
                    "audiences": ["children", "parents"],
                    "channel": "social media",
                    "starts": "2014-03-01",
                },
            }
        ),
    ),
    Row(
        "GET",
        "/v1/alliance/campaigns/{campaign_id}",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: {"url": f"/v1/alliance/campaigns/{aw.gb_campaign(w)}"},
    ),
    Row(
        "GET",
        "/v1/alliance/open-data",
        200,
        EVERYONE,
        EVERYONE,
        lambda w: aw.seeded(w) and {"url": "/v1/alliance/open-data"},
    ),
]


def send(world: World, row: Row, role: Role | None, own: bool):
    request = row.request(world)
    url = request.pop("url")
    headers = world.headers(role, own)
    if row.path == "/v1/session" and row.method == "POST":
        headers = {}
        if role is not None:
            request["json"] = {"username": world.users[(role, own)], "password": PASSWORD}
    return world.client.request(row.method, url, headers=headers, **request)


def test_every_route_has_a_row(world: World):
    schema = world.client.get("/openapi.json").json()
    routes = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert routes == {(row.method, row.path) for row in TABLE}


@pytest.mark.parametrize("row", TABLE, ids=lambda r: f"{r.method} {r.path}")
def test_matrix(world: World, row: Row):
    failures = []
    for role in Role:
        for own in (True, False):
            allowed = role in (row.own if own else row.foreign)
            expected = row.ok if allowed else 404
            response = send(world, row, role, own)
            if response.status_code != expected:
                failures.append(
                    f"{role.value} ({'own' if own else 'foreign'}): {response.status_code}, "
                    f"expected {expected}: {response.text[:200]}"
                )
    response = send(world, row, None, True)
    if response.status_code != row.anonymous:
        failures.append(f"anonymous: {response.status_code}, expected {row.anonymous}")
    assert failures == []
