"""Figures of victim identification and investigations, computed from the records, never entered.

Counts only: no series, case, victim or organisation is named, so any member may read them (as the
Alliance's indicators). Victims identified per year and country also feed the target-1 indicator
`victims_identified` of the Alliance report (`store.alliance_figures`), where no ICSE figure was
entered for that year.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import median

from alliance.core.access import Principal
from alliance.core.investigations import DUPLICATE_WORK_FINDINGS
from alliance.services.audit import AuditLog
from alliance.store.investigations import InvestigationStore


@dataclass
class Figures:
    victims_identified: dict[str, dict[int, int]] = field(default_factory=dict)
    """country -> year -> victims identified by that country's police that year."""
    series_links: int = 0
    series_links_across_countries: int = 0
    country_pairs: dict[str, int] = field(default_factory=dict)
    """"DE-GB" -> links between series of those two countries."""
    duplicate_work_prevented: dict[str, int] = field(default_factory=dict)
    """country -> case items found identified or worked by another agency (work not done twice)."""
    findings: dict[str, dict[str, int]] = field(default_factory=dict)
    days_to_identification: dict[int, float] = field(default_factory=dict)
    """year identified -> median days from first seen to identified."""


class InvestigationFigures:
    def __init__(self, store: InvestigationStore, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit

    def compute(self, actor: Principal) -> Figures:
        figures = Figures()
        per: dict[str, Counter[int]] = defaultdict(Counter)
        days: dict[int, list[float]] = defaultdict(list)
        for v in self.store.all_victims():
            if v.identified_at is None or v.identified_country is None:
                continue
            per[v.identified_country][v.identified_at.year] += 1
            if v.first_seen_at is not None:
                days[v.identified_at.year].append((v.identified_at - v.first_seen_at).total_seconds() / 86400)
        figures.victims_identified = {c: dict(sorted(years.items())) for c, years in sorted(per.items())}
        figures.days_to_identification = {y: round(median(d), 1) for y, d in sorted(days.items())}
        links = self.store.links()
        countries = {
            s.id: s.owner_country
            for s in self.store.series_many([i for lk in links for i in (lk.series_id, lk.other_series_id)]).values()
        }
        pairs: Counter[str] = Counter()
        for lk in links:
            a, b = countries.get(lk.series_id), countries.get(lk.other_series_id)
            if a and b and a != b:
                pairs["-".join(sorted((a, b)))] += 1
        figures.series_links = len(links)
        figures.series_links_across_countries = sum(pairs.values())
        figures.country_pairs = dict(sorted(pairs.items()))
        findings: dict[str, dict[str, int]] = defaultdict(dict)
        for country, finding, count in self.store.finding_counts():
            findings[country][finding] = count
        figures.findings = dict(sorted(findings.items()))
        figures.duplicate_work_prevented = {
            c: sum(n for f, n in by.items() if f in DUPLICATE_WORK_FINDINGS) for c, by in figures.findings.items()
        }
        self.audit.record(actor, "investigations.figures", "figures")
        return figures
