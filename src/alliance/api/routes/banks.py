"""Banks and their entries. Every call acts for the caller: what it may not see answers 404."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request

from alliance.api import uploads
from alliance.api.deps import NodeDep, PrincipalDep, upload_turn
from alliance.api.routes.matching import hash_upload
from alliance.api.schemas import (
    AddedOut,
    After,
    BankIn,
    BankOut,
    BankUpdate,
    EntriesIn,
    EntriesOut,
    EntryOut,
    RetireIn,
    RowId,
)
from alliance.core.access import SharingPolicy
from alliance.core.banks import EntryStatus
from alliance.core.errors import HashingError, InvalidSignal
from alliance.core.media.hashing import exact_signals
from alliance.core.signals import parse_signal
from alliance.formats.records import MediaRecord
from alliance.services.banks import AddReport, BankService
from alliance.services.hashing import FileResult

router = APIRouter(prefix="/v1", tags=["banks"])


def _out(service: BankService, bank_name: str) -> BankOut:
    bank = service.get_bank(bank_name)
    return BankOut.of(bank, show_policy=service.may_curate(bank))


def _added(report: AddReport) -> AddedOut:
    return AddedOut(
        added=[e.id for e in report.added],
        duplicates=len(report.duplicates),
        failed=[{"file": r.path.name, "error": str(r.error)} for r in report.failed],
    )


@router.get("/banks", response_model=list[BankOut])
def list_banks(node: NodeDep, principal: PrincipalDep) -> list[BankOut]:
    """Banks you may match, read, contribute to or curate."""
    service = node.banks_for(principal)
    return [BankOut.of(b, show_policy=service.may_curate(b)) for b in service.list_banks()]


@router.post("/banks", response_model=BankOut, status_code=201)
def create_bank(node: NodeDep, principal: PrincipalDep, body: BankIn) -> BankOut:
    """Create a bank owned by your organisation. By default it is shared with nobody."""
    service = node.banks_for(principal)
    policy = SharingPolicy.from_json(body.policy) if body.policy is not None else None
    bank = service.create_bank(
        body.name, body.purpose, body.description, body.thresholds, policy, body.trust, body.crop_matching
    )
    return BankOut.of(bank, show_policy=True)


@router.get("/banks/{name}", response_model=BankOut)
def get_bank(node: NodeDep, principal: PrincipalDep, name: str) -> BankOut:
    return _out(node.banks_for(principal), name)


@router.patch("/banks/{name}", response_model=BankOut)
def update_bank(node: NodeDep, principal: PrincipalDep, name: str, body: BankUpdate) -> BankOut:
    """Change a bank's description, thresholds, sharing policy, crop matching or enabled state (its curators only)."""
    service = node.banks_for(principal)
    policy = SharingPolicy.from_json(body.policy) if body.policy is not None else None
    bank = service.update_bank(
        name,
        description=body.description,
        thresholds=body.thresholds,
        policy=policy,
        enabled=body.enabled,
        trust=body.trust,
        crop_matching=body.crop_matching,
    )
    return BankOut.of(bank, show_policy=True)


@router.get("/banks/{name}/entries", response_model=EntriesOut)
def list_entries(
    node: NodeDep,
    principal: PrincipalDep,
    name: str,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    include_retired: bool = False,
    status: Annotated[EntryStatus | None, Query(description="Only entries in this status.")] = None,
    source: Annotated[str | None, Query(max_length=200, description="Only entries whose source starts so.")] = None,
) -> EntriesOut:
    """A page of a bank's entries, hashes included (needs read rights on the bank)."""
    entries = node.banks_for(principal).entries(
        name, include_retired=include_retired, after_id=after, limit=limit, status=status, source_prefix=source
    )
    schemes = node.match_trust.schemes
    return EntriesOut(
        entries=[EntryOut.of(e, name, schemes.category_of_agreed(e.grade, principal.country)) for e in entries],
        next_after=entries[-1].id if len(entries) == limit else None,
    )


@router.post("/banks/{name}/entries", response_model=AddedOut, status_code=201)
def add_entries(node: NodeDep, principal: PrincipalDep, name: str, body: EntriesIn) -> AddedOut:
    """Add up to 1,000 entries by their signals, in one transaction: all or nothing."""
    records = []
    for number, item in enumerate(body.entries):
        try:
            signals = tuple(parse_signal(s.type, s.value, s.quality) for s in item.signals)
        except InvalidSignal as exc:
            raise InvalidSignal(f"entries.{number}: {exc}") from exc
        records.append(MediaRecord(signals, dict(item.metadata), item.note, where=f"api entries.{number}"))
    report = node.banks_for(principal).import_records(name, records, skip_duplicates=body.skip_duplicates)
    return _added(report)


@router.post(
    "/banks/{name}/entries/upload", response_model=AddedOut, status_code=201, openapi_extra=uploads.REQUEST_BODY
)
async def upload_entries(
    request: Request, node: NodeDep, principal: PrincipalDep, name: str, skip_duplicates: bool = False
) -> AddedOut:
    """Hash an image and add it as an entry. Only its hashes are kept (with crops of the picture,
    when the bank matches crops)."""
    service = node.banks_for(principal)
    bank = await anyio.to_thread.run_sync(service.get_bank, name)  # unknown or invisible: 404 before reading
    with upload_turn(request, principal):
        data, filename = await uploads.upload_bytes(request)

        def hashed() -> FileResult:
            try:
                return FileResult(Path(filename), hashes=hash_upload(node, data, crops=bank.crop_matching))
            except HashingError as exc:  # not an image we decode: its exact hashes still match copies
                return FileResult(Path(filename), error=exc, exact=exact_signals(data) if data else ())

        result = await anyio.to_thread.run_sync(hashed, limiter=request.app.state.hashing_limiter)
    # The write waits for the store outside the hashing slots, which uploads to match also need.
    add = functools.partial(service.add_files, name, [result], skip_duplicates=skip_duplicates)
    return _added(await anyio.to_thread.run_sync(add))


@router.get("/entries/{entry_id}", response_model=EntryOut)
def get_entry(node: NodeDep, principal: PrincipalDep, entry_id: RowId) -> EntryOut:
    """An entry, hashes included, and its category in your jurisdiction once graded (needs read rights)."""
    entry, bank = node.banks_for(principal).get_entry(entry_id)
    return EntryOut.of(entry, bank.name, node.match_trust.schemes.category_of_agreed(entry.grade, principal.country))


@router.post("/entries/{entry_id}/retire", response_model=EntryOut)
def retire_entry(node: NodeDep, principal: PrincipalDep, entry_id: RowId, body: RetireIn) -> EntryOut:
    """Retire an entry: it stops matching at once and is kept for the record (its bank's curators only)."""
    service = node.banks_for(principal)
    entry = service.retire_entry(entry_id, body.reason)
    return EntryOut.of(entry, service.store.bank_by_id(entry.bank_id).name)
