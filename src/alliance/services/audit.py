"""Recording who did what: every write, every read of entries, every match request, refusals included."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from alliance.core.access import Principal, may_read_audit
from alliance.core.audit import AuditEvent, AuditRecord, verify_chain
from alliance.core.errors import NotFound
from alliance.store.audit_log import AuditStore

log = logging.getLogger(__name__)


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
        self._queue: queue.SimpleQueue[AuditRecord | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._interval = 0.2

    def start_background(self, interval: float = 0.2) -> None:
        if self._writer is None:
            self._interval = interval
            self._writer = threading.Thread(target=self._write_batches, args=(interval,), name="audit", daemon=True)
            self._writer.start()

    def stop(self) -> None:
        """Flush queued events and stop the writer (on server shutdown)."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join(timeout=30)
            self._writer = None

    def flush(self) -> None:
        """Append everything queued so far before returning."""
        if self._writer is not None:
            interval = self._interval
            self.stop()
            self.start_background(interval)

    def _write_batches(self, interval: float) -> None:
        running = True
        while running:
            batch = [self._queue.get()]  # wait for the first event
            time.sleep(interval)  # let a batch gather
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            running = None not in batch
            records = [r for r in batch if r is not None]
            if records:
                try:
                    self.store.append(records)
                except Exception:  # keep the writer alive; the loss is logged loudly
                    log.exception("could not append %d audit events", len(records))

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
            target=target,
            outcome=outcome,
            org_id=principal.org_id or None,
            subject_org_id=subject_org_id,
            key_id=principal.key_id,
            details=details or {},
        )
        if defer and self._writer is not None:
            self._queue.put(record)
            return None
        return self.store.append([record])[0]

    def events(
        self, principal: Principal, *, after: int = 0, limit: int = 100, action: str | None = None
    ) -> list[AuditEvent]:
        """Events the principal may read: all for a node admin, its organisation's for an auditor."""
        if not may_read_audit(principal):
            self.record(principal, "audit.read", "audit", "refused")
            raise NotFound("no such resource")
        scope = None if principal.is_node_admin else principal.org_id
        events = self.store.events(after=after, limit=limit, org_id=scope, action=action)
        self.record(principal, "audit.read", "audit", details={"after": after, "count": len(events)})
        return events

    def verify(self) -> tuple[int, str, list[str]]:
        """(events checked, head hash, problems) for the whole chain."""
        count, last = 0, None

        def walk() -> Iterator[AuditEvent]:  # streams: the log may be far larger than memory
            nonlocal count, last
            for event in self.store.iter_all():
                count, last = count + 1, event
                yield event

        problems = verify_chain(walk())
        return count, last.hash if last else "", problems

    def export_lines(self) -> Iterator[str]:
        for event in self.store.iter_all():
            yield json.dumps(event.to_json(), sort_keys=True) + "\n"
