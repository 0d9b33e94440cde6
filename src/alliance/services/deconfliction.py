"""Deconfliction: what a case's items are, answered at once, item by item, and who is told.

For each item: **known** (bank entries the investigator may match, with the category in their own
country's scheme), **part of series X** (with its victims, who identified them and when, where the
series' policy lets the investigator know), **another agency works this** (its series or open case;
the agency and its contact point where its policy allows, otherwise that agency is notified that a
case hit its work and decides whether to make contact), or **unknown**: new-looking material, the
priority list for victim identification.

Items come from an `ItemSource`, any iterable of `NewItem` (a hash list read by `formats`, images
hashed in memory, and later a scan of a seized collection). They are taken in batches: each batch is
looked up against the index as it was when the intake started (`ItemIndex`: every series item and
every open case's item, rebuilt when the store has changed), then stored with its findings. The
index says which items are near; the store says, for the hits alone, who owns them and what the
policy allows now. Every intake is audited with its counts, every disclosure and notification too.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from alliance.core.access import BankAction, Principal, Scope, may_act_on_bank
from alliance.core.banks import Bank, EntryStatus, StoredSignal
from alliance.core.errors import InvalidRequest
from alliance.core.index.item_index import ItemIndex
from alliance.core.investigations import (
    Case,
    CaseStatus,
    Disclose,
    Finding,
    Item,
    NewItem,
    Series,
    Victim,
    VictimStatus,
    may_see,
)
from alliance.core.signals import Signal
from alliance.core.trust import ANALYST_VISIBLE, Grade, SchemeBook
from alliance.services.audit import AuditLog
from alliance.services.investigations import InvestigationService
from alliance.services.matching import Matcher
from alliance.services.notifications import Notifier
from alliance.store.investigations import InvestigationStore

BATCH = 2000
"""Items looked up and stored per step of an intake."""

ItemSource = Iterable[NewItem]
"""Where a case's items come from: a file's records, hashed uploads, a scan of seized media."""


class ScanSource(Protocol):
    """What a scanner of a seized collection will offer: items as it hashes them (media never stored)."""

    def __iter__(self) -> Iterator[NewItem]: ...


@dataclass(frozen=True, slots=True)
class KnownHit:
    bank: str
    entry_id: int
    signal_type: str
    distance: int
    category: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class VictimView:
    identifier: str
    status: VictimStatus
    age_band: str
    identified_by: str | None
    identified_country: str | None
    identified_at: Any


@dataclass(frozen=True, slots=True)
class HolderHit:
    """A series or another case that holds the item, as far as the investigator may know it.

    `disclosed` False: only "another agency works this" (the owner is notified instead)."""

    kind: str  # "series" or "case"
    own: bool
    disclosed: bool
    id: int | None = None
    name: str | None = None
    icse_name: str | None = None
    active: bool | None = None
    victim_identified: bool | None = None
    offender_identified: bool | None = None
    victims: tuple[VictimView, ...] = ()
    agency: str | None = None
    country: str | None = None
    contact_point: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    position: int
    item_id: int | None
    finding: Finding
    known: tuple[KnownHit, ...] = ()
    held_by: tuple[HolderHit, ...] = ()
    signals: tuple[Signal, ...] = ()  # the item's own hashes, so a reader can tell which item it is
    image_id: str | None = None


@dataclass
class IntakeReport:
    case: Case
    counts: Counter[str] = field(default_factory=Counter)
    results: list[ItemResult] = field(default_factory=list)
    notified: list[int] = field(default_factory=list)  # notification ids
    items: int = 0
    unknown: list[tuple[Signal, ...]] = field(default_factory=list)
    """The hashes of items nobody knows: the priority list for victim identification."""


class IndexHolder:
    """The node's one `ItemIndex`, rebuilt from the store when its version has changed."""

    def __init__(self, store: InvestigationStore) -> None:
        self.store = store
        self._index: ItemIndex | None = None
        self._version: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    def current(self) -> ItemIndex:
        version = self.store.version()
        with self._lock:
            if self._index is None or version != self._version:
                self._index = ItemIndex.build(self.store.index_rows())
                self._version = version
            return self._index


