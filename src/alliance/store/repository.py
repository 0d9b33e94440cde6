"""The store of banks, entries, signals and the change log: one object over three parts.

`BankRecords` (store/banks.py) writes and reads banks and their entries, `SignalLookups`
(store/signals.py) reads signals for the matcher, `ChangeLog` (store/changes.py) reads the log
that replicas replay. They share one engine and one session factory.
"""

from __future__ import annotations

from sqlalchemy import Engine

from alliance.store.banks import BankRecords
from alliance.store.changes import ChangeLog
from alliance.store.db import session_factory
from alliance.store.signals import SignalLookups


class Store(BankRecords, SignalLookups, ChangeLog):
    """Banks, entries and signals in a SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)
