"""Series, victims, cases, deconfliction and notifications over HTTP: police only, 404 for anyone else."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from alliance.api.deps import NodeDep, PrincipalDep
from alliance.api.schemas import After, RowId, SignalIn, SignalOut, Strict
from alliance.core.errors import InvalidRequest, InvalidSignal
from alliance.core.investigations import (
    Case,
    DisclosurePolicy,
    Finding,
    Item,
    ItemFlags,
    LinkKind,
    NewItem,
    Series,
    SeriesLink,
    Victim,
    VictimStatus,
)
from alliance.core.signals import parse_signal
from alliance.formats import icse_csv, vics_cases
from alliance.formats.registry import get_format
from alliance.services.deconfliction import IntakeReport, ItemResult
from alliance.store.investigations import Notification

router = APIRouter(prefix="/v1", tags=["investigations"])

MAX_ITEMS = 10_000


class PolicyFields(Strict):
    policy: dict[str, Any] | None = Field(
        None,
        description='Who else may know: {"read": {"orgs": [], "countries": [], "roles": []}, "contact": {...}}. '
        "read: the series and its victims; contact: your agency and contact point. Default: nobody.",
    )


class SeriesIn(PolicyFields):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    icse_name: str | None = Field(None, max_length=200)
    vics_series: str | None = Field(None, max_length=200)
    contact_point: str = Field("", max_length=500)
    contact_email: str | None = Field(None, max_length=320)
    active: bool = True


class SeriesUpdate(PolicyFields):
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    icse_name: str | None = Field(None, max_length=200)
    vics_series: str | None = Field(None, max_length=200)
    contact_point: str | None = Field(None, max_length=500)
    contact_email: str | None = Field(None, max_length=320)
    active: bool | None = None


class SeriesOut(BaseModel):
    id: int
    name: str
    description: str
    icse_name: str | None
    vics_series: str | None
    active: bool
    first_seen_at: datetime | None
    agency: str | None = Field(None, description="Shown to those the policy lets contact the owner.")
    country: str | None = None
    contact_point: str | None = None
    policy: dict[str, Any] | None = Field(None, description="Shown to the owner only.")
    links: list[dict[str, Any]] = []

    @classmethod
    def of(cls, s: Series, own: bool, contact: bool, links: list[SeriesLink] | None = None) -> SeriesOut:
        shown = own or contact
        return cls(
            id=s.id,
            name=s.name,
            description=s.description,
            icse_name=s.icse_name,
            vics_series=s.vics_series,
            active=s.active,
            first_seen_at=s.first_seen_at,
            agency=s.owner_name if shown else None,
            country=s.owner_country if shown else None,
            contact_point=s.contact_point if shown else None,
            policy=s.policy.to_json() if own else None,
            links=[
                {"series": lk.other_series_id if lk.series_id == s.id else lk.series_id, "kind": lk.kind.value}
                for lk in links or []
            ],
        )


class ItemIn(Strict):
    signals: list[SignalIn] = Field(min_length=1, max_length=8)
    image_id: str | None = Field(None, max_length=200)
    distributed: bool = False
    victim_identified: bool = False
    offender_identified: bool = False
    submissions: int = Field(1, ge=0, le=10**9)
    baseline: bool = False
    media_type: Literal["image", "video"] = "image"

    def item(self, number: int) -> NewItem:
        try:
            signals = tuple(parse_signal(s.type, s.value, s.quality) for s in self.signals)
        except InvalidSignal as exc:
            raise InvalidRequest(f"item {number}: {exc}") from exc
        flags = ItemFlags(
            self.distributed,
            self.victim_identified,
            self.offender_identified,
            self.submissions,
            self.baseline,
            self.media_type,
        )
        return NewItem(signals, flags, self.image_id)


class ItemsIn(Strict):
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class ItemOut(BaseModel):
    id: int
    signals: list[SignalOut]
    image_id: str | None
    distributed: bool
    victim_identified: bool
    offender_identified: bool
    submissions: int
    baseline: bool
    media_type: str
    finding: str | None = None

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        f = item.flags
        return cls(
            id=item.id,
            signals=[SignalOut.of(s) for s in item.signals],
            image_id=item.image_id,
            distributed=f.distributed,
            victim_identified=f.victim_identified,
            offender_identified=f.offender_identified,
            submissions=f.submissions,
            baseline=f.baseline,
            media_type=f.media_type,
            finding=item.finding.value if item.finding else None,
        )


class LinkIn(Strict):
    other_series: int = Field(ge=1)
    kind: LinkKind


class VictimIn(Strict):
    """Pseudonymous only: there is no field for a name, address, contact or date of birth, and one
    sent is refused saying why (not as an unknown field)."""

    model_config = ConfigDict(extra="allow")

    identifier: str = Field(min_length=1, max_length=64, description="A pseudonym such as DE-2026-0042.")
    age_band: str = Field("unknown", description="infant, prepubescent, pubescent or unknown")
    sex: str = Field("unknown", description="female, male or unknown")
    status: VictimStatus = VictimStatus.UNIDENTIFIED
    identified_country: str | None = Field(None, max_length=2)
    identified_at: datetime | None = None


class VictimUpdate(Strict):
    model_config = ConfigDict(extra="allow")

    age_band: str | None = None
    sex: str | None = None
    status: VictimStatus | None = None
    identified_country: str | None = Field(None, max_length=2)
    identified_at: datetime | None = None


class VictimOut(BaseModel):
    id: int
    series: int
    identifier: str
    age_band: str
    sex: str
    status: VictimStatus
    identified_by: str | None
    identified_country: str | None
    identified_at: datetime | None

    @classmethod
    def of(cls, v: Victim) -> VictimOut:
        return cls(
            id=v.id,
            series=v.series_id,
            identifier=v.identifier,
            age_band=v.age_band,
            sex=v.sex,
            status=v.status,
            identified_by=v.identified_by,
            identified_country=v.identified_country,
            identified_at=v.identified_at,
        )


class CaseIn(PolicyFields):
    case_number: str = Field(min_length=1, max_length=200)
    contact_point: str = Field("", max_length=500)
    contact_email: str | None = Field(None, max_length=320)


class CaseOut(BaseModel):
    id: int
    case_number: str
    contact_point: str
    contact_email: str | None
    status: str
    opened_at: datetime | None
    closed_at: datetime | None
    items: int
    policy: dict[str, Any]

    @classmethod
    def of(cls, c: Case) -> CaseOut:
        return cls(
            id=c.id,
            case_number=c.case_number,
            contact_point=c.contact_point,
            contact_email=c.contact_email,
            status=c.status.value,
            opened_at=c.opened_at,
            closed_at=c.closed_at,
            items=c.items,
            policy=c.policy.to_json(),
        )


class ImportIn(Strict):
    format: str = Field(description="vics-json (Media or Cases), pdq-txt or te-csv")
    content: str = Field(description="The file's text.")


class ResultOut(BaseModel):
    position: int
    item: int | None
    finding: Finding = Field(
        description="victim_identified, other_agency, own_agency, known or unknown (the priority list)"
    )
    known: list[dict[str, Any]]
    held_by: list[dict[str, Any]] = Field(
        description='Series or open cases holding the item; {"disclosed": false}: "another agency works this", '
        "and that agency has been notified."
    )

    @classmethod
    def of(cls, r: ItemResult) -> ResultOut:
        from dataclasses import asdict

        return cls(
            position=r.position,
            item=r.item_id,
            finding=r.finding,
            known=[asdict(k) for k in r.known],
            held_by=[
                {k: v for k, v in asdict(h).items() if v not in (None, ())} if h.disclosed else _undisclosed(h.kind)
                for h in r.held_by
            ],
        )


def _undisclosed(kind: str) -> dict[str, Any]:
    return {"kind": kind, "disclosed": False, "note": "another agency works this; it has been told of your case"}


class IntakeOut(BaseModel):
    case: int
    items: int
    findings: dict[str, int]
    notified: int
    results: list[ResultOut]

    @classmethod
    def of(cls, r: IntakeReport) -> IntakeOut:
        return cls(
            case=r.case.id,
            items=r.items,
            findings=dict(r.counts),
            notified=len(r.notified),
            results=[ResultOut.of(x) for x in r.results],
        )


class NotificationOut(BaseModel):
    id: int
    kind: str
    subject: str
    body: str
    details: dict[str, Any]
    emailed: bool
    read: bool
    created_at: datetime

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(
            id=n.id,
            kind=n.kind,
            subject=n.subject,
            body=n.body,
            details=n.details,
            emailed=n.emailed_at is not None,
            read=n.read_at is not None,
            created_at=n.created_at,
        )


def _policy(body: PolicyFields) -> DisclosurePolicy | None:
    return DisclosurePolicy.from_json(body.policy) if body.policy is not None else None


# --- series -------------------------------------------------------------------------------------


@router.get("/series", response_model=list[SeriesOut])
def list_series(node: NodeDep, principal: PrincipalDep) -> list[SeriesOut]:
    """Series your agency owns or whose owners share them with you (police only)."""
    service = node.investigations_for(principal)
    return [SeriesOut.of(s, s.owner_id == principal.org_id, service.may_contact(s)) for s in service.list_series()]


@router.post("/series", response_model=SeriesOut, status_code=201)
def create_series(node: NodeDep, principal: PrincipalDep, body: SeriesIn) -> SeriesOut:
    fields = body.model_dump(exclude={"policy", "name"})
    series = node.investigations_for(principal).create_series(body.name, policy=_policy(body), **fields)
    return SeriesOut.of(series, True, True)


@router.get("/series/{series_id}", response_model=SeriesOut)
def get_series(node: NodeDep, principal: PrincipalDep, series_id: RowId) -> SeriesOut:
    service = node.investigations_for(principal)
    series = service.get_series(series_id)
    own = series.owner_id == principal.org_id
    return SeriesOut.of(series, own, service.may_contact(series), service.links(series_id))


@router.patch("/series/{series_id}", response_model=SeriesOut)
def update_series(node: NodeDep, principal: PrincipalDep, series_id: RowId, body: SeriesUpdate) -> SeriesOut:
    changes = body.model_dump(exclude={"policy"}, exclude_none=True)
    series = node.investigations_for(principal).update_series(series_id, policy=_policy(body), **changes)
    return SeriesOut.of(series, True, True)


@router.get("/series/{series_id}/items", response_model=list[ItemOut])
def series_items(node: NodeDep, principal: PrincipalDep, series_id: RowId) -> list[ItemOut]:
    return [ItemOut.of(i) for i in node.investigations_for(principal).items(series_id)]


@router.post("/series/{series_id}/items", status_code=201)
def add_series_items(node: NodeDep, principal: PrincipalDep, series_id: RowId, body: ItemsIn) -> dict[str, int]:
    items = [item.item(n) for n, item in enumerate(body.items, start=1)]
    return {"added": node.investigations_for(principal).add_items(series_id, items)}


@router.post("/series/{series_id}/links", status_code=201)
def link_series(node: NodeDep, principal: PrincipalDep, series_id: RowId, body: LinkIn) -> dict[str, Any]:
    link = node.investigations_for(principal).link(series_id, body.other_series, body.kind)
    return {"id": link.id, "series": [link.series_id, link.other_series_id], "kind": link.kind.value}


@router.get("/series/{series_id}/victims", response_model=list[VictimOut])
def list_victims(node: NodeDep, principal: PrincipalDep, series_id: RowId) -> list[VictimOut]:
    return [VictimOut.of(v) for v in node.investigations_for(principal).victims(series_id)]


@router.post("/series/{series_id}/victims", response_model=VictimOut, status_code=201)
def add_victim(node: NodeDep, principal: PrincipalDep, series_id: RowId, body: VictimIn) -> VictimOut:
    fields = {**body.model_dump(exclude={"identifier"}), **(body.model_extra or {})}
    return VictimOut.of(node.investigations_for(principal).add_victim(series_id, body.identifier, **fields))


@router.patch("/victims/{victim_id}", response_model=VictimOut)
def update_victim(node: NodeDep, principal: PrincipalDep, victim_id: RowId, body: VictimUpdate) -> VictimOut:
    changes = {**body.model_dump(exclude_none=True), **(body.model_extra or {})}
    return VictimOut.of(node.investigations_for(principal).update_victim(victim_id, **changes))


@router.get("/series/{series_id}/export")
def export_series(
    node: NodeDep,
    principal: PrincipalDep,
    series_id: RowId,
    format: Annotated[Literal["icse-csv", "vics-2.0", "vics-1.3"], Query()] = "icse-csv",
) -> Response:
    """The series' items as an ICSE-style CSV or a VICS Media list."""
    service = node.investigations_for(principal)
    series = service.get_series(series_id)
    items = service.items(series_id)
    label = series.icse_name or series.vics_series or series.name
    if format == "icse-csv":
        return Response(icse_csv.write((i, label) for i in items), media_type="text/csv; charset=utf-8")
    text = vics_cases.write_series(series.vics_series or series.name, items, format.removeprefix("vics-"))
    return Response(text, media_type="application/json")


