"""The audit log's chain: each event carries the hash of the one before it.

Editing, deleting or reordering any event breaks every link after it, so `verify_chain` finds
tampering with nothing but the events themselves, unless whoever tampers recomputes every hash
after the change, which anyone who can write to the database can do. A `Checkpoint` closes that:
the head (sequence and hash) authenticated with an HMAC key kept outside the database. A chain
re-computed or cut short before a kept checkpoint no longer reaches that checkpoint's head.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alliance.core.errors import FormatError

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
    request_id: str | None = None
    """The HTTP request that caused it (`X-Request-ID`); None from the CLI, and in events from before."""


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
            "request_id": self.record.request_id,
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
    """SHA-256 over the previous hash and a canonical JSON of the event. A request id is hashed
    only when there is one, so that events written before request ids existed keep their hashes."""
    fields = _fields(record)
    if record.request_id is not None:
        fields["request_id"] = record.request_id
    body = json.dumps({"seq": seq, "at": at.isoformat(), **fields}, sort_keys=True, separators=(",", ":"), default=str)
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


CHECKPOINT_VERSION = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX16 = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's head at a moment, vouched for by whoever holds the key (`mac` is its HMAC-SHA256)."""

    seq: int
    head: str
    at: datetime
    node: str
    key_id: str
    mac: str

    def signed_fields(self) -> dict[str, Any]:
        return {
            "alliance_audit_checkpoint": CHECKPOINT_VERSION,
            "seq": self.seq,
            "head": self.head,
            "at": self.at.isoformat(),
            "node": self.node,
            "key_id": self.key_id,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.signed_fields(), "hmac": self.mac}


def key_id(key: bytes) -> str:
    """Names a key without revealing it, so a checkpoint made with another key says so."""
    return hashlib.sha256(b"alliance audit key id\n" + key).hexdigest()[:16]


def _mac(key: bytes, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def sign_checkpoint(key: bytes, seq: int, head: str, at: datetime, node: str) -> Checkpoint:
    unsigned = Checkpoint(seq, head, at, node, key_id(key), "")
    return Checkpoint(seq, head, at, node, unsigned.key_id, _mac(key, unsigned.signed_fields()))


def checkpoint_problem(key: bytes, checkpoint: Checkpoint) -> str | None:
    """Why the checkpoint cannot be trusted with this key, or None if its HMAC checks."""
    if checkpoint.key_id != key_id(key):
        return (
            f"checkpoint at event {checkpoint.seq}: made with another key (key id {checkpoint.key_id}, "
            f"this node's is {key_id(key)}), or edited"
        )
    if not hmac.compare_digest(checkpoint.mac, _mac(key, checkpoint.signed_fields())):
        return f"checkpoint at event {checkpoint.seq}: its HMAC does not check (the checkpoint was edited)"
    return None


def parse_checkpoint(text: str, where: str) -> Checkpoint:
    """A checkpoint from its JSON; `FormatError` naming `where` if it is not one."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FormatError(where, f"not an audit checkpoint: invalid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("alliance_audit_checkpoint") != CHECKPOINT_VERSION:
        raise FormatError(where, f"not an audit checkpoint (version {CHECKPOINT_VERSION})")
    seq, head, at, node, kid, mac = (data.get(k) for k in ("seq", "head", "at", "node", "key_id", "hmac"))
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise FormatError(where, "audit checkpoint: 'seq' must be a whole number >= 0")
    for name, value, pattern in (("head", head, _HEX64), ("key_id", kid, _HEX16), ("hmac", mac, _HEX64)):
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise FormatError(where, f"audit checkpoint: {name!r} must be lowercase hex")
    if not isinstance(node, str):
        raise FormatError(where, "audit checkpoint: 'node' must be text")
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise FormatError(where, "audit checkpoint: 'at' must be an ISO 8601 time with its offset")
    return Checkpoint(seq, str(head), when, node, str(kid), str(mac))


def verify_against(events: Iterable[AuditEvent], checkpoints: Sequence[Checkpoint]) -> list[str]:
    """`verify_chain`'s problems, and each checkpoint whose head the chain no longer reaches.

    Pass only checkpoints whose HMAC checks: a chain re-computed after a deleted or edited event
    verifies on its own, but its hash at a checkpoint's sequence is no longer the checkpoint's.
    """
    wanted = {c.seq for c in checkpoints}
    reached: dict[int, str] = {0: GENESIS}

    def walk() -> Iterator[AuditEvent]:
        for event in events:
            if event.seq in wanted:
                reached[event.seq] = event.hash
            yield event

    problems = verify_chain(walk())
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        if checkpoint.seq not in reached:
            problems.append(
                f"checkpoint at event {checkpoint.seq}: the log holds no such event (cut off the end, or deleted)"
            )
        elif reached[checkpoint.seq] != checkpoint.head:
            problems.append(
                f"checkpoint at event {checkpoint.seq}: the chain's head there is not the checkpoint's "
                "(events deleted, edited or re-chained before it)"
            )
    return problems
