"""Series and their victims, for police: the series the viewer's agency owns and those others share
with it, a new series with its disclosure policy, and a series' page (its items' flags, the series
linked to it, its pseudonymous victims) with the owner's forms: add items from a hash-list file,
link another series, record a victim, mark a victim identified or safeguarded.

The same service calls as `/v1/series...` (`node.investigations_for(principal)`), so the same rules
hold: only investigators of law enforcement see any of it, another agency's series only as its
disclosure policy says, and anything else is the 404 page; the service audits every read, write and
refusal. The victim form has no field for a name: any field beyond the pseudonymous ones goes to
the service, which refuses it by name, and a refused form is shown again without what was typed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from alliance.core.access import OrgKind, Principal
from alliance.core.errors import AllianceError, Conflict, FormatError, InvalidRequest
from alliance.core.investigations import (
    SEXES,
    VICTIM_AGE_BANDS,
    Disclose,
    DisclosurePolicy,
    LinkKind,
    NewItem,
    Series,
    VictimStatus,
    may_change,
)
from alliance.formats import vics_cases
from alliance.formats.registry import FORMATS, get_format
from alliance.services.investigations import InvestigationService
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.nav import N_
from alliance.web.security import CSRF_FIELD
from alliance.web.templating import Viewer, page_of, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
INTAKE_FORMATS = ("vics-json", "pdq-txt", "te-csv")
"""The hash-list formats a series or a case takes from a file (as `POST /v1/cases/{id}/import`)."""
MAX_FILE_ITEMS = 100_000
"""Items one file may bring (the API's limit for an import)."""
VICTIM_FIELDS = frozenset({CSRF_FIELD, "identifier", "age_band", "sex", "status"})
"""The victim form's fields; any other goes to the service, which refuses it by name."""
DROPPED_FIELDS = frozenset({"identified_country", "identified_at"})
"""Set by the service when a victim is recorded as identified; the form does not offer them."""
NOTICES = {
    "created": N_("The series has been created. It is shared with nobody unless its policy says otherwise."),
    "victim": N_("The victim has been recorded."),
    "status": N_("The victim's status has been changed."),
    "linked": N_("The series have been linked."),
}
"""What the series page says after one of its forms (`?notice=`)."""


def principal_of(viewer: Viewer) -> Principal:
    assert viewer.principal is not None  # `viewer` raises LoginRequired otherwise
    return viewer.principal


# --- disclosure policy (series and cases) ------------------------------------------------------------


def policy_from_form(form: FormData) -> DisclosurePolicy:
    """Per level (read, contact): the countries (codes, separated by commas or spaces) and the
    agencies ticked; parsed by `DisclosurePolicy.from_json`, as the API's body is."""
    return DisclosurePolicy.from_json(
        {
            level.value: {
                "countries": str(form.get(f"{level.value}_countries") or "").replace(",", " ").split(),
                "orgs": [str(v) for v in form.getlist(f"{level.value}_orgs")],
            }
            for level in Disclose
        }
    )


def policy_context(request: Request, principal: Principal, policy: DisclosurePolicy) -> dict[str, Any]:
    """What the policy fields (`investigations/policy_fields.html`) and a policy's summary need:
    the other law enforcement agencies, by id, and each level's rule."""
    agencies = [
        o
        for o in node_of(request).accounts.directory(principal)
        if o.kind is OrgKind.LAW_ENFORCEMENT and o.id != principal.org_id
    ]
    return {
        "agencies": agencies,
        "agency_names": {o.id: f"{o.name} ({o.country})" for o in agencies},
        "levels": [level.value for level in Disclose],
        "rules": {level.value: policy.rules.get(level) for level in Disclose},
    }


# --- reading a hash-list file (series and cases) ----------------------------------------------------


async def items_from_file(form: FormData) -> tuple[list[NewItem], dict[str, Any] | None, str]:
    """The items of the uploaded file in the chosen format (all of them checked first), the fields
    of a VICS file (kept for an export), and the file's name. Read in memory; nothing of the file
    but its hashes and their fields is kept."""
    chosen = str(form.get("format") or "")
    upload = form.get("file")
    filename = (upload.filename or "") if isinstance(upload, UploadFile) else ""
    if chosen not in INTAKE_FORMATS:
        raise InvalidRequest(f"choose a format: {', '.join(INTAKE_FORMATS)}")
    if not isinstance(upload, UploadFile):
        raise InvalidRequest("choose a hash-list file")
    try:
        text = (await upload.read()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(filename or "the file", "not UTF-8 text: is it a hash list?") from None
    vics: dict[str, Any] | None = None
    if chosen == "vics-json":
        case_file = await run_in_threadpool(vics_cases.read, text)
        items = case_file.items
        vics = {"vics_case": case_file.case_fields, "vics_document": case_file.header}
    else:
        records = await run_in_threadpool(get_format(chosen).read, text)
        items = [NewItem(r.signals, extra=dict(r.metadata)) for r in records]
    if not items:
        raise FormatError(filename or "the file", "it holds no item")
    if len(items) > MAX_FILE_ITEMS:
        raise InvalidRequest(f"at most {MAX_FILE_ITEMS} items per file here; use `alliance case import`")
    return items, vics, filename


def intake_formats() -> list[tuple[str, str]]:
    return [(name, FORMATS[name].description) for name in INTAKE_FORMATS]


# --- list and create ---------------------------------------------------------------------------------


@router.get("/series")
def series_list(request: Request, viewer: ViewerDep, after: Annotated[int, Query(ge=0)] = 0) -> Response:
    """The series the viewer's agency owns and those shared with it, a page at a time (by id)."""
    principal = principal_of(viewer)
    service = node_of(request).investigations_for(principal)
    found = [s for s in service.list_series() if s.id > after]
    shown, next_after = page_of(found, PAGE_SIZE)
    rows = [(s, s.owner_id == principal.org_id, service.may_contact(s)) for s in shown]
    return render(
        request,
        "investigations/series_list.html",
        viewer,
        rows=rows,
        may_create=may_change(principal, principal.org_id),
        after=after,
        next_after=next_after,
    )


def _creatable(request: Request, viewer: Viewer) -> InvestigationService:
    """The service, if the viewer may create series and cases for its agency; the 404 page otherwise."""
    principal = principal_of(viewer)
    service = node_of(request).investigations_for(principal)
    if not may_change(principal, principal.org_id):
        service.refuse("series.create", "series:new")
    return service


def _new_page(request: Request, viewer: Viewer, status: int = 200, **context: Any) -> Response:
    principal = principal_of(viewer)
    defaults: dict[str, Any] = {
        "error": None,
        "values": {"active": True},
        **policy_context(request, principal, context.pop("policy", DisclosurePolicy())),
    }
    return render(request, "investigations/series_new.html", viewer, status, **{**defaults, **context})


@router.get("/series/new")
def new_series(request: Request, viewer: ViewerDep) -> Response:
    _creatable(request, viewer)
    return _new_page(request, viewer)


SERIES_TEXTS = ("name", "description", "icse_name", "vics_series", "contact_point", "contact_email")


@router.post("/series/new")
async def create_series(request: Request, viewer: ViewerDep) -> Response:
    form = await request.form()  # parsed by `viewer` after the session was checked
    return await run_in_threadpool(_create_series, request, viewer, form)


def _create_series(request: Request, viewer: Viewer, form: FormData) -> Response:
    service = _creatable(request, viewer)
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in SERIES_TEXTS}
    values["active"] = form.get("active") == "yes"
    try:
        policy = policy_from_form(form)
    except InvalidRequest as exc:
        return _new_page(request, viewer, exc.status, error=str(exc), values=values)
    try:
        series = service.create_series(
            values["name"],
            description=values["description"],
            icse_name=values["icse_name"] or None,
            vics_series=values["vics_series"] or None,
            contact_point=values["contact_point"],
            contact_email=values["contact_email"] or None,
            active=values["active"],
            policy=policy,
        )
    except (InvalidRequest, Conflict) as exc:
        return _new_page(request, viewer, exc.status, error=str(exc), values=values, policy=policy)
    return RedirectResponse(f"/series/{series.id}?notice=created", status_code=303)


# --- one series ---------------------------------------------------------------------------------------


def render_series(request: Request, viewer: Viewer, series_id: int, status: int = 200, **overrides: Any) -> Response:
    """The series page; its forms render it again with their error (`<form>_error`)."""
    principal = principal_of(viewer)
    service = node_of(request).investigations_for(principal)
    series = service.get_series(series_id)
    owner = may_change(principal, series.owner_id)
    items = service.items(series_id)
    visible = {s.id: s for s in service.list_series()}
    links = [
        (visible[other], link.kind)
        for link in service.links(series_id)
        if (other := link.other_series_id if link.series_id == series_id else link.series_id) in visible
    ]
    context: dict[str, Any] = {
        "series": series,
        "own": series.owner_id == principal.org_id,
        "owner": owner,
        "contact": service.may_contact(series),
        "counts": {
            "items": len(items),
            "distributed": sum(i.flags.distributed for i in items),
            "victim_identified": sum(i.flags.victim_identified for i in items),
            "offender_identified": sum(i.flags.offender_identified for i in items),
        },
        "links": links,
        "linkable": [s for s in visible.values() if s.id != series_id] if owner else [],
        "link_kinds": [k.value for k in LinkKind],
        "victims": service.victims(series_id),
        "age_bands": VICTIM_AGE_BANDS,
        "sexes": SEXES,
        "statuses": [s.value for s in VictimStatus],
        "formats": intake_formats(),
        "notice": None,
        "added": None,
        "victim_error": None,
        "status_error": None,
        "link_error": None,
        "items_error": None,
        "victim_values": {},
        **(policy_context(request, principal, series.policy) if owner else {"agency_names": {}, "rules": {}}),
    }
    return render(request, "investigations/series.html", viewer, status, **{**context, **overrides})


@router.get("/series/{series_id}")
def series_page(
    request: Request,
    viewer: ViewerDep,
    series_id: int,
    notice: str | None = None,
    added: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    shown = NOTICES.get(notice or "")
    return render_series(request, viewer, series_id, notice=shown, added=added)


def _series_error(request: Request, viewer: Viewer, series_id: int, error: AllianceError, **context: Any) -> Response:
    return render_series(request, viewer, series_id, error.status, **context)


@router.post("/series/{series_id}/victims")
async def add_victim(request: Request, viewer: ViewerDep, series_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_add_victim, request, viewer, series_id, form)


def _add_victim(request: Request, viewer: Viewer, series_id: int, form: FormData) -> Response:
    """A pseudonymous victim. Any other field the form carries (a name, a date of birth, ...) is
    handed to the service, which refuses it saying why; identification fields the form does not
    offer are dropped (the service sets who identified the child and when)."""
    service = node_of(request).investigations_for(principal_of(viewer))
    service.get_series(series_id)  # the 404 page first for a series the viewer may not see
    other: dict[str, Any] = {k: str(v) for k, v in form.items() if k not in VICTIM_FIELDS | DROPPED_FIELDS}
    kept = {k: str(form.get(k) or "") for k in ("age_band", "sex", "status")}
    try:
        status = _victim_status(str(form.get("status") or VictimStatus.UNIDENTIFIED.value))
        service.add_victim(
            series_id,
            str(form.get("identifier") or ""),
            age_band=kept["age_band"] or "unknown",
            sex=kept["sex"] or "unknown",
            status=status,
            **other,
        )
    except InvalidRequest as exc:
        # The identifier is not shown again: what was refused may be a name.
        return _series_error(request, viewer, series_id, exc, victim_error=str(exc), victim_values=kept)
    return RedirectResponse(f"/series/{series_id}?notice=victim#victims", status_code=303)


def _victim_status(text: str) -> VictimStatus:
    try:
        return VictimStatus(text)
    except ValueError:
        raise InvalidRequest(f"status must be one of {', '.join(s.value for s in VictimStatus)}") from None


@router.post("/victims/{victim_id}/status")
async def victim_status(request: Request, viewer: ViewerDep, victim_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_victim_status_change, request, viewer, victim_id, form)


def _victim_status_change(request: Request, viewer: Viewer, victim_id: int, form: FormData) -> Response:
    """Identified or safeguarded: the service records that the viewer's agency identified the child,
    in its country, now."""
    service = node_of(request).investigations_for(principal_of(viewer))
    series_id = str(form.get("series") or "")
    try:
        status = _victim_status(str(form.get("status") or ""))
        if status is VictimStatus.UNIDENTIFIED:
            raise InvalidRequest("a victim's status changes here to identified or safeguarded only")
        victim = service.update_victim(victim_id, status=status.value)
    except InvalidRequest as exc:
        if not series_id.isdigit():
            raise
        return _series_error(request, viewer, int(series_id), exc, status_error=str(exc))
    return RedirectResponse(f"/series/{victim.series_id}?notice=status#victims", status_code=303)


@router.post("/series/{series_id}/links")
async def link_series(request: Request, viewer: ViewerDep, series_id: int) -> Response:
    form = await request.form()
    return await run_in_threadpool(_link, request, viewer, series_id, form)


def _link(request: Request, viewer: Viewer, series_id: int, form: FormData) -> Response:
    service = node_of(request).investigations_for(principal_of(viewer))
    other, kind = str(form.get("other_series") or ""), str(form.get("kind") or "")
    try:
        if not other.isdigit():
            raise InvalidRequest("choose the series to link")
        try:
            link_kind = LinkKind(kind)
        except ValueError:
            raise InvalidRequest(f"kind must be one of {', '.join(k.value for k in LinkKind)}") from None
        service.link(series_id, int(other), link_kind)
    except (InvalidRequest, Conflict) as exc:
        return _series_error(request, viewer, series_id, exc, link_error=str(exc))
    return RedirectResponse(f"/series/{series_id}?notice=linked#links", status_code=303)


@router.post("/series/{series_id}/items")
async def add_items(request: Request, viewer: ViewerDep, series_id: int) -> Response:
    """A hash-list file's items into the series (all of the file, or nothing of it)."""
    form = await request.form()
    principal = principal_of(viewer)
    service = node_of(request).investigations_for(principal)
    series: Series = await run_in_threadpool(service.get_series, series_id)
    if not may_change(principal, series.owner_id):
        await run_in_threadpool(service.refuse, "series.items.add", f"series:{series_id}", series.owner_id)
    try:
        items, _vics, _name = await items_from_file(form)
        added = await run_in_threadpool(service.add_items, series_id, items)
    except (InvalidRequest, FormatError) as exc:
        error, status = str(exc), exc.status  # not the exception itself: its traceback holds this frame
        return await run_in_threadpool(lambda: render_series(request, viewer, series_id, status, items_error=error))
    return RedirectResponse(f"/series/{series_id}?added={added}#items", status_code=303)