class DeconflictionService:
    def __init__(
        self,
        investigations: InvestigationService,
        matcher: Matcher,
        index: IndexHolder,
        schemes: SchemeBook,
        notifier: Notifier,
        audit: AuditLog,
    ) -> None:
        self.investigations = investigations
        self.store = investigations.store
        self.matcher = matcher
        self.index = index
        self.schemes = schemes
        self.notifier = notifier
        self.audit = audit
        self.actor: Principal = investigations.actor

    # --- intake --------------------------------------------------------------------------------

    def intake(
        self, case_id: int, source: ItemSource, *, keep_results: bool = True, vics: dict[str, Any] | None = None
    ) -> IntakeReport:
        """Store `source`'s items in the case and deconflict each at once (batch by batch).
        `vics`: the case fields of the VICS file they came from, kept for an export (the first file's)."""
        case = self.investigations.case(case_id, "case.intake", Scope.WRITE)
        if case.status is CaseStatus.CLOSED:
            raise InvalidRequest(f"case {case.case_number} is closed: reopen work in a new case")
        if vics and not self.store.case_extra(case.id):
            self.store.update_case(case.id, extra=vics)
        report = IntakeReport(case)
        index = self.index.current()
        pending: dict[tuple[str, int], Counter[str]] = {}  # undisclosed holder -> counts, for notifications
        iterator = iter(source)
        position = 0
        while batch := list(islice(iterator, BATCH)):
            for number, item in enumerate(batch, start=position + 1):
                if not item.signals:
                    raise InvalidRequest(f"item {number} has no hash; {position} items before it were taken")
            results = self._deconflict(case, batch, index, position, pending)
            if keep_results:
                report.unknown.extend(
                    i.signals for i, r in zip(batch, results, strict=True) if r.finding is Finding.UNKNOWN
                )
            ids = self.store.add_items(batch, case_id=case.id)
            self.store.set_findings({i: r.finding for i, r in zip(ids, results, strict=True)})
            for item_id, item, r in zip(ids, batch, results, strict=True):
                report.counts[r.finding.value] += 1
                if keep_results:
                    report.results.append(
                        ItemResult(r.position, item_id, r.finding, r.known, r.held_by, item.signals, item.image_id)
                    )
            position += len(batch)
        report.items = position
        report.notified = self._notify(case, pending)
        self.audit.record(
            self.actor,
            "case.intake",
            f"case:{case.id}",
            subject_org_id=case.owner_id,
            details={"items": position, "findings": dict(report.counts), "notified": report.notified},
        )
        return report

    def review(self, case_id: int, after: int = 0, limit: int = 1000) -> list[ItemResult]:
        """The case's stored items deconflicted again, with what is known now (audited)."""
        case = self.investigations.case(case_id, "case.deconfliction")
        items = [i for i in islice(self.store.items_of(case_id=case_id), after, after + limit)]
        batch = [NewItem(i.signals, i.flags, i.image_id) for i in items]
        results = self._deconflict(case, batch, self.index.current(), after, {})
        out = [
            ItemResult(r.position, i.id, r.finding, r.known, r.held_by, i.signals, i.image_id)
            for i, r in zip(items, results, strict=True)
        ]
        self.audit.record(
            self.actor,
            "case.deconfliction",
            f"case:{case_id}",
            subject_org_id=case.owner_id,
            details={"after": after, "count": len(out), "findings": dict(Counter(r.finding.value for r in out))},
        )
        return out

    # --- one batch -----------------------------------------------------------------------------

    def _deconflict(
        self,
        case: Case,
        batch: list[NewItem],
        index: ItemIndex,
        offset: int,
        pending: dict[tuple[str, int], Counter[str]],
    ) -> list[ItemResult]:
        signals: list[Signal] = []
        owner_of: list[int] = []
        for number, item in enumerate(batch):
            signals.extend(item.signals)
            owner_of.extend([number] * len(item.signals))
        known = self._known(signals, owner_of)
        holders = self._holders(case, signals, owner_of, index)
        results = []
        for number in range(len(batch)):
            hits = tuple(self._describe(h, pending) for h in holders.get(number, []))
            results.append(
                ItemResult(
                    offset + number, None, _finding(hits, known.get(number, [])), tuple(known.get(number, [])), hits
                )
            )
        return results

    def _known(self, signals: list[Signal], owner_of: list[int]) -> dict[int, list[KnownHit]]:
        """Bank entries the investigator may match (police see disputed and quarantined ones too)."""
        positions: dict[tuple[str, str], list[int]] = {}
        for signal, number in zip(signals, owner_of, strict=True):
            positions.setdefault((signal.type, signal.value), []).append(number)

        def may_match(bank: Bank) -> bool:
            return may_act_on_bank(self.actor, BankAction.MATCH, bank.owner.id, bank.policy)

        def counts(stored: StoredSignal, bank: Bank) -> bool:
            return stored.entry_status in ANALYST_VISIBLE and stored.entry_status is not EntryStatus.RETIRED

        # One vectorised pass of the matcher's prefix filter first: of a million items' digests, only
        # those some bank might hold go on to the matcher (which asks the store for those alone).
        self.matcher.index.refresh_if_due()
        near = self.matcher.index.indexes
        exact = [s for s in signals if s.type not in near]
        held = self.matcher.index.exact.might_hold_many([s.value for s in exact])
        candidates = [s for s in signals if s.type in near] + [
            s for s, h in zip(exact, held.tolist(), strict=True) if h
        ]
        if not candidates:
            return {}
        matches, _ = self.matcher.match_detailed(candidates, bank_filter=may_match, entry_filter=counts)
        found: dict[int, dict[int, KnownHit]] = {}
        readable: dict[int, bool] = {}
        for m in matches:
            if m.bank_id not in readable:
                bank = self.matcher.index.bank(m.bank_id)
                readable[m.bank_id] = bank is not None and may_act_on_bank(
                    self.actor, BankAction.READ, bank.owner.id, bank.policy
                )
            category = None
            if m.grade and readable[m.bank_id]:
                grade = Grade.from_json({k: v for k, v in m.grade.items() if v is not None})
                category = self.schemes.category(grade, self.actor.country)
            hit = KnownHit(m.bank, m.entry_id, m.signal_type, m.distance, category)
            for number in positions.get((m.query.type, m.query.value), []):
                found.setdefault(number, {}).setdefault(m.entry_id, hit)
        return {n: list(hits.values()) for n, hits in found.items()}

    def _holders(
        self, case: Case, signals: list[Signal], owner_of: list[int], index: ItemIndex
    ) -> dict[int, list[tuple[Item, Series | Case, list[Victim]]]]:
        hits = index.lookup(signals)
        if not hits:
            return {}
        items = self.store.items_by_id([h.item_id for h in hits])
        series = self.store.series_many([i.series_id for i in items.values() if i.series_id is not None])
        cases = self.store.cases_many([i.case_id for i in items.values() if i.case_id is not None])
        victims: dict[int, list[Victim]] = {}
        for v in self.store.victims_of(list(series)):
            victims.setdefault(v.series_id, []).append(v)
        out: dict[int, dict[tuple[str, int], tuple[Item, Series | Case, list[Victim]]]] = {}
        for hit in hits:
            item = items.get(hit.item_id)
            if item is None or (hit.distance == 0 and not _holds(item, signals[hit.query])):
                continue  # a 64-bit prefix that collided, or an item gone since the index was built
            number = owner_of[hit.query]
            holder: Series | Case
            if item.series_id is not None and item.series_id in series:
                key, holder = ("series", item.series_id), series[item.series_id]
            elif item.case_id is not None and item.case_id in cases and item.case_id != case.id:
                other = cases[item.case_id]
                if other.status is not CaseStatus.OPEN:
                    continue
                key, holder = ("case", other.id), other
            else:
                continue
            vs = victims.get(item.series_id, []) if item.series_id is not None else []
            out.setdefault(number, {}).setdefault(key, (item, holder, vs))
        return {n: list(found.values()) for n, found in out.items()}

    def _describe(
        self, hit: tuple[Item, Series | Case, list[Victim]], pending: dict[tuple[str, int], Counter[str]]
    ) -> HolderHit:
        item, holder, victims = hit
        kind = "series" if isinstance(holder, Series) else "case"
        own = holder.owner_id == self.actor.org_id
        read = own or may_see(self.actor, holder.owner_id, holder.policy, Disclose.READ)
        contact = own or may_see(self.actor, holder.owner_id, holder.policy, Disclose.CONTACT)
        if not contact:  # the owner decides whether to make contact
            pending.setdefault((kind, holder.id), Counter())["items"] += 1
        if not read and not contact:
            return HolderHit(kind, own, False)
        identified = item.flags.victim_identified or any(v.status is not VictimStatus.UNIDENTIFIED for v in victims)
        details: dict[str, Any] = {}
        if read and isinstance(holder, Series):
            details = {
                "id": holder.id,
                "name": holder.name,
                "icse_name": holder.icse_name,
                "active": holder.active,
                "victim_identified": identified,
                "offender_identified": item.flags.offender_identified,
                "victims": tuple(
                    VictimView(
                        v.identifier, v.status, v.age_band, v.identified_by, v.identified_country, v.identified_at
                    )
                    for v in victims
                ),
            }
        elif read and isinstance(holder, Case):
            details = {"id": holder.id, "name": holder.case_number, "active": True}
        if contact:
            details |= {
                "agency": holder.owner_name,
                "country": holder.owner_country,
                "contact_point": holder.contact_point,
            }
        return HolderHit(kind, own, True, **details)

    # --- notifications -------------------------------------------------------------------------

    def _notify(self, case: Case, pending: dict[tuple[str, int], Counter[str]]) -> list[int]:
        """Tell each agency whose series or case this intake hit without naming it to the investigator."""
        sent = []
        series = self.store.series_many([i for k, i in pending if k == "series"])
        cases = self.store.cases_many([i for k, i in pending if k == "case"])
        for (kind, holder_id), counts in sorted(pending.items()):
            holder: Series | Case | None = series.get(holder_id) if kind == "series" else cases.get(holder_id)
            if holder is None:
                continue
            name = holder.name if isinstance(holder, Series) else holder.case_number
            subject = f"Another agency's case hit your {kind} {name!r}"
            body = (
                f"{counts['items']} item(s) of case {case.case_number} of {case.owner_name} ({case.owner_country}) "
                f"are also in your {kind} {name!r}.\n"
                f"Their contact point: {case.contact_point or '(none given)'}"
                f"{' <' + case.contact_email + '>' if case.contact_email else ''}.\n\n"
                "They were told only that another agency works this material, not who you are. "
                "Decide whether to make contact.\n\n"
                "This message carries no hashes. The details are in Alliance, under your notifications."
            )
            details = {
                "holder": f"{kind}:{holder_id}",
                "items": counts["items"],
                "case_number": case.case_number,
                "from_org": case.owner_name,
                "from_country": case.owner_country,
                "contact_point": case.contact_point,
            }
            note = self.notifier.notify(
                self.actor, holder.owner_id, f"{kind}_hit", subject, body, details, holder.contact_email
            )
            sent.append(note.id)
        return sent


def _holds(item: Item, signal: Signal) -> bool:
    return any(s.type == signal.type and s.value == signal.value for s in item.signals)


def _finding(hits: tuple[HolderHit, ...], known: list[KnownHit]) -> Finding:
    others = [h for h in hits if not h.own]
    if any(h.victim_identified for h in hits if h.disclosed):
        return Finding.VICTIM_IDENTIFIED
    if others:
        return Finding.OTHER_AGENCY
    if hits:
        return Finding.OWN_AGENCY
    if known:
        return Finding.KNOWN
    return Finding.UNKNOWN
