"""GET /v1/audit/checkpoint: a signed head for an external monitor, that `verify --against` accepts."""

from __future__ import annotations

from pathlib import Path

from alliance.core.access import Role
from alliance.services.checkpoints import read_checkpoints, verify_against
from tests.api.conftest import World


def test_a_monitor_collects_a_checkpoint_the_node_verifies_and_the_request_is_audited(world: World, tmp_path: Path):
    response = world.client.get("/v1/audit/checkpoint", headers=world.headers(Role.AUDITOR))
    assert response.status_code == 200
    path = tmp_path / "collected.json"
    path.write_text(response.text)
    (checkpoint,) = [c for _, c in read_checkpoints(path)]
    event = world.node.audit.store.events()[-1]
    assert (event.record.action, event.record.outcome, event.record.details) == (
        "audit.checkpoint",
        "ok",
        {"seq": checkpoint.seq},
    )
    assert checkpoint.seq == event.seq - 1  # the head before the request's own event
    assert verify_against(world.node.audit, world.node.audit_key, read_checkpoints(path))[2] == []


def test_a_caller_who_may_not_read_the_log_gets_404_and_the_refusal_is_audited(world: World):
    response = world.client.get("/v1/audit/checkpoint", headers=world.headers(Role.ANALYST))
    assert response.status_code == 404
    event = world.node.audit.store.events()[-1]
    assert (event.record.action, event.record.outcome) == ("audit.checkpoint", "refused")
