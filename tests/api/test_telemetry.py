"""What a node tells its operator: /metrics in the Prometheus format, and one JSON log line per
request whose request id is the one in the request's audit events and its X-Request-ID header."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from alliance.api.telemetry import install_json_logging
from alliance.core.access import SYSTEM, OrgKind, Role
from tests.api.conftest import PASSWORD, World

R = Role
METRICS_TOKEN = "a-monitor's-token-for-metrics"
UNMATCHED = "0f" * 32


def scrape(world: World) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels, read with prometheus-client's own parser."""
    response = world.client.get("/metrics", headers=world.headers(R.NODE_ADMIN))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_parse_and_move_as_requests_are_served(world: World):
    query = {"signals": [{"type": "md5", "value": "0" * 32}]}
    before = scrape(world)
    for _ in range(3):
        assert world.client.post("/v1/match", headers=world.headers(R.PLATFORM), json=query).status_code == 200
    assert world.client.post("/v1/session", json={"username": "nobody", "password": "wrong"}).status_code == 401
    after = scrape(world)

    route = {"route": "/v1/match", "method": "POST"}
    assert (
        value(after, "alliance_http_requests_total", **route, status="200")
        - value(before, "alliance_http_requests_total", **route, status="200")
        == 3
    )
    assert (
        value(after, "alliance_http_request_duration_seconds_count", **route)
        - value(before, "alliance_http_request_duration_seconds_count", **route)
        == 3
    )
    assert value(after, "alliance_match_requests_total") - value(before, "alliance_match_requests_total") == 3
    assert value(after, "alliance_login_failures_total") - value(before, "alliance_login_failures_total") == 1
    # The gauges describe the node now.
    assert value(after, "alliance_index_hashes") >= 1
    assert value(after, "alliance_index_last_refresh_timestamp_seconds") > 0
    assert value(after, "alliance_hashing_slots") == 2
    assert ("alliance_writer_backlog", (("writer", "audit"),)) in after


def test_matches_and_rate_limit_refusals_are_counted(engine: Engine, settings_for, photos):
    from tests.api.conftest import build_world

    worlds = build_world(settings_for(engine, rate_limit_per_second=0.01, rate_limit_burst=3), photos)
    world = next(worlds)
    try:
        entry = world.node.store.get_entry(world.entry_id)
        pdq = next(s for s in entry.signals if s.type == "pdq")
        query = {"signals": [{"type": "pdq", "value": pdq.value}]}
        headers = world.headers(R.ANALYST)
        before = scrape(world)
        statuses = [world.client.post("/v1/match", headers=headers, json=query).status_code for _ in range(5)]
        after = scrape(world)
    finally:
        worlds.close()
    assert statuses == [200, 200, 200, 429, 429]
    assert value(after, "alliance_matches_total") - value(before, "alliance_matches_total") == 3
    refused = value(after, "alliance_rate_limit_refusals_total", route="/v1/match")
    assert refused - value(before, "alliance_rate_limit_refusals_total", route="/v1/match") == 2


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer not-the-token"}, 401),
        ({"Authorization": f"Bearer {METRICS_TOKEN}"}, 200),
    ],
    ids=["anonymous", "wrong-token", "metrics-token"],
)
def test_metrics_need_the_metrics_token_or_a_node_admin(engine: Engine, settings_for, photos, headers, status):
    from tests.api.conftest import build_world

    worlds = build_world(settings_for(engine, metrics_token=METRICS_TOKEN), photos)
    world = next(worlds)
    try:
        assert world.client.get("/metrics", headers=headers).status_code == status
        for role in R:  # any other key: as if there were nothing there
            expected = 200 if role is R.NODE_ADMIN else 404
            assert world.client.get("/metrics", headers=world.headers(role)).status_code == expected, role
    finally:
        worlds.close()


