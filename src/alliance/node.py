"""The node: one object that opens the store and hands out services, for the CLI and the API alike.

Services that act for someone are built per principal (`banks_for`, `matching_for`), so the
question "who is asking?" is answered once, where the request comes in, and never forgotten.
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import Engine, text

from alliance.core.access import Principal
from alliance.services.accounts import AccountService
from alliance.services.audit import AuditLog
from alliance.services.banks import BankService
from alliance.services.matching import Matcher, MatchService
from alliance.settings import Settings
from alliance.store.accounts import AccountStore
from alliance.store.audit_log import AuditStore
from alliance.store.db import create_store_engine, upgrade
from alliance.store.repository import Store


class Node:
    """Opened lazily: a command that needs no store never touches one; the first that does migrates it."""

    def __init__(
        self, settings: Settings, refresh_interval: float | None = 0.0, key_cache_seconds: float = 0.0
    ) -> None:
        self.settings = settings
        self.refresh_interval = refresh_interval
        self.key_cache_seconds = key_cache_seconds

    @cached_property
    def engine(self) -> Engine:
        engine = create_store_engine(self.settings.resolved_database_url)
        upgrade(engine)
        return engine

    @cached_property
    def store(self) -> Store:
        return Store(self.engine)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(AuditStore(self.engine))

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(AccountStore(self.engine), self.audit, self.key_cache_seconds)

    @cached_property
    def matcher(self) -> Matcher:
        return Matcher(
            self.store,
            self.settings.index_path,
            min_quality=self.settings.pdq_min_quality,
            refresh_interval=self.refresh_interval,
        )

    def banks_for(self, principal: Principal) -> BankService:
        return BankService(self.store, self.settings, self.audit, principal)

    def matching_for(self, principal: Principal) -> MatchService:
        return MatchService(self.matcher, self.audit, principal)

    def store_reachable(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # readiness must answer, whatever the driver raises
            return False

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
