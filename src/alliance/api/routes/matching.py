"""Hashing and matching: the upload path of a platform. Media are hashed in memory and dropped.

The declared content type of an upload is ignored: the bytes themselves say what they are.
"""

from __future__ import annotations

import functools
from typing import Annotated

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from alliance.api import uploads
from alliance.api.deps import NodeDep, PrincipalDep, authenticate, upload_turn
from alliance.api.schemas import BANK_NAME, MAX_BANKS, HashOut, MatchesOut, MatchIn, MatchOut, SignalOut, UploadMatchOut
from alliance.core.access import Principal, Scope
from alliance.core.errors import HashingError, InvalidSignal, NotFound
from alliance.core.media.hashing import MediaHashes, exact_signals, hash_image, query_signals
from alliance.core.signals import Signal, parse_signal
from alliance.node import Node
from alliance.services.matching import Match

router = APIRouter(prefix="/v1", tags=["matching"])

MATCH_IN_SCHEMA = MatchIn.model_json_schema(ref_template="#/components/schemas/{model}")
MATCH_IN_SCHEMA.pop("$defs", None)  # SignalIn is in the components already (bank entries use it)


async def _require(request: Request, principal: Principal, scope: Scope) -> None:
    """A key without the route's scope is answered as if the route were not there, and the refusal
    is audited like every other (the services audit theirs; this check is the route's own)."""
    if principal.may(scope):
        return
    node: Node = request.app.state.node
    target = f"{request.method} {request.url.path}"
    details = {"reason": f"the key has no {scope.value} scope"}
    await run_in_threadpool(node.audit.record, principal, scope.value, target, "refused", details=details)
    raise NotFound("no such resource")


def hash_upload(node: Node, data: bytes, *, views: bool = True, crops: bool = False) -> MediaHashes:
    """Hash uploaded bytes in memory (callers run it on a thread under `hashing_limiter`). `views`:
    the other views a bank entry keeps (not needed to answer /v1/hash); `crops`: for a
    crop-matching bank."""
    return hash_image(data, node.settings.hashing_limits, views=views, crops=crops)


def _hash_and_match(
    node: Node, principal: Principal, data: bytes, banks: list[str] | None, dihedral: bool
) -> UploadMatchOut:
    """Hash an upload with the views it is matched by (rotations, flips, untrimmed; crops when a
    bank searched matches crops) and match them."""
    matching = node.matching_for(principal)
    crops = matching.crop_matching(banks)
    hashes, queries, variants = query_signals(data, node.settings.hashing_limits, dihedral=dihedral, crops=crops)
    matches = matching.match(queries, banks, variants)
    return UploadMatchOut(signals=[SignalOut.of(s) for s in hashes.signals], matches=_match_rows(matches, queries))


def _match_rows(matches: list[Match], queries: list[Signal]) -> list[MatchOut]:
    position = {id(q): i for i, q in enumerate(queries)}
    return [
        MatchOut(
            query=position.get(id(m.query), 0),
            bank=m.bank,
            entry=m.entry_id,
            signal_type=m.signal_type,
            distance=m.distance,
            variant=m.variant,
            match_id=m.match_id,
            category=m.category,
        )
        for m in matches
    ]


@router.post("/hash", response_model=HashOut, openapi_extra=uploads.REQUEST_BODY)
async def hash_media(request: Request, node: NodeDep, principal: PrincipalDep) -> HashOut:
    """The signals of an image; of any other file, its exact hashes (md5, sha1, sha256) and why
    it has no PDQ. Nothing is stored."""
    await _require(request, principal, Scope.HASH)
    with upload_turn(request, principal):
        data, _ = await uploads.upload_bytes(request)
        work = functools.partial(hash_upload, node, data, views=False)
        try:
            hashes = await anyio.to_thread.run_sync(work, limiter=request.app.state.hashing_limiter)
        except HashingError as exc:
            if not data:
                raise
            exact = exact_signals(data)
            return HashOut(signals=[SignalOut.of(s) for s in exact], pdq_low_quality=False, not_an_image=str(exc))
    return HashOut(
        signals=[SignalOut.of(s) for s in hashes.signals],
        width=hashes.width,
        height=hashes.height,
        format=hashes.image_format,
        pdq_low_quality=hashes.pdq_low_quality,
    )


