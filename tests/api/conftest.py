"""An API node on each backend, with two organisations and an API key for every role in each.

Organisation A (GB) owns a private bank with one entry; organisation B (DE) owns nothing. A caller
from A is "own", from B "foreign".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from alliance.api.app import create_app
from alliance.core.access import SYSTEM, OrgKind, Principal, Role
from alliance.core.banks import EntryStatus, NewEntry, Organisation
from alliance.core.signals import Signal
from alliance.node import Node
from alliance.services.hashing import hash_files
from alliance.settings import Settings
from alliance.store.trust_store import MatchEvent

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    client: TestClient
    node: Node
    own: Organisation
    foreign: Organisation
    keys: dict[tuple[Role, bool], str] = field(default_factory=dict)  # (role, own?) -> API key
    users: dict[tuple[Role, bool], str] = field(default_factory=dict)  # (role, own?) -> username
    bank: str = "own-bank"
    entry_id: int = 0
    photos: list[Path] = field(default_factory=list)

    def headers(self, role: Role | None, own: bool = True) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Bearer {self.keys[(role, own)]}"}

    def analyst(self) -> Principal:
        org = self.own
        return Principal(org.id, org.name, org.country, frozenset({Role.ANALYST}), name="setup", person="setup")

    def fresh_entry(self, status: EntryStatus = EntryStatus.CONFIRMED, needs_review: bool = False) -> int:
        """A new entry in the own bank in `status`, so that a test that changes one leaves the others alone."""
        bank = self.node.store.get_bank(self.bank)
        n = len(self.node.store.list_entries(bank.id, include_retired=True)) + 1000
        initial = EntryStatus.PROPOSED if status is EntryStatus.PROPOSED else EntryStatus.CONFIRMED
        added, _ = self.node.store.add_entries(bank.id, [NewEntry((Signal("md5", format(n, "032x")),))], status=initial)
        entry_id = added[0].id
        if status not in (EntryStatus.PROPOSED, EntryStatus.CONFIRMED):
            self.node.store.transition(entry_id, status, "test", "set up")
        if needs_review:
            self.node.trust_store.mark_review(entry_id)
        return entry_id

    def fresh_match(self) -> str:
        """A match made by the own organisation, to be disputed."""
        match_id = uuid.uuid4().hex
        event = MatchEvent(
            match_id,
            datetime.now(UTC),
            self.own.id,
            None,
            self.node.store.get_bank(self.bank).id,
            self.entry_id,
            "md5",
            0,
            "original",
        )
        self.node.trust_store.add_match_events([event])
        return match_id

    def fresh_key(self, role: Role = Role.PLATFORM) -> int:
        return self.node.accounts.create_key(SYSTEM, self.own.id, "spare", frozenset({role})).key.id

    def fresh_user(self) -> int:
        """A new org admin of the own organisation: one an org admin may administer (it holds its roles)."""
        username = f"spare-{len(self.node.accounts.store.users())}"
        return self.node.accounts.create_user(SYSTEM, self.own.id, username, PASSWORD, frozenset({Role.ORG_ADMIN})).id


@pytest.fixture
def settings_for(tmp_path: Path):
    def make(engine: Engine, **overrides) -> Settings:
        url = engine.url.render_as_string(hide_password=False)
        overrides.setdefault("default_required_grades", 0)  # most tests want entries to match at once
        return Settings(
            home=tmp_path / "home",
            database_url=url,
            hash_jobs=1,
            max_concurrent_hashing=2,
            match_refresh_seconds=0,
            **overrides,
        )

    return make


def build_world(settings: Settings, photos: list[Path]) -> Iterator[World]:
    app = create_app(settings)
    with TestClient(app) as client:
        node: Node = app.state.node
        # Both may hold every role, so that the matrix can try each role in each; the kinds'
        # boundaries have their own tests (test_organisation_kinds.py).
        own = node.accounts.create_organisation(SYSTEM, "UK Hotline", "GB", OrgKind.NODE_OPERATOR, frozenset(Role))
        foreign = node.accounts.create_organisation(SYSTEM, "DE Police", "DE", OrgKind.NODE_OPERATOR, frozenset(Role))
        world = World(client, node, own, foreign, photos=photos)
        for org, is_own in ((own, True), (foreign, False)):
            for role in Role:
                username = f"{role.value}-{'own' if is_own else 'foreign'}"
                node.accounts.create_user(SYSTEM, org.id, username, PASSWORD, frozenset({role}))
                world.users[(role, is_own)] = username
                world.keys[(role, is_own)] = node.accounts.create_key(
                    SYSTEM, org.id, role.value, frozenset({role}), for_user=username
                ).token
        banks = node.banks_for(world.analyst())
        banks.create_bank(world.bank)
        world.entry_id = banks.add_files(world.bank, list(hash_files(photos[:1]))).added[0].id
        yield world


@pytest.fixture
def world(engine: Engine, settings_for, photos: list[Path]) -> Iterator[World]:
    yield from build_world(settings_for(engine), photos)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its production cost makes 28 test users take seconds; the logic is the same."""
    from argon2 import PasswordHasher

    import alliance.services.accounts as accounts

    monkeypatch.setattr(accounts, "_passwords", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
