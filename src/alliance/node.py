"""The node: one object that opens the store and builds every service, for the CLI and the API alike.

This is the one place services are put together: each service's constructor takes only the stores,
settings and collaborators it uses, never the node, and the API and the CLI ask the node for them.
Services that act for someone are built per principal (`banks_for`, `matching_for`, `alliance_for`),
so the question "who is asking?" is answered once, where the request comes in, and never forgotten.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine, text

from alliance.core.access import SYSTEM, Principal
from alliance.core.banks import CREDENTIAL_CHANGES, Change
from alliance.core.trust import load_schemes
from alliance.services.accounts import AccountService
from alliance.services.alliance import AllianceService
from alliance.services.alliance_figures import FiguresService
from alliance.services.audit import AuditLog
from alliance.services.banks import BankService
from alliance.services.batching import BatchWriter
from alliance.services.checkpoints import load_key, node_identity
from alliance.services.deconfliction import DeconflictionService, IndexHolder
from alliance.services.floods import FloodMonitor
from alliance.services.investigation_figures import InvestigationFigures
from alliance.services.investigations import InvestigationService
from alliance.services.matching import Matcher, MatchService, MatchTrust
from alliance.services.notifications import Notifier, SmtpMailer
from alliance.services.trust import TrustService
from alliance.settings import Settings
from alliance.store.accounts import AccountStore
from alliance.store.alliance_figures import FiguresStore
from alliance.store.alliance_store import AllianceStore
from alliance.store.audit_log import AuditStore
from alliance.store.db import create_store_engine, upgrade
from alliance.store.investigations import InvestigationStore
from alliance.store.repository import Store
from alliance.store.trust_store import TrustStore

FLOOD_CHECK_SECONDS = 5.0
"""How often a server runs the flood rule over the store's match events."""


class Node:
    """Opened lazily: a command that needs no store never touches one; the first that does migrates it."""

    def __init__(
        self, settings: Settings, refresh_interval: float | None = 0.0, key_cache_seconds: float = 0.0
    ) -> None:
        self.settings = settings
        self.refresh_interval = refresh_interval
        self.key_cache_seconds = key_cache_seconds
        self._stop_floods: threading.Event | None = None

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
    def audit_key(self) -> bytes:
        """The HMAC key of audit checkpoints, from its file outside the store (made on first need)."""
        return load_key(self.settings.audit_key_path, create=True)

    @property
    def identity(self) -> str:
        return node_identity(self.settings)

    @cached_property
    def account_store(self) -> AccountStore:
        return AccountStore(self.engine)

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(self.account_store, self.audit, self.key_cache_seconds)

    @cached_property
    def matcher(self) -> Matcher:
        matcher = Matcher(
            self.store,
            self.settings.index_path,
            min_quality=self.settings.pdq_min_quality,
            refresh_interval=self.refresh_interval,
        )
        matcher.index.on_changes(self._replayed)
        return matcher

    def _replayed(self, changes: list[Change]) -> None:
        if "accounts" in self.__dict__ and any(c.kind in CREDENTIAL_CHANGES for c in changes):
            self.accounts.forget_cached_keys()

    @cached_property
    def trust_store(self) -> TrustStore:
        return TrustStore(self.engine)

    @cached_property
    def alliance_store(self) -> AllianceStore:
        return AllianceStore(self.engine)

    @cached_property
    def figures_store(self) -> FiguresStore:
        return FiguresStore(self.engine)

    @cached_property
    def match_trust(self) -> MatchTrust:
        """Shared by every request: the match-event writer, the flood rule, the category schemes."""
        floods = FloodMonitor(
            self.trust_store,
            self.settings.flood_rule,
            quarantine=lambda decision: self.trust_for(SYSTEM).quarantine(decision),
            report=lambda decision: self.trust_for(SYSTEM).report_flood(decision),
            caller_rate_per_second=self.settings.flood_caller_rate_per_second,
        )
        return MatchTrust(
            # A match event's id is its key: a batch written twice is refused whole, never doubled.
            events=BatchWriter(lambda events, _batch_id: self.trust_store.add_match_events(events), "match-events"),
            floods=floods,
            schemes=load_schemes(self.settings.category_schemes),
            default_required=self.settings.default_required_grades,
        )

    def banks_for(self, principal: Principal) -> BankService:
        return BankService(self.store, self.settings, self.audit, principal)

    def trust_for(self, principal: Principal) -> TrustService:
        return TrustService(
            self.store, self.trust_store, self.banks_for(principal), self.audit, lambda: self.match_trust.events.flush()
        )

    def matching_for(self, principal: Principal) -> MatchService:
        return MatchService(self.matcher, self.audit, principal, self.match_trust)

    def alliance_for(self, principal: Principal) -> AllianceService:
        """The Alliance's facts, commitments and progress reports, as `principal` may see and change them."""
        return AllianceService(self.alliance_store, self.audit, principal)

    def figures_for(self, principal: Principal) -> FiguresService:
        """Indicators, campaigns and the published record, for `principal`."""
        return FiguresService(self.alliance_for(principal), self.figures_store, self.account_store)

    @cached_property
    def investigation_store(self) -> InvestigationStore:
        return InvestigationStore(self.engine)

    @cached_property
    def item_index(self) -> IndexHolder:
        """Every series and open case's items by hash: what deconfliction looks items up in."""
        return IndexHolder(self.investigation_store)

    @cached_property
    def notifier(self) -> Notifier:
        mailer = SmtpMailer(self.settings) if self.settings.smtp_host else None
        return Notifier(self.investigation_store, self.audit, mailer)

    def investigations_for(self, principal: Principal) -> InvestigationService:
        """Series, victims and cases, as `principal` may see and change them (police only)."""
        return InvestigationService(self.investigation_store, self.audit, principal)

    def deconfliction_for(self, principal: Principal) -> DeconflictionService:
        """A case's intake and what is known of its items, for `principal`."""
        return DeconflictionService(
            self.investigations_for(principal),
            self.matcher,
            self.item_index,
            self.match_trust.schemes,
            self.notifier,
            self.audit,
        )

    def investigation_figures(self) -> InvestigationFigures:
        return InvestigationFigures(self.investigation_store, self.audit)

    def start_background(self) -> None:
        """A server batches audit and match events; the CLI writes them at once."""
        self.audit.start_background()
        self.match_trust.events.start()
        self.match_trust.check_floods_inline = False
        self._stop_floods = self.match_trust.floods.follow(FLOOD_CHECK_SECONDS)

    def stop_background(self) -> None:
        if self._stop_floods is not None:
            self._stop_floods.set()
        self.match_trust.events.stop()
        self.audit.stop()

    def purge_match_events(self) -> int:
        """Delete match events past the retention period."""
        cutoff = datetime.now(UTC) - timedelta(days=self.settings.match_event_retention_days)
        return self.trust_store.purge_match_events(cutoff)

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
