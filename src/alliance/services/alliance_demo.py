"""Demo records for the Alliance report, so that `make run` shows a report with something in it.

Every figure and text here is illustrative, not any country's real commitment or statistic, and
says so in its source. Loaded once: a node that already holds commitments is left alone.
"""

from __future__ import annotations

from datetime import date

from alliance.alliance_data import load_facts
from alliance.core.record.workflow import CommitmentStatus, ReportMove
from alliance.services.alliance import AllianceService
from alliance.services.alliance_figures import FiguresService

DEMO_SOURCE = "demo figure (illustrative, not a real statistic)"
S = CommitmentStatus

COMMITMENTS = [
    # (country, target, goal, title, pledge, baseline, status)
    (
        "GB",
        1,
        "1.1",
        "Victim identification team",
        "Connect the national team to ICSE",
        "ICSE user since 2009",
        S.ACHIEVED,
    ),
    ("GB", 4, "4.2", "Shared hash list", "Share confirmed hashes with member hotlines", "National list", S.IN_PROGRESS),
    (
        "GB",
        3,
        "3.1",
        "Schools programme",
        "Lessons on sharing images in every school",
        "Pilot in 40 schools",
        S.IN_PROGRESS,
    ),
    (
        "DE",
        2,
        "2.2",
        "Joint investigations",
        "Join two joint investigation teams a year",
        "One team in 2012",
        S.IN_PROGRESS,
    ),
    ("DE", 4, "4.1", "Faster takedown", "Notices within 24 hours of a report", "Median 3 days", S.PLANNED),
    ("US", 1, "1.1", "ICSE contributions", "Contribute identified series to ICSE", "NCMEC programme", S.ACHIEVED),
    (
        "US",
        2,
        "2.1",
        "Training prosecutors",
        "Train prosecutors in member countries",
        "Domestic training",
        S.IN_PROGRESS,
    ),
    ("PH", 2, "2.1", "Cybercrime law", "Criminalise online grooming", "Draft bill", S.ACHIEVED),
    ("PH", 3, "3.1", "Parents' campaign", "Reach parents through barangay meetings", "None", S.PLANNED),
    ("AU", 3, "3.1", "ThinkUKnow", "Extend the programme to every state", "Three states", S.ACHIEVED),
    ("GH", 2, "2.1", "Legal framework", "Review the criminal code", "None", S.NOT_ACHIEVED),
]

MADE_ON = date(2013, 4, 15)
"""The demo commitments were made for the first reporting round of 2013."""
PROGRESS = {
    "Victim identification team": ((S.IN_PROGRESS, MADE_ON), (S.ACHIEVED, date(2014, 6, 30))),
    "ThinkUKnow": ((S.PLANNED, MADE_ON), (S.IN_PROGRESS, date(2013, 10, 1)), (S.ACHIEVED, date(2015, 3, 1))),
    "Legal framework": ((S.PLANNED, MADE_ON), (S.NOT_ACHIEVED, date(2014, 12, 1))),
}
"""Statuses over time: the report on 2013 shows the first, the report on 2014 what held at its end."""

VICTIMS = {"GB": (120, 138, 160), "DE": (90, 97, 101), "US": (400, 452, 505), "AU": (60, 64, 75)}
TAKEDOWN_DAYS = {"GB": (2.0, 1.5, 1.2), "DE": (3.5, 3.0, 3.2)}


def load_alliance_demo(
    alliance: AllianceService, figures: FiguresService, holder_orgs: dict[str, str] | None = None
) -> bool:
    """Seed the facts and add the demo records; False if the node already had commitments.

    Both services must act as someone who may seed and write every country's records (the node's
    operator, `SYSTEM`)."""
    alliance.seed(load_facts(), holder_orgs)
    if alliance.store.commitments():
        return False
    made: dict[str, int] = {}
    for country, target, goal, title, pledge, baseline, status in COMMITMENTS:
        # The first status on the day of the 2013 reporting round; some moved on later (below).
        first = PROGRESS.get(title, ((status, MADE_ON),))[0][0]
        made[title] = alliance.add_commitment(country, target, title, pledge, baseline, goal, first, MADE_ON).id
    for title, changes in PROGRESS.items():
        for status, since in changes[1:]:
            alliance.update_commitment(made[title], status=status, status_since=since)
    for name, table in (("victims_identified", VICTIMS), ("takedown_median_days", TAKEDOWN_DAYS)):
        for country, values in table.items():
            for year, value in zip((2012, 2013, 2014), values, strict=True):
                figures.enter(country, year, name, value, DEMO_SOURCE)
    for country, year in (("GB", 2013), ("GB", 2014), ("DE", 2014), ("US", 2014)):
        report = alliance.create_report(country, year)
        for target in (1, 2, 3, 4):
            alliance.write_section(
                report.id,
                target,
                actions=f"Demo: what {country} did under target {target} in {year}.",
                results="Demo: the results it measured.",
                next_steps="Demo: what it plans next.",
            )
        for move in (ReportMove.SUBMIT, ReportMove.REVIEW, ReportMove.PUBLISH):
            alliance.move(report.id, move)
    figures.add_campaign(
        "GB",
        "Think before you share (demo)",
        ["children", "educators"],
        "schools",
        date(2014, 2, 11),
        date(2014, 12, 19),
        reach=250_000,
        evaluation="Demo: a third of pupils remembered the message after three months.",
        practice="Demo: lessons written with pupils and given by older pupils.",
    )
    figures.add_campaign(
        "AU",
        "Online safety for parents (demo)",
        ["parents"],
        "television and community halls",
        date(2013, 9, 1),
        None,
        reach=1_200_000,
        evaluation="Demo: calls to the helpline doubled during the campaign.",
        practice="Demo: short evening sessions run by local police officers.",
    )
    return True
