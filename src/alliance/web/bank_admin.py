"""A bank's curation and files: create a bank, edit its sharing policy, import a hash-list file,
export the bank in each format.

The same service calls as the API and the CLI (`create_bank`, `update_bank(policy=...)`,
`import_records`, `export_records`), so the same rules hold: only a bank's curators change its
policy, an import needs the right to contribute and is all or nothing, an export the right to
read, each audited; a bank the viewer may not act on is the 404 page. A hash-list file is read
in memory and only its hashes are kept.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.core.access import (
    ROLE_BANK_ACTIONS,
    BankAction,
    Principal,
    Role,
    SharingPolicy,
    may_create_bank,
    visible_actions,
)
from alliance.core.banks import Bank, BankPurpose
from alliance.core.errors import Conflict, FormatError, InvalidRequest, NotFound
from alliance.formats.registry import FORMATS, get_format
from alliance.services.banks import AddReport
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.templating import Viewer, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
SHARERS = {
    action: sorted(r for r in Role if action in ROLE_BANK_ACTIONS[r] and r != Role.NODE_ADMIN) for action in BankAction
}
"""The roles a policy may name for each action (those whose work includes it)."""


def _principal(viewer: Viewer) -> Principal:
    assert viewer.principal is not None
    return viewer.principal


# --- create ------------------------------------------------------------------------------------


def _new_page(request: Request, viewer: Viewer, status: int = 200, **context: Any) -> Response:
    defaults = {"error": None, "name": "", "description": "", "purpose": "known", "required": 3}
    purposes = [p.value for p in BankPurpose]
    return render(request, "banks/new.html", viewer, status, purposes=purposes, **{**defaults, **context})


@router.get("/banks/new")
def new_bank(request: Request, viewer: ViewerDep) -> Response:
    principal = _principal(viewer)
    if not may_create_bank(principal, principal.org_id):
        raise NotFound("no such resource")
    return _new_page(request, viewer)


@router.post("/banks/new")
def create_bank(
    request: Request,
    viewer: ViewerDep,
    name: Annotated[str, Form(max_length=64)],
    purpose: Annotated[BankPurpose, Form()] = BankPurpose.KNOWN,
    description: Annotated[str, Form(max_length=2000)] = "",
    required: Annotated[int, Form(ge=0, le=10)] = 3,
) -> Response:
    """A new bank of the viewer's organisation, shared with nobody until its policy says otherwise."""
    service = node_of(request).banks_for(_principal(viewer))
    try:
        bank = service.create_bank(name.strip(), purpose, description.strip(), trust={"required_grades": required})
    except (InvalidRequest, Conflict) as exc:
        return _new_page(
            request, viewer, exc.status, error=str(exc), name=name, description=description, purpose=purpose.value,
            required=required,
        )  # fmt: skip
    return RedirectResponse(f"/banks/{bank.name}?notice=created", status_code=303)


# --- sharing policy ------------------------------------------------------------------------------


def _curated(request: Request, viewer: Viewer, name: str) -> Bank:
    """The bank if the viewer curates it; the 404 page otherwise (refusal audited by the service)."""
    service = node_of(request).banks_for(_principal(viewer))
    bank = service.get_bank(name)
    if not service.may_curate(bank):
        service.audit.record(service.actor, "bank.update", f"bank:{name}", "refused", subject_org_id=bank.owner.id)
        raise NotFound(f"no bank called {name!r}")
    return bank


def _policy_page(request: Request, viewer: Viewer, bank: Bank, status: int = 200, **context: Any) -> Response:
    orgs = node_of(request).accounts.directory(_principal(viewer))
    rules = {a.value: bank.policy.rule(a) for a in BankAction}
    defaults: dict[str, Any] = {"error": None, "rules": rules}
    return render(
        request,
        "banks/policy.html",
        viewer,
        status,
        bank=bank,
        orgs=[o for o in orgs if o.id != bank.owner.id],
        sharers={a.value: roles for a, roles in SHARERS.items()},
        **{**defaults, **context},
    )


@router.get("/banks/{name}/policy")
def policy_page(request: Request, viewer: ViewerDep, name: str) -> Response:
    return _policy_page(request, viewer, _curated(request, viewer, name))


