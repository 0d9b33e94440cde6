"""Recording who did what: every write, every read of entries, every match request, refusals included."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from alliance.core.access import Principal, may_read_audit
from alliance.core.audit import AuditEvent, AuditRecord, Checkpoint, sign_checkpoint, verify_against
from alliance.core.errors import NotFound
from alliance.services.batching import BatchWriter
from alliance.store.audit_log import AuditStore

REQUEST_ID: ContextVar[str | None] = ContextVar("alliance_request_id", default=None)
"""The id of the HTTP request being served (set by the API's request middleware), written into
every audit event the request causes, deferred ones included: they are recorded in its context."""

MAX_TARGET = 200
"""Characters of a target kept: a caller chooses the path it asks for, and may make it 64 KB long."""
MAX_TEXT, MAX_ITEMS, MAX_DEPTH = 500, 50, 4
"""Bounds on an event's details: each string, each list or mapping, and how deep they nest."""


def bounded(value: Any, depth: int = 0) -> Any:
    """Details cut down to a size an event may have (what a caller sent may be in them)."""
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "..."
    if depth >= MAX_DEPTH and isinstance(value, dict | list | tuple):
        return "..."
    if isinstance(value, dict):
        return {str(k)[:MAX_TEXT]: bounded(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list | tuple):
        return [bounded(v, depth + 1) for v in value[:MAX_ITEMS]]
    return value


def _bounded_record(record: AuditRecord) -> AuditRecord:
    return replace(record, details=bounded(record.details))


def actor_name(principal: Principal) -> str:
    if principal.key_id is not None:
        return f"key:{principal.name}"
    if principal.user_id is not None:
        return f"user:{principal.name}"
    return principal.name or "system"


class AuditLog:
    """Appends events to the chain. A server may start a background writer for high-rate events
    (match requests): they are queued and appended in batches every `interval` seconds, one
    transaction per batch instead of one per request. `stop()` flushes what is queued.
    """

    def __init__(self, store: AuditStore) -> None:
        self.store = store
        # Deferred events (the match path) are bounded by the writer thread, off the request's time.
        self._deferred: BatchWriter[AuditRecord] = BatchWriter(
            lambda records, batch_id: store.append([_bounded_record(r) for r in records], batch_id), "audit"
        )

    def start_background(self, interval: float = 0.2) -> None:
        self._deferred.start(interval)

    def stop(self) -> None:
        """Flush queued events and stop the writer (on server shutdown)."""
        self._deferred.stop()

    @property
    def pending(self) -> int:
        """Events queued for the background writer (for monitoring)."""
        return self._deferred.pending

    def flush(self) -> bool:
        """Append everything queued so far before returning; False if that could not be done."""
        return self._deferred.flush()

    def ensure_room(self) -> None:
        """Raise `Overloaded` when the background writer is too far behind to take another event."""
        self._deferred.ensure_room()

    def record(
        self,
        principal: Principal,
        action: str,
        target: str,
        outcome: str = "ok",
        *,
        subject_org_id: int | None = None,
        details: dict[str, Any] | None = None,
        defer: bool = False,
    ) -> AuditEvent | None:
        """Append an event now, or, with `defer` and a background writer running, within `interval`."""
        record = AuditRecord(
            actor=actor_name(principal),
            action=action,
            target=target[:MAX_TARGET],
            outcome=outcome,
            org_id=principal.org_id or None,
            subject_org_id=subject_org_id,
            key_id=principal.key_id,
            details=details or {},
            request_id=REQUEST_ID.get(),
        )
        if defer and self._deferred.running:
            self._deferred.put(record)
            return None
        return self.store.append([_bounded_record(record)])[0]

    def events(
        self,
        principal: Principal,
        *,
        after: int = 0,
        limit: int = 100,
        action: str | None = None,
        request_id: str | None = None,
        outcome: str | None = None,
    ) -> list[AuditEvent]:
        """Events the principal may read: all for a node admin, its organisation's for an auditor;
        only those of `action`, of the request `request_id`, or with `outcome` ("refused"), if given."""
        if not may_read_audit(principal):
            self.record(principal, "audit.read", "audit", "refused")
            raise NotFound("no such resource")
        scope = None if principal.is_node_admin else principal.org_id
        events = self.store.events(
            after=after, limit=limit, org_id=scope, action=action, request_id=request_id, outcome=outcome
        )
        self.record(principal, "audit.read", "audit", details={"after": after, "count": len(events)})
        return events

    def checkpoint(self, key: bytes, node: str) -> Checkpoint:
        """The head as the store holds it now, signed. It vouches for nothing before it: a chain
        re-computed before this call is signed as it is, so verify against every kept checkpoint."""
        seq, head = self.store.head()
        return sign_checkpoint(key, seq, head, datetime.now(UTC), node)

    def checkpoint_for(self, principal: Principal, key: bytes, node: str) -> Checkpoint:
        """A checkpoint for whoever may read the log (a monitor keeping them off the machine)."""
        if not may_read_audit(principal):
            self.record(principal, "audit.checkpoint", "audit", "refused")
            raise NotFound("no such resource")
        checkpoint = self.checkpoint(key, node)
        self.record(principal, "audit.checkpoint", "audit", details={"seq": checkpoint.seq})
        return checkpoint

    def verify_for(self, principal: Principal) -> tuple[int, str, list[str]]:
        """`verify` for whoever may read the log. An organisation's auditor learns whether the
        node's chain holds and how many events it has (as from `checkpoint_for`), never what the
        others' events are: a problem names an event by its number only."""
        if not may_read_audit(principal):
            self.record(principal, "audit.verify", "audit", "refused")
            raise NotFound("no such resource")
        count, head, problems = self.verify()
        self.record(principal, "audit.verify", "audit", details={"events": count, "problems": len(problems)})
        return count, head, problems

    def verify(self, checkpoints: Sequence[Checkpoint] = ()) -> tuple[int, str, list[str]]:
        """(events checked, head hash, problems) for the whole chain, and at each checkpoint
        (whose HMAC the caller has checked) whether the chain still reaches its head."""
        count, last = 0, None

        def walk() -> Iterator[AuditEvent]:  # streams: the log may be far larger than memory
            nonlocal count, last
            for event in self.store.iter_all():
                count, last = count + 1, event
                yield event

        problems = verify_against(walk(), checkpoints)
        return count, last.hash if last else "", problems

    def export_lines(self) -> Iterator[str]:
        for event in self.store.iter_all():
            yield json.dumps(event.to_json(), sort_keys=True) + "\n"


class BurstLog:
    """Refusals that come in floods (failed logins, bad credentials, rate limits), recorded as one
    event per source and burst with a `count`, instead of a row per request.

    The first refusal from a source is recorded at once with count 1; later ones are counted, and
    `sweep` records each count once `quiet` seconds have passed since that source's last event. A
    flood thus writes one event per source every `quiet` seconds however fast it comes, and the
    counts add up to every refusal. At most `cap` sources are tracked (an attacker chooses how
    many there are): past it, the longest-reported one's count is recorded early and it is dropped.
    Events go through the audit log's background writer when it runs.
    """

    def __init__(
        self, audit: AuditLog, quiet: float = 10.0, cap: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.audit, self.quiet, self.cap, self.clock = audit, quiet, cap, clock
        self._reported: OrderedDict[str, float] = OrderedDict()  # source -> last event, oldest first
        self._pending: dict[str, tuple[int, Principal, str, str, str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def note(
        self, source: str, principal: Principal, action: str, target: str, outcome: str, details: dict[str, Any]
    ) -> None:
        due: list[tuple[int, Principal, str, str, str, dict[str, Any]]] = []
        with self._lock:
            now = self.clock()
            last = self._reported.get(source)
            if last is None or now - last >= self.quiet:
                count = self._pending.pop(source, (0,))[0] + 1
                due.append((count, principal, action, target, outcome, details))
                self._reported[source] = now
                self._reported.move_to_end(source)
                while len(self._reported) > self.cap:
                    oldest, _ = self._reported.popitem(last=False)
                    if oldest in self._pending:
                        due.append(self._pending.pop(oldest))
            else:
                count = self._pending.get(source, (0,))[0] + 1
                self._pending[source] = (count, principal, action, target, outcome, details)
        self._record(due)

    def sweep(self, everything: bool = False) -> None:
        """Record the counts of bursts quiet for `quiet` seconds (all of them with `everything`,
        on shutdown), and forget sources that have been quiet that long."""
        due = []
        with self._lock:
            now = self.clock()
            while self._reported:
                source, last = next(iter(self._reported.items()))
                if now - last < self.quiet and not everything:
                    break
                del self._reported[source]
                pending = self._pending.pop(source, None)
                if pending is not None:
                    due.append(pending)
                    if not everything:  # still a burst: its next refusals count from now
                        self._reported[source] = now
        self._record(due)

    def _record(self, due: list[tuple[int, Principal, str, str, str, dict[str, Any]]]) -> None:
        for count, principal, action, target, outcome, details in due:
            self.audit.record(principal, action, target, outcome, details={**details, "count": count}, defer=True)
