"""Trust work on entries: grading, review of disagreements, disputes, quarantine.

Acts for a principal, like `BankService`: graders (hotline analysts, police investigators) need
read rights on the entry's bank; the bank's curators (its owner's org admins and analysts) resolve
reviews and disputes and lift quarantines. Every transition is recorded with who and why, and
audited; what the principal may not see answers `NotFound`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from alliance.core.access import ROLE_BANK_ACTIONS, BankAction, Principal, Role, Scope, may_act_on_bank
from alliance.core.banks import Bank, Entry, EntryStatus
from alliance.core.errors import Conflict, InvalidRequest, NotFound
from alliance.core.trust import (
    BankTrust,
    DisputeOutcome,
    DisputeState,
    FloodDecision,
    Grade,
    Queue,
    Verdict,
    Vote,
    consensus,
    dispute_upheld,
)
from alliance.services.audit import AuditLog, actor_name
from alliance.services.banks import BankService
from alliance.store.repository import Store
from alliance.store.trust_store import Dispute, MatchEvent, Transition, TrustStore

GRADER_ROLES = frozenset({Role.ANALYST, Role.INVESTIGATOR})


def grader_of(principal: Principal) -> str | None:
    """Who a grade belongs to: a person, never a credential. An analyst's login and the keys that act
    for them are one grader; a key that acts for nobody cannot grade."""
    return f"user:{principal.person}" if principal.person else None


def dispute_state(dispute: Dispute, entry_status: EntryStatus) -> DisputeState:
    """Derived from what is stored: the curators' resolution, else whether the entry is disputed now."""
    if dispute.resolution is not None:
        return DisputeState(dispute.resolution)
    return DisputeState.UPHELD if entry_status is EntryStatus.DISPUTED else DisputeState.OPEN


@dataclass(frozen=True, slots=True)
class DisputeReceipt:
    """What a disputer may know of its dispute: never the entry's hashes or grade (it may not read the bank)."""

    match_id: str
    entry_id: int
    state: DisputeState
    reason: str
    disputed_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, dispute: Dispute, entry_status: EntryStatus) -> DisputeReceipt:
        state = dispute_state(dispute, entry_status)
        return cls(dispute.match_id, dispute.entry_id, state, dispute.reason, dispute.created_at, dispute.resolved_at)


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """One of an organisation's past matches, as its history shows it."""

    event: MatchEvent
    bank: str
    disputed: bool