@router.post(
    "/match",
    response_model=MatchesOut,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": MATCH_IN_SCHEMA}}}},
)
async def match_signals(request: Request) -> Response:
    """Match up to 1,000 signals against every bank you may match (or the ones named)."""
    # The platforms' hot path, so it skips FastAPI's per-request machinery: no declared parameters
    # or dependencies to solve (the caller is authenticated by calling the dependency, the body is
    # validated here against `MatchIn`, errors answered as any 422), and it runs on the event
    # loop, since the index answers in well under a millisecond and only hits need the store.
    principal = await authenticate(request)
    node: Node = request.app.state.node
    await _require(request, principal, Scope.MATCH)
    try:
        body = MatchIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
    queries = []
    for number, item in enumerate(body.signals):
        try:
            queries.append(parse_signal(item.type, item.value, item.quality))
        except InvalidSignal as exc:
            raise InvalidSignal(f"signals.{number}: {exc}") from exc
    matches = node.matching_for(principal).match(queries, body.banks)
    payload = MatchesOut(matches=_match_rows(matches, queries)).model_dump_json()
    return Response(payload, media_type="application/json")


class UploadMatchQuery(BaseModel):
    """The query parameters of /v1/match/upload, validated by the route itself (see `match_upload`)."""

    bank: list[Annotated[str, Field(max_length=BANK_NAME)]] | None = Field(
        None, max_length=MAX_BANKS, description="Only these banks (repeatable)."
    )
    dihedral: bool | None = Field(
        None, description="Also match the image rotated and flipped (default: the node's setting)."
    )


UPLOAD_MATCH_PARAMETERS = [
    {"name": name, "in": "query", "required": False, "description": field.description, "schema": schema}
    for (name, field), schema in zip(
        UploadMatchQuery.model_fields.items(),
        UploadMatchQuery.model_json_schema()["properties"].values(),
        strict=True,
    )
]


@router.post(
    "/match/upload",
    response_model=UploadMatchOut,
    openapi_extra={**uploads.REQUEST_BODY, "parameters": UPLOAD_MATCH_PARAMETERS},
)
async def match_upload(request: Request) -> Response:
    """Hash an image in memory and match its signals. The image is not stored.

    Each match names the `variant` that matched: `original`, a rotation or flip, `untrimmed` (the
    whole image, when a uniform border was trimmed before hashing), `normalised`, or a crop; then
    `@` and the entry's view when that was not the entry's own hash (`original@centre-8`).
    """
    # A platform's upload path, so like /v1/match it skips FastAPI's dependency and parameter
    # solving (about 0.1 ms of event-loop work per upload, decision 0004): the query is
    # validated here against `UploadMatchQuery`.
    principal = await authenticate(request)
    node: Node = request.app.state.node
    query = _upload_query(request)  # before the scope check, as FastAPI validated it: a bad query is a 422
    await _require(request, principal, Scope.MATCH)
    node.matching_for(principal).ensure_room()  # an overloaded node refuses before reading and hashing
    turn = node.settings.match_dihedral if query.dihedral is None else query.dihedral
    with upload_turn(request, principal):  # one key may not hold every hashing slot
        data, _ = await uploads.upload_bytes(request)
        # Waiting uploads queue on the limiter in the event loop, not as threads blocked on a lock;
        # hashing and matching then share one thread hop.
        work = functools.partial(_hash_and_match, node, principal, data, query.bank, turn)
        result = await anyio.to_thread.run_sync(work, limiter=request.app.state.hashing_limiter)
    return Response(result.model_dump_json(), media_type="application/json")


def _upload_query(request: Request) -> UploadMatchQuery:
    params = request.query_params
    raw = {"bank": params.getlist("bank") or None, "dihedral": params.get("dihedral")}
    try:
        return UploadMatchQuery.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from exc
