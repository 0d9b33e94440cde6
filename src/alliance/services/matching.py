"""Matching: which bank entries does a piece of media, or a hash, correspond to?

Signals of a perceptual type (PDQ) go through that type's in-memory index across all banks, keyed
by the store's signal ids, each bank with its own threshold for the type; exact signals (md5, sha1,
sha256) are looked up in the store, when an in-memory filter of their 64-bit prefixes
(`core.exact_filter`) says it may hold them. The index only answers "which stored hashes are near";
everything that can change in an instant (an entry retired, a bank disabled) is read from the store
for the hits alone, so it takes effect at once and costs nothing when nothing matches. The indexes'
life (load, rebuild, save, replaying the change log) is `services.matcher_index`.

Entries added from media also store views of their picture (`core.pdq_views`: the untrimmed
image, a normalised small copy, and in banks with crop matching on, crops); they are signals in the
index like any other, and a hit on one names the view. Crop views, the entry's or the query's,
count only in banks with crop matching on, so turning it off acts at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alliance.core.access import BankAction, Principal, Role, may_act_on_bank
from alliance.core.banks import Bank, BankPurpose, EntryStatus, StoredSignal
from alliance.core.errors import NotFound
from alliance.core.index.engine import HammingIndex, hex_to_bytes
from alliance.core.media.pdq_views import CROP_VIEWS
from alliance.core.signals import PDQ_MIN_QUALITY, Signal, is_matchable
from alliance.core.trust import (
    ANALYST_VISIBLE,
    PLATFORM_VISIBLE,
    BankTrust,
    Grade,
    SchemeBook,
)
from alliance.services.audit import AuditLog
from alliance.services.batching import BatchWriter
from alliance.services.floods import FloodMonitor, query_digest
from alliance.services.matcher_index import MatcherIndex
from alliance.store.repository import Store
from alliance.store.trust_store import MatchEvent


@dataclass(frozen=True, slots=True)
class Match:
    """One entry that a query signal matched.

    `variant` names the view of the query that matched ("original", a rotation or flip, a crop),
    followed by "@" and the view of the entry's picture when that was not the entry's own signal
    ("original@centre-8": the query as it is met the entry's 8% centre crop).
    """

    query: Signal
    bank: str
    bank_id: int
    entry_id: int
    signal_type: str
    distance: int
    variant: str = "original"
    grade: dict[str, Any] | None = None  # the entry's agreed grade; shown as a category to readers
    match_id: str = ""  # set when the match is recorded, so that it can be disputed
    category: dict[str, str] | None = None


EntryFilter = Callable[[StoredSignal, Bank], bool]


@dataclass(frozen=True, slots=True)
class Suppression:
    """A match that a negative bank's entry suppressed: never shown to the caller, but recorded."""

    match: Match
    by_bank_id: int
    by_entry_id: int


def confirmed_only(stored: StoredSignal, bank: Bank) -> bool:
    return stored.entry_status in PLATFORM_VISIBLE


class Matcher:
    """Matches signals against every enabled bank (or the ones named).

    What it reads in memory, and keeping that in step with the store, is its `index`'s job
    (`MatcherIndex`: load, rebuild, save, replay the change log, status).
    """

    def __init__(
        self,
        store: Store,
        index_path: Path | None = None,
        engine: type[HammingIndex] | None = None,
        min_quality: int = PDQ_MIN_QUALITY,
        refresh_interval: float | None = 0.0,
    ) -> None:
        """`engine`: PDQ's engine when not its own; `refresh_interval`: see `MatcherIndex`."""
        self.store = store
        self.min_quality = min_quality
        self.index = MatcherIndex(store, index_path, engine, min_quality, refresh_interval)
        self.observers: list[Callable[[int, int], object]] = []
        """Called with (queries, matches) after every match request (the API counts them for /metrics)."""

    # --- matching ------------------------------------------------------------------------------

    def match(
        self,
        signals: Sequence[Signal],
        banks: Sequence[str] | None = None,
        variants: Sequence[str] | None = None,
        bank_filter: Callable[[Bank], bool] | None = None,
        entry_filter: EntryFilter = confirmed_only,
    ) -> list[Match]:
        return self.match_detailed(signals, banks, variants, bank_filter, entry_filter)[0]

    def match_detailed(
        self,
        signals: Sequence[Signal],
        banks: Sequence[str] | None = None,
        variants: Sequence[str] | None = None,
        bank_filter: Callable[[Bank], bool] | None = None,
        entry_filter: EntryFilter = confirmed_only,
    ) -> tuple[list[Match], list[Suppression]]:
        """Every match of `signals` in the enabled banks (restricted to `banks` when given), and the
        matches that negative banks suppressed.

        `bank_filter` says which banks the caller may match against; a named bank it rejects is
        reported as not found. `entry_filter` says which entries count (by status, for the caller).

        A query signal that matches a confirmed entry of an enabled negative bank (a known false
        positive) has its matches in banks *of the same owner* suppressed, whoever asks: an
        organisation vouches for its own lists, never for another's. They share the index, so this
        costs one dict lookup.

        `variants`, when given, names each signal's transform (for dihedral queries); a stored
        entry matched by several variants is reported once, at its smallest distance.
        """
        self.index.refresh_if_due()
        selected = self._select_banks(banks, bank_filter)
        negative = {i: b for i, b in self.index.banks.items() if b.purpose is BankPurpose.NEGATIVE and b.enabled}
        if banks is not None:  # a negative bank named on purpose is searched, not used to suppress
            negative = {i: b for i, b in negative.items() if i not in selected}
        searched = {**selected, **negative}

        def counts(stored: StoredSignal, bank: Bank) -> bool:  # only graded false positives suppress
            return stored.entry_status is EntryStatus.CONFIRMED if bank.id in negative else entry_filter(stored, bank)

        names = list(variants) if variants is not None else ["original"] * len(signals)
        indexes = self.index.indexes
        found = []
        for type_name, index in indexes.items():
            found.extend(self._match_near(type_name, index, signals, names, searched, counts))
        found.extend(self._match_exact([s for s in signals if s.type not in indexes], searched, counts))

        # An image query (`variants` given) is one piece of media seen several ways: a negative hit
        # on any of its signals covers all of them. Otherwise each query signal stands alone.
        def query_of(m: Match) -> int:
            return -1 if variants is not None else id(m.query)

        # (query, owner) -> the negative entry vouching that the query is no match in that owner's banks
        vouched: dict[tuple[int, int], Match] = {}
        for m in found:
            if m.bank_id in negative:
                vouched.setdefault((query_of(m), negative[m.bank_id].owner.id), m)
        matches, suppressed = [], []
        for m in found:
            if m.bank_id not in selected or m.bank_id in negative:
                continue
            by = vouched.get((query_of(m), selected[m.bank_id].owner.id))
            if by is None:
                matches.append(m)
            else:
                suppressed.append(Suppression(m, by.bank_id, by.entry_id))
        best: dict[tuple[int, str, str], Match] = {}
        # At equal distance the plainest explanation wins: the query as it is, the entry's own signal.
        for m in sorted(matches, key=lambda m: (m.distance, "@" in m.variant, m.variant != "original")):
            # Variants are one piece of media seen eight ways: one row per entry, not per variant.
            query_key = "" if variants is not None else m.query.value
            best.setdefault((m.entry_id, m.signal_type, query_key), m)
        return sorted(best.values(), key=lambda m: (m.distance, m.bank, m.entry_id, m.signal_type)), suppressed

    def _select_banks(self, names: Sequence[str] | None, bank_filter: Callable[[Bank], bool] | None) -> dict[int, Bank]:
        allowed = bank_filter or (lambda _bank: True)
        if names is None:
            return {i: b for i, b in self.index.banks.items() if allowed(b)}
        by_name = {b.name: b for b in self.index.banks.values()}
        if any(n not in by_name for n in names):  # perhaps created since the last refresh
            by_name = {b.name: b for b in self.store.banks_by_id().values()}
        missing = [n for n in names if n not in by_name or not allowed(by_name[n])]
        if missing:
            raise NotFound(f"no bank called {missing[0]!r}")
        return {by_name[n].id: by_name[n] for n in names}

    def _match_near(
        self,
        type_name: str,
        index: HammingIndex,
        signals: Sequence[Signal],
        variants: list[str],
        banks: dict[int, Bank],
        entry_filter: EntryFilter,
    ) -> list[Match]:
        """Matches of the query signals of one Hamming type, through that type's index."""
        queries = [(s, v) for s, v in zip(signals, variants, strict=True) if s.type == type_name]
        queries = [(s, v) for s, v in queries if is_matchable(s, self.min_quality)]
        if not queries or not banks:
            return []
        thresholds = {bank_id: bank.threshold(type_name) for bank_id, bank in banks.items()}
        hits = index.query(hex_to_bytes([s.value for s, _ in queries], index.hash_bytes), max(thresholds.values()))
        if not len(hits):
            return []
        owners = self.store.signals_by_id(hits.ids.tolist())
        matches = []
        for q, signal_id, distance in zip(hits.query.tolist(), hits.ids.tolist(), hits.distances.tolist(), strict=True):
            owner = owners.get(signal_id)
            bank = banks.get(owner.bank_id) if owner else None
            if owner and bank and _live(owner, bank, entry_filter) and distance <= thresholds[bank.id]:
                query, variant = queries[q]
                if not bank.crop_matching and (variant in CROP_VIEWS or owner.view in CROP_VIEWS):
                    continue
                if owner.view is not None:
                    variant = f"{variant}@{owner.view}"
                matches.append(
                    Match(query, bank.name, bank.id, owner.entry_id, type_name, distance, variant, owner.grade)
                )
        return matches

    def crop_matching(
        self, banks: Sequence[str] | None = None, bank_filter: Callable[[Bank], bool] | None = None
    ) -> bool:
        """Whether any enabled bank that a query would search (`banks`, or all that `bank_filter`
        allows) matches crops, so that an image query is worth cropping. Unknown names are left to
        `match` to report."""
        self.index.refresh_if_due()
        allowed = bank_filter or (lambda _bank: True)
        names = set(banks) if banks is not None else None
        return any(
            b.crop_matching and b.enabled and allowed(b) and (names is None or b.name in names)
            for b in self.index.banks.values()
        )

    def _match_exact(self, queries: list[Signal], banks: dict[int, Bank], entry_filter: EntryFilter) -> list[Match]:
        """All exact types in one store query: an upload's md5, sha1 and sha256 cost one round trip,
        and none when the exact filter says the store holds none of them (nearly every upload)."""
        queries = [q for q in queries if self.index.exact.might_hold(q.value)]
        if not queries or not banks:
            return []
        by_key = {(q.type, q.value): q for q in queries}
        return [
            Match(
                by_key[(s.signal.type, s.signal.value)],
                banks[s.bank_id].name,
                s.bank_id,
                s.entry_id,
                s.signal.type,
                0,
                grade=s.grade,
            )
            for s in self.store.find_signals_of(list(by_key))
            if s.bank_id in banks and _live(s, banks[s.bank_id], entry_filter)
        ]


class MatchService:
    """Matching on behalf of a principal: only banks it may match against, every request audited.

    Platforms match confirmed entries only; hotlines and police also match disputed and
    quarantined ones, and proposed ones where the bank allows it. Every match is recorded as a
    match event (its id lets the caller dispute it) and counted by the flood rule. The audit event
    names what matched, not the query hashes of what did not: those are hashes of a platform's
    users' uploads, and nobody's business.
    """

    def __init__(self, matcher: Matcher, audit: AuditLog, actor: Principal, trust: MatchTrust | None = None) -> None:
        self.matcher = matcher
        self.audit = audit
        self.actor = actor
        self.trust = trust
        self._platform = not actor.has(Role.ANALYST, Role.INVESTIGATOR, Role.ORG_ADMIN, Role.NODE_ADMIN)

    def may_match(self, bank: Bank) -> bool:
        return may_act_on_bank(self.actor, BankAction.MATCH, bank.owner.id, bank.policy)

    def counts(self, stored: StoredSignal, bank: Bank) -> bool:
        """Whether an entry in this status matches for this caller."""
        if self._platform:
            return stored.entry_status in PLATFORM_VISIBLE
        if stored.entry_status is EntryStatus.PROPOSED:
            default = self.trust.default_required if self.trust else 3
            return BankTrust.from_json(bank.trust, default).match_proposed
        return stored.entry_status in ANALYST_VISIBLE

    def ensure_room(self) -> None:
        """Raise `Overloaded` when the audit or match-event writer is too far behind: a match must
        be recorded, so it is refused before any work (callers that hash first check this first)."""
        self.audit.ensure_room()
        if self.trust is not None:
            self.trust.events.ensure_room()

    def crop_matching(self, banks: Sequence[str] | None = None) -> bool:
        """Whether an image query by this caller (against `banks`, or all it may match) should send
        crops of the image too: some bank it would search matches crops."""
        return self.matcher.crop_matching(banks, bank_filter=self.may_match)

    def match(
        self, signals: Sequence[Signal], banks: Sequence[str] | None = None, variants: Sequence[str] | None = None
    ) -> list[Match]:
        self.ensure_room()
        if self.trust is not None:
            self.trust.floods.admit(self.actor.org_id)
        try:
            matches, suppressed = self.matcher.match_detailed(
                signals, banks, variants, bank_filter=self.may_match, entry_filter=self.counts
            )
        except NotFound:
            self.audit.record(self.actor, "match", f"banks:{','.join(banks or [])}", "not_found")
            raise
        if self.trust is not None:
            matches = self.trust.record(self.actor, matches, self.matcher, suppressed)
        self.audit.record(
            self.actor,
            "match",
            f"banks:{','.join(banks)}" if banks else "banks:all",
            details={
                "queries": len(signals),
                "matches": [[m.bank, m.entry_id, m.signal_type, m.distance, m.match_id] for m in matches[:200]],
                "match_count": len(matches),
                "suppressed_by_negative_banks": [
                    [s.match.bank, s.match.entry_id, s.by_bank_id, s.by_entry_id] for s in suppressed[:200]
                ],
            },
            defer=True,  # the hot path: batched by the server's audit writer
        )
        for observe in self.matcher.observers:
            observe(len(signals), len(matches))
        return matches


@dataclass
class MatchTrust:
    """What the node keeps about matches, shared by every request: match events, the flood rule,
    category schemes."""

    events: BatchWriter[MatchEvent]
    floods: FloodMonitor
    schemes: SchemeBook
    default_required: int = 3
    check_floods_inline: bool = True  # a server checks in the background instead (`FloodMonitor.follow`)

    def record(
        self, actor: Principal, matches: list[Match], matcher: Matcher, suppressed: Sequence[Suppression] = ()
    ) -> list[Match]:
        """Record every match as a match event (and each suppressed one, naming the negative entry);
        return the matches with their ids, and categories for those who may read the bank."""
        if not matches and not suppressed:
            return matches
        now = datetime.now(UTC)
        recorded = []
        readable: dict[int, bool] = {}
        for m in matches:
            bank = matcher.index.bank(m.bank_id)
            if m.bank_id not in readable:
                readable[m.bank_id] = bank is not None and may_act_on_bank(
                    actor, BankAction.READ, bank.owner.id, bank.policy
                )
            category = None
            if m.grade and readable[m.bank_id]:  # categories are for those who may read the bank
                grade = Grade.from_json({k: v for k, v in m.grade.items() if v is not None})
                category = self.schemes.category(grade, actor.country)
            match_id = uuid.uuid4().hex
            self.events.put(_event(match_id, now, actor, m))
            recorded.append(replace(m, match_id=match_id, category=category))
        for s in suppressed:
            self.events.put(_event(uuid.uuid4().hex, now, actor, s.match, s))
        if self.check_floods_inline and matches:
            self.floods.check()
        return recorded


def _event(match_id: str, at: datetime, actor: Principal, m: Match, by: Suppression | None = None) -> MatchEvent:
    return MatchEvent(
        match_id,
        at,
        actor.org_id,
        actor.key_id,
        m.bank_id,
        m.entry_id,
        m.signal_type,
        m.distance,
        m.variant,
        query_digest(m.query.type, m.query.value),
        by.by_bank_id if by else None,
        by.by_entry_id if by else None,
    )


def _live(stored: StoredSignal, bank: Bank, entry_filter: EntryFilter) -> bool:
    """Read from the store at match time, so retiring an entry or disabling a bank acts at once."""
    return stored.bank_enabled and entry_filter(stored, bank)
