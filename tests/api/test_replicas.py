"""Two `alliance serve` processes on one PostgreSQL store: an entry added through one matches on the other."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stderr.read().decode() if process.stderr else ''}")
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
    processes, urls = [], []
    for name in ("a", "b"):
        port = free_port()
        env = {
            **os.environ,
            "ALLIANCE_DATABASE_URL": url,
            "ALLIANCE_HOME": str(tmp_path / name),
            "ALLIANCE_MATCH_REFRESH_SECONDS": "0.5",
        }
        command = [sys.executable, "-m", "alliance.cli", "serve", "--port", str(port)]
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url_, process in zip(urls, processes, strict=True):
            wait_ready(url_, process)
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
