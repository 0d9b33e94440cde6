"""The demo node `make run` serves: organisations in several countries, a login per role, a shared bank."""

import json
import stat
from pathlib import Path

import pytest

from alliance.core.access import Role
from alliance.node import Node
from alliance.services.demo import SHARED_BANK, seed_demo_node
from alliance.settings import Settings


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    import alliance.services.accounts as accounts

    monkeypatch.setattr(accounts, "_passwords", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_demo_seed_gives_every_role_a_working_login_once(tmp_path: Path):
    node = Node(Settings(home=tmp_path / "home", hash_jobs=1))
    credentials = tmp_path / "home" / "demo-credentials.json"
    logins = seed_demo_node(node.accounts, node.banks_for, credentials)
    assert {role for login in logins for role in login.roles} == {r.value for r in Role}
    assert len({o.country for o in node.accounts.store.organisations()}) >= 3
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    for login in logins:
        principal = node.accounts.authenticate_key(login.api_key)
        assert principal.roles == {Role(r) for r in login.roles}
        assert node.accounts.login(login.username, login.password).principal.org_name == login.organisation
    platform = next(login for login in logins if login.username == "us-platform")
    banks = node.banks_for(node.accounts.authenticate_key(platform.api_key)).list_banks()
    assert [b.name for b in banks] == [SHARED_BANK] and banks[0].entry_count == 7
    assert seed_demo_node(node.accounts, node.banks_for, credentials) == logins  # a second start reuses the first
    assert json.loads(credentials.read_text())[0]["username"] == "admin"