# --- cases --------------------------------------------------------------------------------------


@router.get("/cases", response_model=list[CaseOut])
def list_cases(node: NodeDep, principal: PrincipalDep) -> list[CaseOut]:
    """Your agency's cases."""
    return [CaseOut.of(c) for c in node.investigations_for(principal).list_cases()]


@router.post("/cases", response_model=CaseOut, status_code=201)
def open_case(node: NodeDep, principal: PrincipalDep, body: CaseIn) -> CaseOut:
    case = node.investigations_for(principal).open_case(
        body.case_number, contact_point=body.contact_point, contact_email=body.contact_email, policy=_policy(body)
    )
    return CaseOut.of(case)


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(node: NodeDep, principal: PrincipalDep, case_id: RowId) -> CaseOut:
    return CaseOut.of(node.investigations_for(principal).get_case(case_id))


@router.post("/cases/{case_id}/close", response_model=CaseOut)
def close_case(node: NodeDep, principal: PrincipalDep, case_id: RowId) -> CaseOut:
    return CaseOut.of(node.investigations_for(principal).close_case(case_id))


@router.post("/cases/{case_id}/items", response_model=IntakeOut)
def case_items(node: NodeDep, principal: PrincipalDep, case_id: RowId, body: ItemsIn) -> IntakeOut:
    """Add items to the case and get, for each, what is known of it at once."""
    items = [item.item(n) for n, item in enumerate(body.items, start=1)]
    return IntakeOut.of(node.deconfliction_for(principal).intake(case_id, items))


