"""Two `alliance serve` processes on one PostgreSQL store: an entry added through one matches on the other."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from alliance.core.access import SYSTEM, OrgKind, Role
from alliance.node import Node
from alliance.settings import Settings

pytestmark = pytest.mark.postgres
MD5 = "0123456789abcdef0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()[-4000:] if log else ''}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready after {timeout} s")


@pytest.fixture
def replicas(engine: Engine, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    if engine.dialect.name != "postgresql":
        pytest.skip("replicas share a PostgreSQL store")
    url = engine.url.render_as_string(hide_password=False)
    node = Node(Settings(home=tmp_path / "setup", database_url=url))
    org = node.accounts.create_organisation(SYSTEM, "UK Hotline", "GB", OrgKind.NODE_OPERATOR, frozenset(Role))
    token = node.accounts.create_key(SYSTEM, org.id, "replica test", frozenset({Role.ANALYST, Role.ORG_ADMIN})).token
    node.close()
    processes, urls, logs = [], [], []
    for name in ("a", "b"):
        port = free_port()
        env = {
            **os.environ,
            "ALLIANCE_DATABASE_URL": url,
            "ALLIANCE_HOME": str(tmp_path / name),
            "ALLIANCE_MATCH_REFRESH_SECONDS": "0.5",
        }
        command = [sys.executable, "-m", "alliance.cli", "serve", "--port", str(port)]
        logs.append(tmp_path / f"{name}.log")  # a JSON line per request: a file, not a pipe nobody reads
        with logs[-1].open("wb") as log:
            processes.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url_, process, log_path in zip(urls, processes, logs, strict=True):
            wait_ready(url_, process, log_path)
        yield urls[0], urls[1], token
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def test_an_entry_added_on_one_replica_matches_on_the_other_within_2_seconds(replicas):
    first, second, token = replicas
    headers = {"Authorization": f"Bearer {token}"}
    bank = {"name": "shared", "trust": {"required_grades": 0}}  # a list graded elsewhere: entries match at once
    assert httpx.post(f"{first}/v1/banks", headers=headers, json=bank).status_code == 201
    query = {"signals": [{"type": "pdq", "value": "ab" * 32}, {"type": "md5", "value": MD5}]}
    assert httpx.post(f"{second}/v1/match", headers=headers, json=query).json()["matches"] == []
    entry = {"entries": [{"signals": [{"type": "pdq", "value": "ab" * 32, "quality": 90}]}]}
    added = httpx.post(f"{first}/v1/banks/shared/entries", headers=headers, json=entry)
    assert added.status_code == 201
    started = time.monotonic()
    while time.monotonic() - started < 2.0:
        matches = httpx.post(f"{second}/v1/match", headers=headers, json=query).json()["matches"]
        if matches:
            break
        time.sleep(0.05)
    assert [m["signal_type"] for m in matches] == ["pdq"], "no match on the second replica within 2 seconds"


def test_a_key_revoked_on_one_replica_is_refused_by_the_other_within_2_seconds(replicas):
    first, second, token = replicas
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{second}/v1/me", headers=headers).json()  # the second replica now has the key cached
    issued = httpx.post(
        f"{first}/v1/organisations/{me['organisation_id']}/keys",
        headers=headers,
        json={"name": "short-lived", "roles": ["analyst"], "scopes": ["match"]},
    ).json()
    other = {"Authorization": f"Bearer {issued['token']}"}
    query = {"signals": [{"type": "md5", "value": MD5}]}
    assert httpx.post(f"{second}/v1/match", headers=other, json=query).status_code == 200  # cached there
    assert httpx.post(f"{first}/v1/keys/{issued['id']}/revoke", headers=headers).status_code == 200
    started = time.monotonic()
    while time.monotonic() - started < 2.0:
        status = httpx.post(f"{second}/v1/match", headers=other, json=query).status_code
        if status == 401:
            break
        time.sleep(0.05)
    assert status == 401, "the revoked key still worked on the second replica after 2 seconds"


def within_2_seconds(request: Callable[[], httpx.Response], status: int) -> float:
    """Seconds until `request` answers `status` (at most 2, or the test fails)."""
    started = time.monotonic()
    while (answer := request().status_code) != status and time.monotonic() - started < 2.0:
        time.sleep(0.05)
    assert answer == status, f"still {answer}, not {status}, on the other replica after 2 seconds"
    return time.monotonic() - started


def test_each_lifecycle_action_on_one_replica_is_audited_and_holds_on_the_other_within_2_seconds(
    replicas, engine: Engine, tmp_path: Path
):
    first, second, token = replicas
    admin = {"Authorization": f"Bearer {token}"}
    org_id = httpx.get(f"{first}/v1/me", headers=admin).json()["organisation_id"]
    password = "a long enough password 1"
    body = {"username": "ana", "password": password, "roles": ["analyst"]}
    user = httpx.post(f"{first}/v1/organisations/{org_id}/users", headers=admin, json=body).json()

    def key(name: str, for_user: str | None = None) -> tuple[int, dict[str, str]]:
        body = {"name": name, "roles": ["analyst"], "scopes": ["read", "match"], "for_user": for_user}
        issued = httpx.post(f"{first}/v1/organisations/{org_id}/keys", headers=admin, json=body).json()
        return issued["id"], {"Authorization": f"Bearer {issued['token']}"}

    def login(url: str, secret: str) -> httpx.Response:
        return httpx.post(f"{url}/v1/session", json={"username": "ana", "password": secret})

    def banks(url: str, headers: dict[str, str]) -> Callable[[], httpx.Response]:
        return lambda: httpx.get(f"{url}/v1/banks", headers=headers)

    _, ana_key = key("ana's", for_user="ana")
    rotated_id, rotated = key("to rotate")
    revoked_id, revoked = key("to revoke")
    session = {"Cookie": f"alliance_session={login(second, password).cookies['alliance_session']}"}
    for headers in (session, ana_key, rotated, revoked):  # each known (and keys cached) on the second replica
        assert banks(second, headers)().status_code == 200
    done: dict[str, str] = {}  # audit action -> the request id of the call on the first replica

    ended = httpx.delete(f"{first}/v1/users/{user['id']}/sessions", headers=admin)
    done["user.end_sessions"] = ended.headers["x-request-id"]
    within_2_seconds(banks(second, session), 401)

    reset = httpx.post(f"{first}/v1/users/{user['id']}/reset-password", headers=admin, json={})
    done["user.reset_password"] = reset.headers["x-request-id"]
    within_2_seconds(lambda: login(second, password), 401)
    temporary = login(second, reset.json()["password"])
    assert temporary.status_code == 200 and temporary.json()["must_change_password"] is True
    fresh = {"Cookie": f"alliance_session={temporary.cookies['alliance_session']}"}
    assert banks(second, fresh)().status_code == 401  # nothing but changing it

    disabled = httpx.post(f"{first}/v1/users/{user['id']}/disable", headers=admin)
    done["user.disable"] = disabled.headers["x-request-id"]
    within_2_seconds(banks(second, ana_key), 401)

    rotation = httpx.post(f"{first}/v1/keys/{rotated_id}/rotate", headers=admin, json={"grace_hours": 0})
    done["key.rotate"] = rotation.headers["x-request-id"]
    within_2_seconds(banks(second, rotated), 401)
    assert banks(second, {"Authorization": f"Bearer {rotation.json()['token']}"})().status_code == 200

    revocation = httpx.post(f"{first}/v1/keys/{revoked_id}/revoke", headers=admin)
    done["key.revoke"] = revocation.headers["x-request-id"]
    within_2_seconds(banks(second, revoked), 401)

    node = Node(Settings(home=tmp_path / "check", database_url=engine.url.render_as_string(hide_password=False)))
    try:
        for action, request_id in done.items():
            events = node.audit.store.events(action=action, request_id=request_id)
            assert [(e.record.outcome, e.record.actor.endswith("(replica test)")) for e in events] == [("ok", True)]
    finally:
        node.close()
