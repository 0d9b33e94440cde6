"""Liveness and readiness, for load balancers and orchestrators. No authentication, nothing sensitive."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from alliance.api.deps import NodeDep
from alliance.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive."""
    return Health(status="alive")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(node: NodeDep) -> Health | JSONResponse:
    """The index is loaded and the store answers: ready to match."""
    reachable = node.store_reachable()
    loaded = "matcher" in node.__dict__
    if not (reachable and loaded):
        body = Health(status="not ready", store="reachable" if reachable else "unreachable")
        return JSONResponse(body.model_dump(), status_code=503)
    status = node.matcher.index.status()
    return Health(status="ready", index_size=status.size, index_sequence=status.sequence, store="reachable")