@router.post("/cases/{case_id}/import", response_model=IntakeOut)
def import_case_file(node: NodeDep, principal: PrincipalDep, case_id: RowId, body: ImportIn) -> IntakeOut:
    """A hash list (VICS JSON, pdq-txt, te-csv) into the case, deconflicted at once. Nothing is taken
    from a file with a bad record."""
    vics: dict[str, Any] | None = None
    if body.format.strip().lower() == "vics-json":
        case_file = vics_cases.read(body.content)
        items, vics = case_file.items, {"vics_case": case_file.case_fields, "vics_document": case_file.header}
    else:
        records = get_format(body.format).read(body.content)
        items = [NewItem(r.signals, extra=dict(r.metadata)) for r in records]
    if len(items) > MAX_ITEMS * 10:
        raise InvalidRequest(f"at most {MAX_ITEMS * 10} items per import over the API; use `alliance case import`")
    return IntakeOut.of(node.deconfliction_for(principal).intake(case_id, items, vics=vics))


@router.get("/cases/{case_id}/deconfliction", response_model=list[ResultOut])
def case_deconfliction(
    node: NodeDep,
    principal: PrincipalDep,
    case_id: RowId,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_ITEMS)] = 1000,
) -> list[ResultOut]:
    """The case's items deconflicted again with what is known now (`after`: items to skip)."""
    return [ResultOut.of(r) for r in node.deconfliction_for(principal).review(case_id, after, limit)]


