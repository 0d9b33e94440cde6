"""Report workflow: draft, submitted, reviewed, published; nothing moves a published report."""

from __future__ import annotations

import pytest

from alliance.core.access import Principal, Role, Scope
from alliance.core.errors import Conflict, InvalidRequest
from alliance.core.record.access import may_draft, may_enter_figures, may_review, may_see_unpublished
from alliance.core.record.workflow import ReportMove, ReportStatus, check_editable, check_year, next_status

S = ReportStatus


def test_the_happy_path():
    status = S.DRAFT
    for move in (ReportMove.SUBMIT, ReportMove.REVIEW, ReportMove.PUBLISH):
        status = next_status(status, move)
    assert status is S.PUBLISHED


def test_a_returned_report_is_a_draft_again():
    assert next_status(S.SUBMITTED, ReportMove.RETURN) is S.DRAFT
    assert next_status(S.REVIEWED, ReportMove.RETURN) is S.DRAFT


@pytest.mark.parametrize("move", list(ReportMove))
def test_nothing_moves_a_published_report(move: ReportMove):
    with pytest.raises(Conflict, match="correction"):
        next_status(S.PUBLISHED, move)


def test_a_draft_cannot_be_published_without_review():
    with pytest.raises(Conflict, match="only one that is reviewed"):
        next_status(S.DRAFT, ReportMove.PUBLISH)


def test_only_drafts_are_edited():
    check_editable(S.DRAFT)
    for status in (S.SUBMITTED, S.REVIEWED, S.PUBLISHED):
        with pytest.raises(Conflict):
            check_editable(status)


def test_no_report_before_the_country_joined_or_on_the_future():
    check_year(2014, 2014, 2015, "CA")
    with pytest.raises(InvalidRequest, match="joined the Alliance in 2014"):
        check_year(2013, 2014, 2015, "CA")
    with pytest.raises(InvalidRequest):
        check_year(2016, 2012, 2015, "GB")


def who(country: str, *roles: Role, org_id: int = 1, scopes: frozenset[Scope] = frozenset(Scope)) -> Principal:
    return Principal(org_id, "org", country, frozenset(roles), scopes)


def test_a_country_drafts_only_for_itself_and_only_through_its_drafters():
    assert may_draft(who("GB", Role.ANALYST), "GB")
    assert not may_draft(who("GB", Role.ANALYST), "DE")
    assert not may_draft(who("GB", Role.PLATFORM), "GB")
    assert not may_draft(who("GB", Role.SECRETARIAT), "GB")
    assert not may_draft(who("GB", Role.ANALYST, scopes=frozenset({Scope.READ})), "GB")
    assert may_draft(who("ZZ", Role.NODE_ADMIN), "GB")


def test_the_secretariat_is_the_holders_secretariat_users():
    assert may_review(who("US", Role.SECRETARIAT, org_id=7), holder_org_id=7)
    assert not may_review(who("US", Role.SECRETARIAT, org_id=8), holder_org_id=7)
    assert not may_review(who("US", Role.ORG_ADMIN, org_id=7), holder_org_id=7)
    assert may_enter_figures(who("US", Role.SECRETARIAT, org_id=7), "GB", holder_org_id=7)


def test_the_secretariat_sees_a_report_once_it_is_submitted():
    secretariat = who("US", Role.SECRETARIAT, org_id=7)
    assert not may_see_unpublished(secretariat, "GB", submitted=False, holder_org_id=7)
    assert may_see_unpublished(secretariat, "GB", submitted=True, holder_org_id=7)
    assert not may_see_unpublished(who("DE", Role.ANALYST), "GB", submitted=True, holder_org_id=7)
