"""The change log: what changed in what can match, in commit order, for replicas to replay."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.core.banks import Change
from alliance.store.models import ChangeRow


class ChangeLog:
    """Reading the change log (part of `Store`; writers append to it in their own transactions)."""

    _sessions: sessionmaker[Session]

    def current_sequence(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.coalesce(func.max(ChangeRow.seq), 0))) or 0

    def changes_since(self, seq: int) -> list[Change]:
        with self._sessions() as session:
            rows = session.scalars(select(ChangeRow).where(ChangeRow.seq > seq).order_by(ChangeRow.seq))
            return [Change(r.seq, r.kind, r.bank_id, r.entry_id) for r in rows]