@router.get("/cases/{case_id}/export")
def export_case(
    node: NodeDep,
    principal: PrincipalDep,
    case_id: RowId,
    format: Annotated[Literal["vics-2.0", "vics-1.3"], Query()] = "vics-2.0",
) -> Response:
    """The case as a VICS Cases document, with the fields of the file it came from."""
    case, items, extra = node.investigations_for(principal).case_items(case_id)
    fields = extra.get("vics_case") or {"CaseNumber": case.case_number}
    return Response(vics_cases.write(format.removeprefix("vics-"), fields, items), media_type="application/json")


# --- notifications and figures ------------------------------------------------------------------


@router.get("/notifications", response_model=list[NotificationOut])
def notifications(
    node: NodeDep, principal: PrincipalDep, unread: bool = False, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[NotificationOut]:
    """Your agency's notifications, newest first (another case hit your series, ...)."""
    return [NotificationOut.of(n) for n in node.notifier.for_org(principal, unread, limit)]


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def read_notification(node: NodeDep, principal: PrincipalDep, notification_id: RowId) -> NotificationOut:
    return NotificationOut.of(node.notifier.mark_read(principal, notification_id))


@router.get("/investigations/figures")
def figures(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Counts only: victims identified per year and country, series linked across countries,
    deconfliction hits that spared duplicate work, median days from first seen to identified."""
    from dataclasses import asdict

    return asdict(node.investigation_figures().compute(principal))
