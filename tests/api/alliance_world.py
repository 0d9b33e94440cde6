"""Setting the scene for Alliance routes in the API tests: the seed, the secretariat held by the
*foreign* organisation (so that a country never reviews its own report), and fresh GB reports in
any state. Everything here acts as the node operator, outside the requests under test."""

from __future__ import annotations

from datetime import date
from typing import Any

from alliance.alliance_data import load_facts
from alliance.core.access import SYSTEM, Role
from alliance.core.record.workflow import ReportMove, ReportStatus
from alliance.services.alliance import AllianceService
from tests.api.conftest import World

DRAFTING = frozenset({Role.NODE_ADMIN, Role.ORG_ADMIN, Role.ANALYST, Role.INVESTIGATOR})
"""The country's drafters (for their own country) and node admins."""
SECRETARIAT = frozenset({Role.NODE_ADMIN, Role.SECRETARIAT})
"""The holder's secretariat users (the foreign organisation holds it in these tests) and node admins."""
EVERYONE = frozenset(Role)
NODE_ADMIN = frozenset({Role.NODE_ADMIN})

STEPS = {
    ReportStatus.SUBMITTED: [ReportMove.SUBMIT],
    ReportStatus.REVIEWED: [ReportMove.SUBMIT, ReportMove.REVIEW],
    ReportStatus.PUBLISHED: [ReportMove.SUBMIT, ReportMove.REVIEW, ReportMove.PUBLISH],
}


def seeded(w: World) -> AllianceService:
    service = w.node.alliance_for(SYSTEM)
    if not w.__dict__.get("alliance_seeded"):
        service.seed(load_facts())
        w.__dict__["alliance_seeded"] = True
    return service


def foreign_secretariat(w: World) -> World:
    """The foreign organisation (DE) holds the secretariat; its secretariat users may publish."""
    service = seeded(w)
    if service.holder_org_id() != w.foreign.id:
        service.handover(w.foreign.id, "DE Police")
    return w


def gb_report(w: World, status: ReportStatus = ReportStatus.DRAFT, year: int = 2013) -> int:
    """A new GB report on `year` in `status`: a new version after publishing whatever came before."""
    foreign_secretariat(w)
    service = seeded(w)
    existing = service.store.reports("GB", year)
    if existing:
        latest = existing[-1]
        for move in STEPS.get(ReportStatus.PUBLISHED, [])[_done(latest.status) :]:
            service.move(latest.id, move)
        report = service.correct(latest.id)
    else:
        report = service.create_report("GB", year)
    for move in STEPS.get(status, []):
        service.move(report.id, move)
    return report.id


def _done(status: ReportStatus) -> int:
    return {ReportStatus.DRAFT: 0, ReportStatus.SUBMITTED: 1, ReportStatus.REVIEWED: 2, ReportStatus.PUBLISHED: 3}[
        status
    ]


def free_year(w: World) -> int:
    """A year GB has no report on yet."""
    taken = {r.year for r in seeded(w).store.reports("GB")}
    return next(y for y in range(2012, date.today().year + 1) if y not in taken)


def gb_commitment(w: World) -> int:
    if "alliance_commitment" not in w.__dict__:
        c = seeded(w).add_commitment("GB", 4, "Hash sharing", "share confirmed hashes with every member")
        w.__dict__["alliance_commitment"] = c.id
    return int(w.__dict__["alliance_commitment"])


def gb_campaign(w: World) -> int:
    if "alliance_campaign" not in w.__dict__:
        seeded(w)
        campaign = w.node.figures_for(SYSTEM).add_campaign(
            "GB", "Think before you share", ["children"], "schools", date(2014, 2, 1)
        )
        w.__dict__["alliance_campaign"] = campaign.id
    return int(w.__dict__["alliance_campaign"])


def commitment_body(w: World) -> dict[str, Any]:
    n = len(seeded(w).store.commitments())
    return {"country": "GB", "target": 1, "title": f"pledge {n}", "pledge": "identify more victims", "goal": "1.1"}
