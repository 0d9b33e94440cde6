"""Indicators, awareness campaigns and the published record, for one principal.

Indicator values and campaigns are shared with every member (seeing where every country stands is
the point of the Alliance); writing them is for the country itself, and for the secretariat where
the figure comes from elsewhere (INTERPOL's count of identified victims, say). The published record
(`open_data`, `report_view`) holds only what is published, whoever asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from dataclasses import fields as dc_fields
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from alliance.core.errors import InvalidRequest, NotFound
from alliance.core.record.access import may_draft, may_enter_figures
from alliance.core.record.awareness import (
    Audience,
    Campaign,
    check_audiences,
    check_period,
    check_reach,
)
from alliance.core.record.indicators import (
    BY_NAME,
    IndicatorValue,
    Origin,
    Trend,
    check_value,
    enterable,
    trends,
)
from alliance.core.record.members import member_in_year
from alliance.core.record.report import FIRST_YEAR, AllianceReportView, build_view, latest_published
from alliance.core.record.workflow import ReportStatus, check_text
from alliance.services.alliance import AllianceService
from alliance.store.accounts import AccountStore
from alliance.store.alliance_figures import FiguresStore


class FiguresService:
    def __init__(self, alliance: AllianceService, store: FiguresStore, accounts: AccountStore) -> None:
        self.alliance = alliance
        self.store = store
        self.accounts = accounts  # to name the organisation behind an account in the published record
        self.actor = alliance.actor
        self.audit = alliance.audit

    # --- indicators ----------------------------------------------------------------------------

    def _values(self, years: range, country: str | None = None) -> list[IndicatorValue]:
        """Entered and computed values; an entered figure (ICSE's count of identified victims, say)
        wins over the node's own count of the same indicator, country and year."""
        entered = self.store.entered_values(country, years)
        have = {(v.country, v.name, v.year) for v in entered}
        return entered + [
            v for v in self.store.computed_values(years, country) if (v.country, v.name, v.year) not in have
        ]

    def indicators(self, country: str | None = None, year: int | None = None) -> list[Trend]:
        """Values with their change on the year before and whether the goal they serve was met."""
        facts = self.alliance.facts()
        code = self.alliance.known_country(facts, country) if country is not None else None
        last = year if year is not None else self.alliance.today().year
        years = range(FIRST_YEAR, last + 1)
        values = self._values(years, code)
        goals = {g.indicator: g for t in facts.targets for g in t.goals if g.indicator}
        found = trends(values, goals)
        return [t for t in found if year is None or t.value.year == year]

    def enter(self, country: str, year: int, name: str, value: float, source: str, note: str = "") -> IndicatorValue:
        """Enter a figure the node cannot compute, with its source; replaces an earlier entry (audited)."""
        facts = self.alliance.facts()
        code = self.alliance.known_country(facts, country)
        if not may_enter_figures(self.actor, code, self.alliance.holder_org_id()):
            self.alliance.refuse("alliance.indicator.enter", f"country:{code}")
        try:
            kind = enterable(name)
        except NotFound as exc:
            raise InvalidRequest(str(exc)) from exc
        if year > self.alliance.today().year or not member_in_year(facts.periods, code, year):
            raise InvalidRequest(f"{code} was not a member of the Alliance in {year}")
        entered = IndicatorValue(
            code,
            year,
            kind.name,
            check_value(name, value),
            Origin.ENTERED,
            check_text("source", source, required=True, limit=2000),
            self.alliance.actor_label(),
            None,
            check_text("note", note, limit=2000),
        )
        old = self.store.set_value(entered)
        self.audit.record(
            self.actor,
            "alliance.indicator.enter",
            f"indicator:{code}/{year}/{name}",
            details={"value": entered.value, "source": entered.source, "replaced": old.value if old else None},
        )
        return entered

    # --- campaigns -----------------------------------------------------------------------------

    def campaigns(
        self,
        text: str | None = None,
        country: str | None = None,
        audience: Audience | None = None,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[Campaign]:
        code = None
        if country is not None:
            code = self.alliance.known_country(self.alliance.facts(), country)
        return self.store.search_campaigns(text, code, audience, after_id, limit)

    def campaign(self, campaign_id: int) -> Campaign:
        return self.store.campaign(campaign_id)

    def add_campaign(
        self,
        country: str,
        title: str,
        audiences: list[str],
        channel: str,
        starts: date,
        ends: date | None = None,
        reach: int | None = None,
        evaluation: str = "",
        practice: str = "",
    ) -> Campaign:
        facts = self.alliance.facts()
        code = self.alliance.known_country(facts, country)
        if not may_draft(self.actor, code):
            self.alliance.refuse("alliance.campaign.create", f"country:{code}")
        check_period(starts, ends)
        draft = Campaign(
            id=0,
            country=code,
            title=check_text("title", title, required=True, limit=200),
            audiences=check_audiences(audiences),
            channel=check_text("channel", channel, required=True, limit=100),
            starts=starts,
            ends=ends,
            reach=check_reach(reach),
            evaluation=check_text("evaluation", evaluation),
            practice=check_text("practice", practice),
            created_by=self.alliance.actor_label(),
            created_at=datetime.now(UTC),  # the store sets its own
        )
        campaign = self.store.add_campaign(draft, self.actor.org_id or None)
        self.audit.record(
            self.actor,
            "alliance.campaign.create",
            f"campaign:{campaign.id}",
            details={"country": code, "title": campaign.title},
        )
        return campaign

    # --- the published record ------------------------------------------------------------------

    def report_view(self, year: int) -> AllianceReportView:
        facts = self.alliance.facts()
        if year < FIRST_YEAR or year > self.alliance.today().year:
            raise InvalidRequest(f"the Alliance reports on {FIRST_YEAR} to {self.alliance.today().year}, not {year}")
        years = range(FIRST_YEAR, year + 1)
        published = self.alliance.store.reports(status=ReportStatus.PUBLISHED)
        values = self._values(years)
        by = self._organisation_of()
        view = build_view(
            facts,
            year,
            [_named(c, by) for c in self.alliance.store.commitments()],
            [_named(r, by) for r in published],
            [_named(v, by) for v in values],
            [_named(c, by) for c in self.store.search_campaigns()],
        )
        self.audit.record(self.actor, "alliance.report.build", f"alliance-report:{year}")
        return view

    def open_data(self) -> dict[str, list[dict[str, Any]]]:
        """Everything published, as tables of plain values (for CSV and JSON)."""
        facts = self.alliance.facts()
        this_year = self.alliance.today().year
        years = range(FIRST_YEAR, this_year + 1)
        published = latest_published(self.alliance.store.reports(status=ReportStatus.PUBLISHED))
        goals = {g.indicator: g for t in facts.targets for g in t.goals if g.indicator}
        values = self._values(years)
        tables: dict[str, list[dict[str, Any]]] = {
            "countries": [asdict(c) for c in facts.countries],
            "memberships": [_plain(asdict(p)) for p in facts.periods],
            "targets": [{"number": t.number, "short": t.short, "text": t.text} for t in facts.targets],
            "goals": [_plain(asdict(g)) for t in facts.targets for g in t.goals],
            "conferences": [_plain(asdict(c)) for c in facts.conferences],
            "secretariat": [_plain(asdict(t)) for t in facts.secretariat],
            "commitments": [_plain(asdict(c)) for c in self.alliance.store.commitments()],
            "reports": [],
            "report_sections": [],
            "indicators": [],
            "campaigns": [_plain(asdict(c)) for c in self.store.search_campaigns()],
        }
        for report in published.values():
            row = _plain(asdict(report))
            row.pop("sections")
            tables["reports"].append(row)
            tables["report_sections"].extend(
                {"report_id": report.id, "country": report.country, "year": report.year, **asdict(s)}
                for s in report.sections
            )
        for t in trends(values, goals):
            row = _plain(asdict(t.value))
            row |= {"label": BY_NAME[t.value.name].label, "previous": t.previous, "change": t.change}
            row |= {"goal": t.goal, "goal_met": t.goal_met}
            tables["indicators"].append(row)
        by = self._organisation_of()
        for rows in tables.values():
            for row in rows:
                row.update({k: by(v) for k, v in row.items() if k.endswith("_by")})
        self.audit.record(self.actor, "alliance.export", "alliance", details={k: len(v) for k, v in tables.items()})
        return tables

    def _organisation_of(self) -> Callable[[Any], Any]:
        """Who wrote a record, as the published record names it: an organisation, never an account.
        Records written before they were labelled by organisation name an account ("user:..",
        "key:<prefix> (..)"): those become the account's organisation, or nothing if it is gone."""
        orgs = {f"user:{u.username}": u.org.name for u in self.accounts.users()}
        orgs |= {f"key:{k.prefix}": k.org.name for k in self.accounts.keys(None)}

        def organisation(by: Any) -> Any:
            if not isinstance(by, str) or not by.startswith(ACCOUNT_LABELS):
                return by
            return orgs.get(by) or orgs.get(by.split(" ", 1)[0], "")

        return organisation


ACCOUNT_LABELS = ("user:", "key:")
"""How the audit log names accounts (`services.audit.actor_name`)."""

R = TypeVar("R")


def _named(record: R, organisation: Callable[[Any], Any]) -> R:
    """`record` with its `*_by` fields naming organisations."""
    fields = {f.name: organisation(getattr(record, f.name)) for f in dc_fields(record) if f.name.endswith("_by")}  # type: ignore[arg-type]
    return replace(record, **fields) if fields else record  # type: ignore[type-var]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO strings, tuples as lists (enums are strings already): ready for JSON and CSV."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = [getattr(v, "value", v) for v in value]
        out[key] = value
    return out