@router.post("/banks/{name}/policy")
async def save_policy(request: Request, viewer: ViewerDep, name: str) -> Response:
    """Per action: the countries (codes, separated by commas or spaces), the organisations and the
    roles it is shared with; parsed by `SharingPolicy.from_json`, as the API's PATCH body is."""
    form = await request.form()
    data = {
        action.value: {
            "countries": [c for c in str(form.get(f"{action.value}_countries") or "").replace(",", " ").split() if c],
            "orgs": [str(v) for v in form.getlist(f"{action.value}_orgs")],
            "roles": [str(v) for v in form.getlist(f"{action.value}_roles")],
        }
        for action in BankAction
    }
    service = node_of(request).banks_for(_principal(viewer))
    try:
        policy = SharingPolicy.from_json(data)
        await run_in_threadpool(lambda: service.update_bank(name, policy=policy))
    except InvalidRequest as exc:
        error = str(exc)
        bank = await run_in_threadpool(_curated, request, viewer, name)
        return await run_in_threadpool(lambda: _policy_page(request, viewer, bank, 422, error=error))
    return RedirectResponse(f"/banks/{name}?notice=policy", status_code=303)


# --- import and export -----------------------------------------------------------------------------


def _contributable(request: Request, viewer: Viewer, name: str) -> Bank:
    principal = _principal(viewer)
    bank = node_of(request).banks_for(principal).get_bank(name)
    if BankAction.CONTRIBUTE not in visible_actions(principal, bank.owner.id, bank.policy):
        raise NotFound(f"no bank called {name!r}")
    return bank


def _import_page(request: Request, viewer: Viewer, bank: Bank, status: int = 200, **context: Any) -> Response:
    defaults: dict[str, Any] = {"error": None, "report": None, "chosen": "te-csv", "filename": ""}
    formats = list(FORMATS.values())
    return render(request, "banks/import.html", viewer, status, bank=bank, formats=formats, **{**defaults, **context})


@router.get("/banks/{name}/import")
def import_page(request: Request, viewer: ViewerDep, name: str) -> Response:
    return _import_page(request, viewer, _contributable(request, viewer, name))


@router.post("/banks/{name}/import")
async def import_file(request: Request, viewer: ViewerDep, name: str) -> Response:
    """Read the file in the chosen format (all of it, checked, before anything is added) and add
    its records in one transaction; show what was added and what was skipped."""
    form = await request.form()  # parsed by `viewer` after the session was checked
    bank = await run_in_threadpool(_contributable, request, viewer, name)
    chosen = str(form.get("format") or "")
    upload = form.get("file")
    skip = form.get("skip_duplicates") == "yes"
    filename = upload.filename or "" if isinstance(upload, UploadFile) else ""
    try:
        fmt = get_format(chosen)
        if not isinstance(upload, UploadFile):
            raise InvalidRequest("choose a file to import")
        try:
            text = (await upload.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FormatError(filename or "the file", "not UTF-8 text: is it a hash list?") from None
        records = fmt.read(text)
        if not records:
            raise FormatError(filename or "the file", "it holds no record")
        service = node_of(request).banks_for(_principal(viewer))
        report: AddReport = await run_in_threadpool(lambda: service.import_records(name, records, skip_duplicates=skip))
    except (InvalidRequest, FormatError, Conflict) as exc:
        return _import_page(request, viewer, bank, exc.status, error=str(exc), chosen=chosen, filename=filename)
    return _import_page(request, viewer, bank, 201, report=report, chosen=chosen, filename=filename)


@router.get("/banks/{name}/export")
def export(request: Request, viewer: ViewerDep, name: str, format: str = "te-csv") -> Response:
    """The bank's entries as a file to download, in the format asked for (read rights, audited)."""
    fmt = get_format(format)
    records = node_of(request).banks_for(_principal(viewer)).export_records(name)
    headers = {"Content-Disposition": f'attachment; filename="{name}{fmt.suffix}"'}
    media = {".csv": "text/csv", ".json": "application/json"}.get(fmt.suffix, "text/plain")
    return Response(fmt.write(records), media_type=f"{media}; charset=utf-8", headers=headers)
