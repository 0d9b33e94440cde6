"""Trust work over HTTP: grading, the review queues, disputes, quarantine, an entry's history."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from alliance.api.deps import NodeDep, PrincipalDep
from alliance.api.schemas import After, EntryOut, RowId, Strict
from alliance.core.trust import DisputeOutcome, DisputeState, Grade, Queue, Verdict

router = APIRouter(prefix="/v1", tags=["trust"])


class GradeIn(Strict):
    illegal: bool
    age_band: str = Field(description="infant, prepubescent, pubescent, adult or none (no person)")
    severity: int | None = Field(None, description="1 (most severe) to 3, for illegal material")
    baseline: bool = Field(False, description="INTERPOL Baseline: illegal in any country")

    def grade(self) -> Grade:
        return Grade.from_json(self.model_dump())


class GradedOut(BaseModel):
    entry: EntryOut
    verdict: Verdict


class VoteOut(BaseModel):
    grader: str
    organisation: int
    grade: dict[str, Any]


class ReviewIn(Strict):
    grade: GradeIn
    reason: str = Field(min_length=1, max_length=2000)


class DisputeIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class ResolutionIn(Strict):
    outcome: DisputeOutcome
    reason: str = Field(min_length=1, max_length=2000)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class TransitionOut(BaseModel):
    from_status: str
    to_status: str
    actor: str
    reason: str
    details: dict[str, Any]
    at: Any


class DisputeOut(BaseModel):
    """A dispute as its organisation may know it: never the entry's hashes or grade."""

    id: int = Field(description="Pass as `after` for the next page.")
    match_id: str
    entry: int
    state: DisputeState = Field(
        description="open (too few organisations yet), upheld (the entry is disputed and platforms no longer "
        "match it, until its curators decide), entry_stands or false_positive (decided)."
    )
    reason: str
    disputed_at: datetime
    resolved_at: datetime | None


class DisputeReceiptOut(BaseModel):
    match_id: str
    entry: int
    state: DisputeState
    disputed_at: datetime


class DisputeReasonOut(BaseModel):
    organisation: str
    reason: str
    at: datetime


class QueuedEntryOut(EntryOut):
    disputes: list[DisputeReasonOut] | None = Field(
        None, description="In the disputes queue: the open disputes, who disputes the entry and why."
    )


def _entry_out(node: NodeDep, entry: Any) -> EntryOut:
    return EntryOut.of(entry, node.store.bank_by_id(entry.bank_id).name)


@router.get("/review", response_model=list[QueuedEntryOut])
def review_queue(
    node: NodeDep,
    principal: PrincipalDep,
    kind: Annotated[Queue, Query(description="grading, review, disputes or quarantine")] = Queue.GRADING,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[QueuedEntryOut]:
    """Entries waiting for you: to grade, or (for a bank's curators) to settle. Disputed entries come
    with their open disputes: the organisation, its reason, and when."""
    trust = node.trust_for(principal)
    if kind is Queue.DISPUTES:
        return [
            QueuedEntryOut(
                **_entry_out(node, e).model_dump(),
                disputes=[DisputeReasonOut(organisation=d.organisation, reason=d.reason, at=d.created_at) for d in ds],
            )
            for e, ds in trust.disputes_queue(limit)
        ]
    return [QueuedEntryOut(**_entry_out(node, e).model_dump()) for e in trust.queue(kind, limit)]


@router.post("/entries/{entry_id}/grades", response_model=GradedOut, status_code=201)
def grade_entry(node: NodeDep, principal: PrincipalDep, entry_id: RowId, body: GradeIn) -> GradedOut:
    """Grade a proposed entry, once. Enough agreeing grades confirm it; disagreement sends it to review."""
    entry, verdict = node.trust_for(principal).grade(entry_id, body.grade())
    return GradedOut(entry=_entry_out(node, entry), verdict=verdict)


@router.get("/entries/{entry_id}/grades", response_model=list[VoteOut])
def entry_grades(node: NodeDep, principal: PrincipalDep, entry_id: RowId) -> list[VoteOut]:
    """An entry's grades; with blind grading, only after you have graded it (curators always)."""
    votes = node.trust_for(principal).grades(entry_id)
    return [VoteOut(grader=v.grader, organisation=v.org_id, grade=v.grade.to_json()) for v in votes]


@router.post("/entries/{entry_id}/review", response_model=EntryOut)
def resolve_review(node: NodeDep, principal: PrincipalDep, entry_id: RowId, body: ReviewIn) -> EntryOut:
    """Settle graders' disagreement with the grade that stands (the bank's curators)."""
    return _entry_out(node, node.trust_for(principal).resolve_review(entry_id, body.grade.grade(), body.reason))


@router.post("/matches/{match_id}/dispute", response_model=DisputeReceiptOut)
def dispute_match(
    node: NodeDep,
    principal: PrincipalDep,
    match_id: Annotated[str, PathParam(min_length=1, max_length=64, description="From a match result.")],
    body: DisputeIn,
) -> DisputeReceiptOut:
    """Dispute one of your organisation's matches as a false positive. The receipt says what became
    of it; `GET /v1/disputes` follows it until the bank's curators decide."""
    r = node.trust_for(principal).dispute(match_id, body.reason)
    return DisputeReceiptOut(match_id=r.match_id, entry=r.entry_id, state=r.state, disputed_at=r.disputed_at)


@router.get("/disputes", response_model=list[DisputeOut])
def list_disputes(
    node: NodeDep, principal: PrincipalDep, after: After = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[DisputeOut]:
    """Your organisation's disputes, oldest first, and what became of each."""
    return [
        DisputeOut(
            id=i,
            match_id=r.match_id,
            entry=r.entry_id,
            state=r.state,
            reason=r.reason,
            disputed_at=r.disputed_at,
            resolved_at=r.resolved_at,
        )
        for i, r in node.trust_for(principal).my_disputes(after, limit)
    ]


@router.post("/entries/{entry_id}/dispute-resolution", response_model=EntryOut)
def resolve_dispute(node: NodeDep, principal: PrincipalDep, entry_id: RowId, body: ResolutionIn) -> EntryOut:
    return _entry_out(node, node.trust_for(principal).resolve_dispute(entry_id, body.outcome, body.reason))


@router.post("/entries/{entry_id}/lift-quarantine", response_model=EntryOut)
def lift_quarantine(node: NodeDep, principal: PrincipalDep, entry_id: RowId, body: ReasonIn) -> EntryOut:
    return _entry_out(node, node.trust_for(principal).lift_quarantine(entry_id, body.reason))


@router.get("/entries/{entry_id}/history", response_model=list[TransitionOut])
def entry_history(node: NodeDep, principal: PrincipalDep, entry_id: RowId) -> list[TransitionOut]:
    """Every status change of an entry: who, why, and the numbers."""
    return [TransitionOut(**asdict(t)) for t in node.trust_for(principal).history(entry_id)]
