"""Cases, for police: the viewer's agency's cases, a new case, and a case's page with its intake (a
hash-list file, or images hashed in memory and never stored) and what is known of each item:
known in a bank, part of a series (its victims, who identified them), another agency works it,
or unknown, looks new: the priority list for victim identification, highlighted. Closing a case
asks first.

The same service calls as `/v1/cases...` (`node.investigations_for(principal)`,
`node.deconfliction_for(principal)`): a case is its own agency's alone, anyone else gets the 404
page, and the services audit every read, intake, disclosure, notification and refusal.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from alliance.core.access import Scope
from alliance.core.errors import FormatError, HashingError, InvalidRequest
from alliance.core.investigations import CaseStatus, DisclosurePolicy, Finding, NewItem, may_change
from alliance.core.media.hashing import HashingLimits, exact_signals, hash_image
from alliance.core.signals import Signal
from alliance.services.deconfliction import IntakeReport, ItemResult
from alliance.web.auth import ViewerDep, node_of
from alliance.web.confirm import ask, confirmed
from alliance.web.errors import WebRoute
from alliance.web.nav import N_
from alliance.web.series import intake_formats, items_from_file, policy_context, policy_from_form, principal_of
from alliance.web.templating import Viewer, page_of, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
MAX_IMAGES = 100
"""Images one form may bring (each is hashed in memory while the reader waits)."""
PRIORITY_SHOWN = 200
"""Unknown items listed in an intake's priority list on the page."""
NOTICES = {
    "opened": N_("The case has been opened. Add a hash list or images to see what is known of them."),
    "closed": N_("The case has been closed."),
}
CASE_TEXTS = ("case_number", "contact_point", "contact_email")


# --- list and open --------------------------------------------------------------------------------


@router.get("/cases")
def cases(request: Request, viewer: ViewerDep, after: Annotated[int, Query(ge=0)] = 0) -> Response:
    """The viewer's agency's cases, a page at a time (by id)."""
    principal = principal_of(viewer)
    found = [c for c in node_of(request).investigations_for(principal).list_cases() if c.id > after]
    shown, next_after = page_of(found, PAGE_SIZE)
    return render(
        request,
        "investigations/cases.html",
        viewer,
        cases=shown,
        may_open=may_change(principal, principal.org_id),
        after=after,
        next_after=next_after,
    )


def _new_page(request: Request, viewer: Viewer, status: int = 200, **context: Any) -> Response:
    policy = context.pop("policy", DisclosurePolicy())
    defaults: dict[str, Any] = {"error": None, "values": {}, **policy_context(request, principal_of(viewer), policy)}
    return render(request, "investigations/case_new.html", viewer, status, **{**defaults, **context})


def _may_open(request: Request, viewer: Viewer) -> None:
    principal = principal_of(viewer)
    if not may_change(principal, principal.org_id):
        node_of(request).investigations_for(principal).refuse("case.create", "case:new")


@router.get("/cases/new")
def new_case(request: Request, viewer: ViewerDep) -> Response:
    _may_open(request, viewer)
    return _new_page(request, viewer)


@router.post("/cases/new")
async def open_case(request: Request, viewer: ViewerDep) -> Response:
    form = await request.form()  # parsed by `viewer` after the session was checked
    return await run_in_threadpool(_open_case, request, viewer, form)


def _open_case(request: Request, viewer: Viewer, form: FormData) -> Response:
    _may_open(request, viewer)
    values = {k: str(form.get(k) or "") for k in CASE_TEXTS}
    try:
        policy = policy_from_form(form)
    except InvalidRequest as exc:
        return _new_page(request, viewer, exc.status, error=str(exc), values=values)
    try:
        case = (
            node_of(request)
            .investigations_for(principal_of(viewer))
            .open_case(
                values["case_number"],
                contact_point=values["contact_point"],
                contact_email=values["contact_email"] or None,
                policy=policy,
            )
        )
    except InvalidRequest as exc:
        return _new_page(request, viewer, exc.status, error=str(exc), values=values, policy=policy)
    return RedirectResponse(f"/cases/{case.id}?notice=opened", status_code=303)


# --- one case ---------------------------------------------------------------------------------------