class TrustService:
    def __init__(
        self,
        store: Store,
        trust: TrustStore,
        banks: BankService,
        audit: AuditLog,
        flush_match_events: Callable[[], object] = lambda: None,
    ) -> None:
        """`flush_match_events` writes the matches a server still holds in memory, so that a match
        disputed the moment it was made is found."""
        self.store, self.trust, self.banks, self.audit = store, trust, banks, audit
        self.flush_match_events = flush_match_events
        self.actor: Principal = banks.actor
        self.default_required = banks.settings.default_required_grades

    # --- access --------------------------------------------------------------------------------

    def _entry(self, entry_id: int, action: str, allowed: str) -> tuple[Entry, Bank]:
        """The entry if the actor may `allowed` ('grade', 'read', 'curate') it; else NotFound, audited."""
        entry, bank = self.banks.entry_and_bank(entry_id, action)
        may = {
            "read": may_act_on_bank(self.actor, BankAction.READ, bank.owner.id, bank.policy),
            "grade": self.actor.has(*GRADER_ROLES)
            and self.actor.may(Scope.WRITE)
            and may_act_on_bank(self.actor, BankAction.READ, bank.owner.id, bank.policy),
            "curate": self.banks.may_curate(bank),
        }[allowed]
        if not may:
            self.audit.record(self.actor, action, f"entry:{entry_id}", "refused", subject_org_id=bank.owner.id)
            raise NotFound(f"no entry with id {entry_id}")
        return entry, bank

    def _settings(self, bank: Bank) -> BankTrust:
        return BankTrust.from_json(bank.trust, self.default_required)

    def _move(
        self,
        entry: Entry,
        bank: Bank,
        new: EntryStatus,
        reason: str,
        details: Mapping[str, object],
        grade: Grade | None = None,
        action: str = "entry.transition",
    ) -> Entry:
        moved = self.store.transition(
            entry.id, new, actor_name(self.actor), reason, dict(details), grade=grade.to_json() if grade else None
        )
        self.audit.record(
            self.actor,
            action,
            f"entry:{entry.id}",
            subject_org_id=bank.owner.id,
            details={"from": entry.status.value, "to": new.value, "reason": reason, **details},
        )
        return moved

    def _refused(self, action: str, entry_id: int, bank: Bank, why: str) -> None:
        self.audit.record(
            self.actor, action, f"entry:{entry_id}", "refused", subject_org_id=bank.owner.id, details={"why": why}
        )

    # --- grading -------------------------------------------------------------------------------

    def grade(self, entry_id: int, grade: Grade) -> tuple[Entry, Verdict]:
        """Grade an entry once; the bank's consensus rule may confirm it or send it to review."""
        entry, bank = self._entry(entry_id, "entry.grade", "grade")
        grader = grader_of(self.actor)
        if grader is None:
            self._refused("entry.grade", entry_id, bank, "a key that acts for no person")
            raise InvalidRequest("grades belong to people: log in, or use a key that acts for a user")
        if entry.status != EntryStatus.PROPOSED:
            raise InvalidRequest(f"entry {entry_id} is {entry.status.value}; only proposed entries are graded")
        vote = Vote(grader, self.actor.org_id, grade)
        try:
            votes = self.trust.add_grade(entry_id, vote)
        except Conflict:
            self._refused("entry.grade", entry_id, bank, "graded already")
            raise
        self.audit.record(
            self.actor,
            "entry.grade",
            f"entry:{entry_id}",
            subject_org_id=bank.owner.id,
            details={"grade": grade.to_json(), "grades": len(votes)},
        )
        verdict, agreed = consensus(votes, self._settings(bank).consensus)
        if verdict is Verdict.CONFIRMED:
            rule = self._settings(bank).consensus
            entry = self._move(
                entry,
                bank,
                EntryStatus.CONFIRMED,
                "graders agree",
                {
                    "grades": len(votes),
                    "organisations": len({v.org_id for v in votes}),
                    "rule": f"{rule.required} grades from {rule.min_orgs} organisations",
                },
                agreed,
            )
        elif verdict is Verdict.REVIEW and not entry.needs_review:
            self.trust.mark_review(entry_id)
            self.audit.record(
                self.actor,
                "entry.review_needed",
                f"entry:{entry_id}",
                subject_org_id=bank.owner.id,
                details={"grades": len(votes)},
            )
            entry = self.store.get_entry(entry_id)
        return entry, verdict

    def grades(self, entry_id: int) -> list[Vote]:
        """An entry's grades. With blind grading, a grader sees them only after grading it."""
        _, bank = self._entry(entry_id, "entry.grades", "read")
        blind = self._settings(bank).blind_grading
        grader = grader_of(self.actor)
        graded = grader is not None and self.trust.has_graded(entry_id, grader)
        if blind and not self.banks.may_curate(bank) and not graded:
            self._refused("entry.grades", entry_id, bank, "blind grading")
            raise NotFound(f"no grades of entry {entry_id} to show before you grade it (blind grading)")
        self.audit.record(self.actor, "entry.grades", f"entry:{entry_id}", subject_org_id=bank.owner.id)
        return self.trust.votes(entry_id)

    def resolve_review(self, entry_id: int, grade: Grade, reason: str) -> Entry:
        """A curator settles a disagreement with the grade that stands."""
        entry, bank = self._entry(entry_id, "entry.review", "curate")
        if not entry.needs_review:
            raise InvalidRequest(f"entry {entry_id} is not waiting for review")
        return self._move(
            entry, bank, EntryStatus.CONFIRMED, _reason(reason), {"review": True}, grade, action="entry.review"
        )

    # --- queues ----------------------------------------------------------------------------------

    def queue(self, kind: Queue, limit: int = 100, after: int = 0) -> list[Entry]:
        """Entries waiting for the actor: to grade (banks it may read), or to settle (banks it curates);
        oldest first, from the entry after `after` (a page)."""
        banks = self.store.list_banks()
        if kind is Queue.GRADING:
            grader = grader_of(self.actor)
            if not self.actor.has(*GRADER_ROLES) or grader is None:
                return []
            readable = [b.id for b in banks if may_act_on_bank(self.actor, BankAction.READ, b.owner.id, b.policy)]
            entries = self.trust.entries_waiting(
                readable,
                status=EntryStatus.PROPOSED,
                needs_review=False,
                not_graded_by=grader,
                limit=limit,
                after=after,
            )
        else:
            curated = [b.id for b in banks if self.banks.may_curate(b)]
            status, review = {
                Queue.REVIEW: (EntryStatus.PROPOSED, True),
                Queue.DISPUTES: (EntryStatus.DISPUTED, None),
                Queue.QUARANTINE: (EntryStatus.QUARANTINED, None),
            }[kind]
            entries = self.trust.entries_waiting(curated, status=status, needs_review=review, limit=limit, after=after)
        self.audit.record(self.actor, "review.queue", f"queue:{kind.value}", details={"count": len(entries)})
        return entries

    # --- disputes ------------------------------------------------------------------------------

    def dispute(self, match_id: str, reason: str) -> DisputeReceipt:
        """Dispute one of your organisation's matches as a false positive; the receipt says what became of it."""
        try:
            event = self.trust.match_event(match_id)
        except NotFound:
            self.flush_match_events()  # made a moment ago, and not written yet?
            try:
                event = self.trust.match_event(match_id)
            except NotFound:
                self.audit.record(self.actor, "match.dispute", f"match:{match_id}", "not_found")
                raise
        matcher = any(BankAction.MATCH in ROLE_BANK_ACTIONS[r] for r in self.actor.roles)
        own = event.org_id == self.actor.org_id or self.actor.is_node_admin
        if not (own and matcher and self.actor.may(Scope.MATCH)):
            self.audit.record(self.actor, "match.dispute", f"match:{match_id}", "refused")
            raise NotFound(f"no match {match_id!r}")
        entry = self.store.get_entry(event.entry_id)
        bank = self.store.bank_by_id(event.bank_id)
        disputes = self.trust.add_dispute(
            entry.id, match_id, self.actor.org_id, actor_name(self.actor), _reason(reason)
        )
        self.audit.record(
            self.actor,
            "match.dispute",
            f"match:{match_id}",
            subject_org_id=bank.owner.id,
            details={"entry": entry.id, "reason": _reason(reason), "open_disputes": len(disputes)},
        )
        threshold = self._settings(bank).dispute_threshold
        if entry.status == EntryStatus.CONFIRMED and dispute_upheld((d.org_id for d in disputes), threshold):
            # The owner is told through the audit log (subject_org_id) and its disputes queue.
            entry = self._move(
                entry,
                bank,
                EntryStatus.DISPUTED,
                "disputed as a false positive",
                {"organisations": len({d.org_id for d in disputes}), "threshold": threshold},
            )
        mine = next(d for d in disputes if d.match_id == match_id)
        return DisputeReceipt.of(mine, entry.status)

    def my_disputes(self, after: int = 0, limit: int = 100) -> list[tuple[int, DisputeReceipt]]:
        """The disputes of the actor's organisation and what became of them, with their ids (for paging)."""
        found = self.trust.org_disputes(self.actor.org_id, after, limit) if self.actor.org_id else []
        self.audit.record(self.actor, "dispute.list", f"org:{self.actor.org_id}", details={"count": len(found)})
        return [(d.id, DisputeReceipt.of(d, status)) for d, status in found]

    def my_matches(self, before: tuple[datetime, str] | None = None, limit: int = 50) -> list[MatchRecord]:
        """The matches of the actor's organisation, newest first, each with its bank's name and
        whether it was disputed: what it was shown when it matched, kept for the retention period.
        For those whose work is matching (a platform, an investigator, an analyst)."""
        if not self._matcher():
            self.audit.record(self.actor, "match.history", f"org:{self.actor.org_id}", "refused")
            raise NotFound("no such resource")
        self.flush_match_events()  # the matches of a moment ago too
        events = self.trust.org_match_events(self.actor.org_id, before, limit)
        disputed = self.trust.disputed_matches([e.id for e in events])
        names = {bank_id: self.store.bank_by_id(bank_id).name for bank_id in {e.bank_id for e in events}}
        self.audit.record(self.actor, "match.history", f"org:{self.actor.org_id}", details={"count": len(events)})
        return [MatchRecord(e, names[e.bank_id], e.id in disputed) for e in events]

    def _matcher(self) -> bool:
        roles = any(BankAction.MATCH in ROLE_BANK_ACTIONS[r] for r in self.actor.roles)
        return roles and self.actor.may(Scope.MATCH) and bool(self.actor.org_id)

    def disputes_queue(self, limit: int = 100, after: int = 0) -> list[tuple[Entry, list[Dispute]]]:
        """Disputed entries of the banks the actor curates, each with its open disputes (organisation,
        reason, when) so that curators know what to check."""
        return [(e, self.trust.disputes(e.id, open_only=True)) for e in self.queue(Queue.DISPUTES, limit, after)]

    def entry_to_curate(self, entry_id: int) -> Entry:
        """The entry, if the actor curates its bank (`NotFound` otherwise, audited): a page asks
        before a curator's decision and must not ask anyone else."""
        return self._entry(entry_id, "entry.curate", "curate")[0]

    def open_disputes(self, entry_id: int) -> list[Dispute]:
        """An entry's open disputes (who, why, when), for its curators to decide on."""
        return self.entry_disputes(entry_id, open_only=True)

    def entry_disputes(self, entry_id: int, open_only: bool = False) -> list[Dispute]:
        """An entry's disputes, resolved ones too (who, why, when, how it ended), for its curators:
        those who dispute it are named to them alone."""
        _, bank = self._entry(entry_id, "entry.disputes", "curate")
        found = self.trust.disputes(entry_id, open_only=open_only)
        details = {"count": len(found)}
        self.audit.record(
            self.actor, "entry.disputes", f"entry:{entry_id}", subject_org_id=bank.owner.id, details=details
        )
        return found

    def resolve_dispute(self, entry_id: int, outcome: DisputeOutcome, reason: str) -> Entry:
        entry, bank = self._entry(entry_id, "entry.dispute_resolution", "curate")
        if entry.status != EntryStatus.DISPUTED:
            raise InvalidRequest(f"entry {entry_id} is {entry.status.value}, not disputed")
        resolved = self.trust.resolve_disputes(entry_id, outcome.value, actor_name(self.actor))
        new = EntryStatus.CONFIRMED if outcome is DisputeOutcome.ENTRY_STANDS else EntryStatus.RETIRED
        return self._move(
            entry,
            bank,
            new,
            _reason(reason),
            {"outcome": outcome.value, "disputes": resolved},
            action="entry.dispute_resolution",
        )

    # --- quarantine ----------------------------------------------------------------------------

    def quarantine(self, decision: FloodDecision) -> Entry | None:
        """Quarantine a flooding entry for platforms (called by the flood rule, as the node)."""
        entry = self.store.get_entry(decision.entry_id)
        if entry.status != EntryStatus.CONFIRMED:
            return None
        bank = self.store.bank_by_id(entry.bank_id)
        return self._move(
            entry,
            bank,
            EntryStatus.QUARANTINED,
            "matched a flood of queries",
            decision.numbers(),
            action="entry.quarantine",
        )

    def report_flood(self, decision: FloodDecision) -> None:
        """One organisation flooded an entry alone: it cannot quarantine it, but the bank's owner is
        told (the audit log, under its organisation) and the caller is throttled by the flood rule."""
        entry = self.store.get_entry(decision.entry_id)
        bank = self.store.bank_by_id(entry.bank_id)
        self.audit.record(
            self.actor,
            "match.flood",
            f"entry:{entry.id}",
            "reported",
            subject_org_id=bank.owner.id,
            details={"organisation": decision.single_caller, **decision.numbers()},
        )

    def lift_quarantine(self, entry_id: int, reason: str) -> Entry:
        entry, bank = self._entry(entry_id, "entry.lift_quarantine", "curate")
        if entry.status != EntryStatus.QUARANTINED:
            raise InvalidRequest(f"entry {entry_id} is {entry.status.value}, not quarantined")
        return self._move(entry, bank, EntryStatus.CONFIRMED, _reason(reason), {}, action="entry.lift_quarantine")

    def history(self, entry_id: int) -> list[Transition]:
        self._entry(entry_id, "entry.history", "read")
        return self.trust.transitions(entry_id)


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidRequest("say why")
    return text[:2000]