@pytest.fixture
def log_lines(world: World) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = install_json_logging("info", stream)
    yield stream
    for name in ("alliance", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


def test_every_request_logs_one_line_with_the_request_id_of_its_audit_events(world: World, log_lines: io.StringIO):
    org = world.own.id
    user = world.node.accounts.create_user(SYSTEM, org, "logged", PASSWORD, frozenset({R.ANALYST}))
    requests = [
        ("POST", "/v1/match", R.PLATFORM, {"signals": [{"type": "md5", "value": "1" * 32}]}),
        ("GET", f"/v1/banks/{world.bank}/entries", R.ANALYST, None),
        ("GET", f"/v1/entries/{world.entry_id}", R.ANALYST, None),
        ("GET", f"/v1/entries/{world.entry_id}", R.PLATFORM, None),  # refused: 404, audited
        ("POST", f"/v1/users/{user.id}/disable", R.NODE_ADMIN, None),
    ]
    entry, disable = "/v1/entries/{entry_id}", "/v1/users/{user_id}/disable"
    templates = ["/v1/match", "/v1/banks/{name}/entries", entry, entry, disable]
    ids = []
    for method, path, role, body in requests:
        response = world.client.request(method, path, headers=world.headers(role), json=body)
        ids.append(response.headers["x-request-id"])
    assert len(set(ids)) == len(ids)
    world.node.audit.flush()

    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    requests_logged = {line["request_id"]: line for line in lines if line["message"] == "request"}
    for request_id, (method, path, _, _), template in zip(ids, requests, templates, strict=True):
        line = requests_logged[request_id]
        assert line["method"] == method and line["level"] == "info" and line["ms"] >= 0
        assert line["route"] == template
        events = world.node.audit.store.events(request_id=request_id)
        assert events, f"no audit event of {method} {path}"
        assert {e.record.request_id for e in events} == {request_id}
    assert [requests_logged[i]["status"] for i in ids] == [200, 200, 200, 404, 200]
    assert world.node.audit.verify()[2] == []  # request ids are part of the chain, and it holds
    # The audit API finds a request's events by its id, too.
    found = world.client.get("/v1/audit", params={"request_id": ids[1]}, headers=world.headers(R.NODE_ADMIN))
    assert [e["request_id"] for e in found.json()["events"]] == [ids[1]]


def test_logs_hold_no_unmatched_hash_and_no_secret(world: World, log_lines: io.StringIO):
    key = world.keys[(R.PLATFORM, True)]
    org = world.node.accounts.create_organisation(SYSTEM, "Logged", "FR", OrgKind.HOTLINE)
    world.node.accounts.create_user(SYSTEM, org.id, "secretive", PASSWORD, frozenset({R.ANALYST}))
    query = {"signals": [{"type": "pdq", "value": UNMATCHED}, {"type": "md5", "value": "ab" * 16}]}
    answer = world.client.post("/v1/match", headers={"Authorization": f"Bearer {key}"}, json=query)
    assert answer.json()["matches"] == []
    wrong_key = key[:-4] + "0000"
    assert world.client.get("/v1/banks", headers={"Authorization": f"Bearer {wrong_key}"}).status_code == 401
    login = world.client.post("/v1/session", json={"username": "secretive", "password": PASSWORD})
    cookie = login.cookies["alliance_session"]
    world.client.cookies.clear()
    assert world.client.get(f"/v1/banks?note={UNMATCHED}", headers={"Cookie": f"alliance_session={cookie}"})
    world.client.post("/v1/session", json={"username": "secretive", "password": PASSWORD + "x"})

    logged = log_lines.getvalue()
    assert logged.count('"message": "request"') == 5
    for secret in (UNMATCHED, "ab" * 16, key, key.split("_")[-1], wrong_key.split("_")[-1], PASSWORD, cookie):
        assert secret not in logged


def test_the_grafana_dashboard_uses_only_metrics_the_node_exposes(world: World):
    import re
    from pathlib import Path

    dashboard = json.loads((Path(__file__).parents[2] / "docs" / "grafana-dashboard.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in expressions for name in re.findall(r"\balliance_\w+", expr)}
    text = world.client.get("/metrics", headers=world.headers(R.NODE_ADMIN)).text
    families = {family.name for family in text_string_to_metric_families(text)}  # declared, with or without samples
    exposed = {family + suffix for family in families for suffix in ("", "_total", "_bucket", "_count", "_sum")}
    assert len(used) >= 10
    assert used <= exposed, used - exposed
