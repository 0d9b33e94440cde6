"""Login throttling and the defences against anonymous load, through the API (trust-model issue,
findings 4 and 5): refusals are cheap, answered in the one error shape, and audited once per burst."""

from __future__ import annotations

from typing import Literal

import anyio
import pytest
from argon2 import PasswordHasher

import alliance.services.accounts as accounts
from alliance.api.limits import LoginSlots, LoginThrottle
from alliance.core.access import SYSTEM, Role
from alliance.core.errors import Overloaded
from alliance.services.audit import MAX_TARGET, BurstLog, bounded
from alliance.settings import Settings
from tests.api.conftest import PASSWORD, World, build_world


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def events(world: World, action: str, outcome: str | None = None):
    world.node.audit.flush()
    return [
        e.record
        for e in world.node.audit.store.events(limit=10_000)
        if e.record.action == action and (outcome is None or e.record.outcome == outcome)
    ]


def all_counts(world: World, action: str, outcome: str) -> list[int]:
    """Counts of every burst so far, the ones still going included."""
    world.client.app.state.bursts.sweep(everything=True)
    return [e.details["count"] for e in events(world, action, outcome)]


def login(world: World, username: str, password: str = "wrong password"):
    return world.client.post("/v1/session", json={"username": username, "password": password})


@pytest.fixture
def counted_argon2(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every password check, counted (after the suite's cheap hasher is in place)."""
    calls: list[int] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            calls.append(1)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "_passwords", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    return calls


def test_repeated_failed_logins_get_429_without_argon2_and_unknown_names_alike(world: World, counted_argon2):
    clock = Clock()
    world.client.app.state.login_throttle = LoginThrottle(5, 900, clock)
    known = world.users[(Role.ANALYST, True)]
    for name in (known, "nobody-at-all"):
        answers = [login(world, name) for _ in range(7)]
        assert [a.status_code for a in answers] == [401] * 5 + [429] * 2
        assert len({a.json()["error"]["message"] for a in answers[:5]}) == 1  # one message, known or not
        refused = answers[-1]
        assert refused.json()["error"]["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
        # Even the right password waits out the lockout: a refusal says nothing about it.
        assert login(world, name, PASSWORD).status_code == 429
    assert len(counted_argon2) == 10  # the five failures of each name, none of the refusals
    clock.now += 1.5  # the first lockout (1 s) is over
    assert login(world, known, PASSWORD).status_code == 200
    assert login(world, known).status_code == 401  # a right password cleared the name's failures


def test_changing_a_names_case_is_the_same_name_to_the_throttle(world: World):
    """ "ANA" logs in as "ana", so its failures count against "ana": case is no way around a lockout."""
    world.client.app.state.login_throttle = LoginThrottle(2, 900, Clock())
    known = world.users[(Role.ANALYST, True)]
    statuses = [login(world, name).status_code for name in (known, known.upper(), known.title())]
    assert statuses == [401, 401, 429]


def test_a_client_address_that_guesses_many_names_is_locked_out(world: World):
    world.client.app.state.login_throttle = LoginThrottle(2, 900, Clock())
    statuses = [login(world, f"name-{n}").status_code for n in range(6)]
    assert statuses == [401] * 4 + [429] * 2  # 2 failures per name, twice that per address


def test_failed_logins_are_audited_once_per_burst_with_a_count(world: World):
    world.client.app.state.login_throttle = LoginThrottle(3, 900, Clock())
    statuses = [login(world, "mallory").status_code for _ in range(10)]
    assert statuses.count(401) == 3 and statuses.count(429) == 7
    assert [e.details["count"] for e in events(world, "session.login")] == [1, 1]  # first of each burst
    assert sum(all_counts(world, "session.login", "failed")) == 3
    assert sum(all_counts(world, "session.login", "throttled")) == 7
    assert len(events(world, "session.login")) == 4 < len(statuses)
    assert all(e.target == "user:mallory" and e.actor == "anonymous" for e in events(world, "session.login"))


def test_login_slots_let_a_few_wait_briefly_and_refuse_the_rest():
    async def main() -> list[str]:
        slots = LoginSlots(1, wait=0.2)
        outcomes: list[str] = []

        async def one(hold: float) -> None:
            try:
                async with slots.hold():
                    await anyio.sleep(hold)
                outcomes.append("ok")
            except Overloaded:
                outcomes.append("busy")

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(one, 1.0)
            await anyio.sleep(0.05)
            for _ in range(10):  # 8 may wait (and time out), 2 are refused at once
                tasks.start_soon(one, 0.0)
        return outcomes

    outcomes = anyio.run(main)
    assert outcomes.count("busy") == 10 and outcomes.count("ok") == 1


def test_a_login_body_is_small(world: World):
    response = world.client.post("/v1/session", json={"username": "x", "password": "p" * 5000})
    assert response.status_code == 413
    assert events(world, "request", "too_large")[-1].details["count"] == 1


def test_a_request_without_a_credential_is_refused_before_its_body_is_read(world: World):
    not_json = world.client.post("/v1/banks", content=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 401  # not 422: the body was never parsed
    huge = world.client.post("/v1/banks", content=b"x" * (17 * 1024 * 1024))
    assert huge.status_code == 401  # not 413: nor read
    h = world.headers(Role.ANALYST)
    assert world.client.post("/v1/banks", content=b"{not json", headers=h).status_code == 422
    assert world.client.post("/v1/match", headers=h, json={"signals": [{"type": "md5", "value": "0" * 32}]}).is_success
    refused = events(world, "auth", "refused")
    assert len(refused) == 1 and refused[0].details["client"] == "testclient"  # one burst so far


def test_failed_authentications_are_limited_per_client_and_audited_once_per_burst(engine, settings_for, photos):
    world = next(build_world(settings_for(engine, anonymous_burst=3, anonymous_rate_per_second=0.01), photos))
    platform = world.headers(Role.PLATFORM)
    assert world.client.get("/v1/me", headers=platform).status_code == 200  # its key is cached from now
    bad = [{"Authorization": f"Bearer alk_{n:08x}_nope"} for n in range(8)] + [{}]
    statuses = [world.client.get("/v1/me", headers=h).status_code for h in bad]
    assert statuses == [401] * 3 + [429] * 6
    assert world.client.get("/v1/me", headers=platform).status_code == 200  # a cached key still works
    world.node.accounts.key_cache_seconds = 0  # as if its cache entry were stale: looked up again
    assert world.client.get("/v1/me", headers=platform).status_code == 200  # a key seen before passes
    forged = {"Authorization": platform["Authorization"][:-4] + "AAAA"}
    assert world.client.get("/v1/me", headers=forged).status_code == 429  # its prefix with another secret
    assert sum(all_counts(world, "auth", "refused")) == 3
    assert sum(all_counts(world, "rate_limit", "refused")) == 7
    assert len(events(world, "auth")) + len(events(world, "rate_limit")) == 4


def test_refusals_of_a_failing_source_are_held_and_a_keys_rate_limit_is_not(
    engine, settings_for, photos, monkeypatch: pytest.MonkeyPatch
):
    """A flood waits for its refusals on its own connections; a known caller over its rate does not."""
    import alliance.api.deps as deps

    held: list[float] = []

    async def record(seconds: float) -> None:
        held.append(seconds)

    monkeypatch.setattr(deps, "hold", record)
    settings = settings_for(
        engine, anonymous_burst=2, anonymous_rate_per_second=0.01, rate_limit_burst=2, rate_limit_per_second=0.01
    )
    world = next(build_world(settings, photos))
    platform = world.headers(Role.PLATFORM)
    assert world.client.get("/v1/me", headers=platform).status_code == 200  # a key this node knows
    bad = [{"Authorization": f"Bearer alk_{n:08x}_nope"} for n in range(5)]
    assert [world.client.get("/v1/me", headers=h).status_code for h in bad] == [401] * 2 + [429] * 3
    assert held == [deps.HOLD_SECONDS] * 3  # the refusals before the store was asked, none of the 401s
    statuses = [world.client.get("/v1/me", headers=platform).status_code for _ in range(3)]
    assert 429 in statuses and len(held) == 3  # a key over its own rate is answered at once


def test_audit_targets_and_details_are_bounded(world: World):
    assert world.client.get("/v1/" + "a" * 60_000).status_code == 401
    (event,) = events(world, "auth")
    assert len(event.target) == MAX_TARGET
    nested = bounded({"text": "x" * 10_000, "items": list(range(1000)), "deep": {"a": {"b": {"c": {"d": {}}}}}})
    assert len(nested["text"]) < 1000 and len(nested["items"]) == 50
    assert nested["deep"]["a"]["b"]["c"] == "..."


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/match", {"signals": [{"type": "md5", "value": "0" * 32}], "banks": ["b"] * 101}),
        ("/v1/match", {"signals": [{"type": "md5", "value": "0" * 32}], "banks": ["b" * 65]}),
        ("/v1/banks", {"name": "many", "thresholds": {f"t{n}": 1 for n in range(65)}}),
    ],
)
def test_lists_and_mappings_in_a_request_are_bounded(world: World, path, body):
    response = world.client.post(path, headers=world.headers(Role.ANALYST), json=body)
    assert response.status_code == 422, response.text


def test_one_key_may_not_hold_every_upload_slot(world: World, photo_bytes: bytes):
    slots = world.client.app.state.upload_slots
    key_id = world.node.accounts.authenticate_key(world.keys[(Role.PLATFORM, True)]).key_id
    with slots.hold(f"key:{key_id}"):  # as if an upload of the key's were being hashed
        busy = world.client.post("/v1/match/upload", headers=world.headers(Role.PLATFORM), content=photo_bytes)
        assert busy.status_code == 429 and int(busy.headers["Retry-After"]) >= 1
        other = world.client.post("/v1/match/upload", headers=world.headers(Role.ANALYST), content=photo_bytes)
        assert other.status_code == 200
    assert world.client.post("/v1/match/upload", headers=world.headers(Role.PLATFORM), content=photo_bytes).is_success
    assert events(world, "rate_limit")[-1].details["reason"] == "too many uploads at once"


def test_uploads_per_key_default_to_half_the_hashing_slots():
    assert [Settings(max_concurrent_hashing=n).uploads_per_key for n in (1, 2, 3, 8)] == [1, 1, 2, 4]
    assert Settings(max_concurrent_hashing=8, max_uploads_per_key=8).uploads_per_key == 8


def test_a_burst_log_writes_one_event_per_source_and_burst_and_every_count(world: World):
    clock = Clock()
    bursts = BurstLog(world.node.audit, quiet=10, clock=clock)
    for _ in range(5):
        bursts.note("a", SYSTEM, "test.burst", "t", "refused", {})
    bursts.note("b", SYSTEM, "test.burst", "t", "refused", {})
    assert [e.details["count"] for e in events(world, "test.burst")] == [1, 1]
    bursts.sweep()
    assert len(events(world, "test.burst")) == 2  # still within the burst
    clock.now += 10
    bursts.sweep()  # a's four more; b had nothing more, and is forgotten
    assert [e.details["count"] for e in events(world, "test.burst")] == [1, 1, 4]
    clock.now += 10
    bursts.sweep()
    bursts.note("a", SYSTEM, "test.burst", "t", "refused", {})  # a new burst
    assert [e.details["count"] for e in events(world, "test.burst")] == [1, 1, 4, 1]
