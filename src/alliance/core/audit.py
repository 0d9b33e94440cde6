"""The audit log's chain: each event carries the hash of the one before it.

Editing, deleting or reordering any event breaks every link after it, so `verify_chain` finds
tampering with nothing but the events themselves. (Cutting events off the end leaves a shorter
valid chain; operators who need that too record the head hash elsewhere, as `alliance audit
verify` prints it.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What happened, before it takes its place in the chain."""

    actor: str
    action: str
    target: str
    outcome: str
    org_id: int | None = None
    subject_org_id: int | None = None
    key_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    at: datetime
    record: AuditRecord
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            **_fields(self.record),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def _fields(record: AuditRecord) -> dict[str, Any]:
    return {
        "actor": record.actor,
        "action": record.action,
        "target": record.target,
        "outcome": record.outcome,
        "org_id": record.org_id,
        "subject_org_id": record.subject_org_id,
        "key_id": record.key_id,
        "details": record.details,
    }


def chain_hash(prev_hash: str, seq: int, at: datetime, record: AuditRecord) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event."""
    body = json.dumps(
        {"seq": seq, "at": at.isoformat(), **_fields(record)}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def verify_chain(events: Iterable[AuditEvent]) -> list[str]:
    """Problems found walking the chain from its start; empty means intact."""
    problems = []
    expected_prev, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            problems.append(f"event {event.seq}: expected event {expected_seq} here (deleted or reordered events)")
        if event.prev_hash != expected_prev:
            problems.append(f"event {event.seq}: does not follow the event before it (deleted or reordered events)")
        if chain_hash(event.prev_hash, event.seq, event.at, event.record) != event.hash:
            problems.append(f"event {event.seq}: its contents were changed after it was written")
        expected_prev, expected_seq = event.hash, event.seq + 1
    return problems