def render_case(
    request: Request,
    viewer: Viewer,
    case_id: int,
    status: int = 200,
    *,
    after: int = 0,
    report: IntakeReport | None = None,
    **overrides: Any,
) -> Response:
    """The case page: with an intake's report, its summary, its priority list and its first results;
    otherwise the case's items from `after` (an offset), deconflicted again with what is known now."""
    principal = principal_of(viewer)
    node = node_of(request)
    case = node.investigations_for(principal).get_case(case_id)
    if report is None:
        results = node.deconfliction_for(principal).review(case_id, after, PAGE_SIZE + 1)
        next_after = after + PAGE_SIZE if len(results) > PAGE_SIZE else None
        priority: list[ItemResult] = []
    else:
        results = report.results
        after = results[0].position if results else 0
        next_after = after + PAGE_SIZE if len(results) > PAGE_SIZE else None
        priority = [r for r in results if r.finding is Finding.UNKNOWN]
    context: dict[str, Any] = {
        "case": case,
        "open": case.status is CaseStatus.OPEN,
        "results": results[:PAGE_SIZE],
        "after": after,
        "next_after": next_after,
        "report": report,
        "priority": priority[:PRIORITY_SHOWN],
        "priority_count": len(priority),
        "formats": intake_formats(),
        "max_images": MAX_IMAGES,
        "max_megabytes": node.settings.max_request_bytes // (1024 * 1024),  # a form's body, all images together
        "notice": None,
        "error": None,
        "exact_only": [],
        **policy_context(request, principal, case.policy),
    }
    return render(request, "investigations/case.html", viewer, status, **{**context, **overrides})


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    viewer: ViewerDep,
    case_id: int,
    after: Annotated[int, Query(ge=0)] = 0,
    notice: str | None = None,
) -> Response:
    return render_case(request, viewer, case_id, after=after, notice=NOTICES.get(notice or ""))


def _writable(request: Request, viewer: Viewer, case_id: int) -> None:
    """The 404 page, before any file is read, for a case the viewer may not add to."""
    node_of(request).investigations_for(principal_of(viewer)).case(case_id, "case.intake", Scope.WRITE)


@router.post("/cases/{case_id}/import")
async def import_file(request: Request, viewer: ViewerDep, case_id: int) -> Response:
    """A hash-list file into the case (all of it checked first), deconflicted at once."""
    form = await request.form()
    principal = principal_of(viewer)
    await run_in_threadpool(_writable, request, viewer, case_id)
    try:
        items, vics, _name = await items_from_file(form)
        deconfliction = node_of(request).deconfliction_for(principal)
        report = await run_in_threadpool(lambda: deconfliction.intake(case_id, items, vics=vics))
    except (InvalidRequest, FormatError) as exc:
        error, status = str(exc), exc.status  # not the exception itself: its traceback holds this frame
        return await run_in_threadpool(lambda: render_case(request, viewer, case_id, status, error=error))
    return await run_in_threadpool(lambda: render_case(request, viewer, case_id, report=report))


@router.post("/cases/{case_id}/images")
async def intake_images(request: Request, viewer: ViewerDep, case_id: int) -> Response:
    """Images read into memory, hashed there and dropped: only their hashes and file names go into
    the case. A file that is not a picture Alliance can decode goes in by its exact hashes alone,
    and the page says which."""
    form = await request.form()
    principal = principal_of(viewer)
    node = node_of(request)
    await run_in_threadpool(_writable, request, viewer, case_id)
    uploads = [f for f in form.getlist("images") if isinstance(f, UploadFile) and f.filename]
    try:
        if not uploads:
            raise InvalidRequest("choose one or more images")
        if len(uploads) > MAX_IMAGES:
            raise InvalidRequest(f"at most {MAX_IMAGES} images at a time; for a collection use `alliance case scan`")
        items: list[NewItem] = []
        exact_only: list[tuple[str, str]] = []
        for upload in uploads:
            name = upload.filename or ""
            data = await upload.read()
            if not data:
                raise InvalidRequest(f"{name}: the file is empty")
            try:
                signals = await anyio.to_thread.run_sync(
                    _hash, data, node.settings.hashing_limits, limiter=request.app.state.hashing_limiter
                )
            except HashingError as exc:
                signals = exact_signals(data)
                exact_only.append((name, str(exc)))
            finally:
                del data
            items.append(NewItem(signals, image_id=name))
        deconfliction = node.deconfliction_for(principal)
        report = await run_in_threadpool(deconfliction.intake, case_id, items)
    except InvalidRequest as exc:
        error = str(exc)
        return await run_in_threadpool(lambda: render_case(request, viewer, case_id, 422, error=error))
    return await run_in_threadpool(lambda: render_case(request, viewer, case_id, report=report, exact_only=exact_only))


def _hash(data: bytes, limits: HashingLimits) -> tuple[Signal, ...]:
    return hash_image(data, limits, views=False).signals


@router.post("/cases/{case_id}/close")
def close_case(
    request: Request, viewer: ViewerDep, case_id: int, confirm: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    service = node_of(request).investigations_for(principal_of(viewer))
    if not confirmed(confirm):
        case = service.case(case_id, "case.close", Scope.WRITE)  # the 404 page, before the question
        return ask(
            request,
            viewer,
            title=N_("Close case %(number)s?"),
            explanation=N_(
                "No item can be added to a closed case, and other agencies' intakes no longer find its items. "
                "Work on new material goes into a new case."
            ),
            button=N_("Close the case"),
            cancel=f"/cases/{case_id}",
            params={"number": case.case_number},
        )
    try:
        service.close_case(case_id)
    except InvalidRequest as exc:
        return render_case(request, viewer, case_id, exc.status, error=str(exc))
    return RedirectResponse(f"/cases/{case_id}?notice=closed", status_code=303)
