"""What every command needs: the settings, and the store and services built from them on first use."""

from __future__ import annotations

from functools import cached_property

from rich.console import Console

from alliance.core.access import SYSTEM
from alliance.services.audit import AuditLog
from alliance.services.banks import BankService
from alliance.services.matching import Matcher, MatchService
from alliance.settings import Settings
from alliance.store.audit_log import AuditStore
from alliance.store.db import create_store_engine, upgrade
from alliance.store.repository import Store

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Node:
    """The node as the CLI sees it. The store is opened, and migrated, only by commands that need it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def store(self) -> Store:
        engine = create_store_engine(self.settings.resolved_database_url)
        upgrade(engine)
        return Store(engine)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(AuditStore(self.store.engine))

    @cached_property
    def banks(self) -> BankService:
        return BankService(self.store, self.settings, self.audit, SYSTEM)

    @cached_property
    def matcher(self) -> Matcher:
        return Matcher(self.store, self.settings.index_path, min_quality=self.settings.pdq_min_quality)

    @cached_property
    def matching(self) -> MatchService:
        return MatchService(self.matcher, self.audit, SYSTEM)
