"""`alliance alliance ...` (the Alliance's facts, commitments, reports, indicators, campaigns) and
`alliance report ...` (the Alliance report as HTML, the published record as open data).

The command line acts as the node operator (trusted like a node admin, audited as 'cli').
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.alliance_data import load_facts
from alliance.cli.context import err, node_of, out
from alliance.cli.output import OutputFormat, print_rows, shown
from alliance.core.errors import InvalidRequest
from alliance.core.record.awareness import Audience
from alliance.core.record.members import Body, current_term
from alliance.core.record.workflow import CommitmentStatus, ReportMove

if TYPE_CHECKING:
    from alliance.services.alliance import AllianceService
    from alliance.services.alliance_figures import FiguresService

alliance_app = typer.Typer(help="The Global Alliance: members, commitments, progress reports, indicators.")
report_app = typer.Typer(help="The Alliance report (HTML) and the published record as open data.")

FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")]
CountryOpt = Annotated[str | None, typer.Option(help="ISO 3166 code, e.g. GB (Kosovo: XK).")]


def _alliance(ctx: typer.Context) -> AllianceService:
    return node_of(ctx).alliance


def _figures(ctx: typer.Context) -> FiguresService:
    return node_of(ctx).figures


@alliance_app.command("seed")
def seed(
    ctx: typer.Context,
    secretariat_org: Annotated[
        str | None, typer.Option(help="Existing organisation standing for the current secretariat holder.")
    ] = None,
) -> None:
    """Load the Alliance's targets, members, conferences and secretariat (idempotent)."""
    facts = load_facts()
    holder = current_term(facts.secretariat)
    mapping = {holder.holder: secretariat_org} if secretariat_org and holder else None
    result = _alliance(ctx).seed(facts, mapping)
    out.print(f"seeded: {result.total} rows added ({result.countries} countries, {result.terms} terms)", markup=False)


@alliance_app.command("demo")
def demo(ctx: typer.Context) -> None:
    """Seed, then add illustrative commitments, reports, figures and campaigns (once)."""
    from alliance.services.alliance_demo import load_alliance_demo

    node = node_of(ctx)
    loaded = load_alliance_demo(node.alliance, node.figures)
    out.print("demo records loaded" if loaded else "the node already has commitments; nothing added", markup=False)


@alliance_app.command("members")
def members(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option(help="A day, YYYY-MM-DD (default: today).")] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    facts = _alliance(ctx).facts()
    day = date.fromisoformat(on) if on else date.today()
    eu = {c.code for c in facts.members_on(day, Body.EU)}
    rows = [{"code": c.code, "name": c.name, "eu": c.code in eu} for c in facts.members_on(day)]
    print_rows(
        rows,
        ["code", "name", "eu"],
        fmt,
        title=f"{len(rows)} members on {day} ({len(eu & {r['code'] for r in rows})} EU)",
    )


@alliance_app.command("secretariat")
def secretariat(ctx: typer.Context, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    rows = [
        {"since": t.since.isoformat(), "holder": t.holder, "chair": t.chair, "org_id": t.org_id}
        for t in _alliance(ctx).facts().secretariat
    ]
    print_rows(rows, ["since", "holder", "chair", "org_id"], fmt, title="Secretariat terms")


@alliance_app.command("handover")
def handover(
    ctx: typer.Context,
    to_org: Annotated[str, typer.Option(help="Name of the organisation taking the secretariat.")],
    chair: Annotated[str, typer.Option(help="Who chairs the Alliance from now.")],
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today).")] = None,
) -> None:
    node = node_of(ctx)
    org = node.accounts.store.organisation_by_name(to_org)
    term = _alliance(ctx).handover(org.id, chair, date.fromisoformat(since) if since else None)
    out.print(f"the secretariat is held by {shown(term.holder)} from {term.since}")


@alliance_app.command("commitments")
def commitments(
    ctx: typer.Context, country: CountryOpt = None, target: int | None = None, fmt: FormatOpt = OutputFormat.TABLE
) -> None:
    rows = [vars_of(c) for c in _alliance(ctx).commitments(country, target)]
    print_rows(rows, ["id", "country", "target", "goal", "title", "status", "pledge"], fmt)


@alliance_app.command("commit")
def commit(
    ctx: typer.Context,
    country: str,
    target: int,
    title: str,
    pledge: Annotated[str, typer.Option(help="What the country pledges.")],
    baseline: Annotated[str, typer.Option(help="What it already does.")] = "",
    goal: Annotated[str | None, typer.Option(help="The operational goal served, e.g. 1.1.")] = None,
    status: CommitmentStatus = CommitmentStatus.PLANNED,
    made_on: Annotated[str | None, typer.Option(help="The day it was made, YYYY-MM-DD (default today).")] = None,
) -> None:
    """Record a country's commitment under a target."""
    day = _day("--made-on", made_on) if made_on else None
    c = _alliance(ctx).add_commitment(country, target, title, pledge, baseline, goal, status, day)
    out.print(f"commitment {c.id}: {c.country} target {c.target}: {shown(c.title)}")


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{option}: {text!r} is not a day (YYYY-MM-DD)") from None


@alliance_app.command("reports")
def reports(
    ctx: typer.Context, country: CountryOpt = None, year: int | None = None, fmt: FormatOpt = OutputFormat.TABLE
) -> None:
    rows = [vars_of(r) for r in _alliance(ctx).reports(country, year)]
    print_rows(rows, ["id", "country", "year", "version", "status", "published_at"], fmt)


@alliance_app.command("report-new")
def report_new(ctx: typer.Context, country: str, year: int) -> None:
    report = _alliance(ctx).create_report(country, year)
    out.print(f"report {report.id}: {report.country} {report.year}, version {report.version}, draft", markup=False)


@alliance_app.command("report-section")
def report_section(
    ctx: typer.Context,
    report_id: int,
    target: int,
    actions: str = "",
    results: str = "",
    next_steps: str = "",
) -> None:
    _alliance(ctx).write_section(report_id, target, actions, results, next_steps)
    out.print(f"report {report_id}: section {target} written", markup=False)


@alliance_app.command("report-move")
def report_move(ctx: typer.Context, report_id: int, move: ReportMove, note: str | None = None) -> None:
    """submit, review, return or publish a report."""
    report = _alliance(ctx).move(report_id, move, note)
    out.print(f"report {report_id} is {report.status.value}", markup=False)


@alliance_app.command("report-correct")
def report_correct(ctx: typer.Context, report_id: int) -> None:
    report = _alliance(ctx).correct(report_id)
    out.print(f"report {report.id}: version {report.version} (a correction of {report_id}), draft", markup=False)


@alliance_app.command("indicators")
def indicators(
    ctx: typer.Context, country: CountryOpt = None, year: int | None = None, fmt: FormatOpt = OutputFormat.TABLE
) -> None:
    rows = [
        vars_of(t.value)
        | {"previous": t.previous, "change": None if t.change is None else f"{t.change:+.1%}"}
        | {"goal": t.goal, "goal_met": t.goal_met}
        for t in _figures(ctx).indicators(country, year)
    ]
    print_rows(rows, ["country", "year", "name", "value", "change", "goal", "goal_met", "origin", "source"], fmt)


@alliance_app.command("indicator-set")
def indicator_set(
    ctx: typer.Context,
    country: str,
    year: int,
    name: str,
    value: float,
    source: Annotated[str, typer.Option(help="Where the figure comes from.")],
    note: str = "",
) -> None:
    entered = _figures(ctx).enter(country, year, name, value, source, note)
    out.print(f"{entered.country} {entered.year} {entered.name} = {entered.value:g} ({shown(entered.source)})")


@alliance_app.command("campaigns")
def campaigns(
    ctx: typer.Context,
    q: Annotated[str | None, typer.Option(help="Words in the title, practice or evaluation.")] = None,
    country: CountryOpt = None,
    audience: Audience | None = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    rows = [vars_of(c) for c in _figures(ctx).campaigns(q, country, audience)]
    print_rows(rows, ["id", "country", "title", "audiences", "channel", "starts", "ends", "reach", "practice"], fmt)


@alliance_app.command("campaign-add")
def campaign_add(
    ctx: typer.Context,
    country: str,
    title: str,
    audience: Annotated[list[Audience], typer.Option(help="children, parents, educators, public (repeatable).")],
    channel: Annotated[str, typer.Option()],
    starts: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    ends: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    reach: int | None = None,
    evaluation: str = "",
    practice: str = "",
) -> None:
    c = _figures(ctx).add_campaign(
        country,
        title,
        [a.value for a in audience],
        channel,
        date.fromisoformat(starts),
        date.fromisoformat(ends) if ends else None,
        reach,
        evaluation,
        practice,
    )
    out.print(f"campaign {c.id}: {c.country} {shown(c.title)}")


@report_app.command("alliance")
def report_alliance(
    ctx: typer.Context,
    year: Annotated[int, typer.Option(help="The year reported on.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for index.html and the country pages.")],
) -> None:
    """Write the Alliance report on YEAR as self-contained HTML (no scripts, nothing loaded from the network)."""
    from alliance.report import write_report

    written = write_report(_figures(ctx).report_view(year), out_dir)
    err.print(f"wrote {len(written)} pages to {out_dir}; open {out_dir / 'index.html'}", markup=False)


@report_app.command("export")
def report_export(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for alliance.json and one CSV per table.")],
) -> None:
    """Write everything published as open data (JSON and CSV)."""
    from alliance.report import write_open_data

    written = write_open_data(_figures(ctx).open_data(), out_dir)
    err.print(f"wrote {len(written)} files to {out_dir}", markup=False)


def vars_of(value: object) -> dict[str, object]:
    """A dataclass as a row: dates as ISO strings, enums as values, tuples joined."""
    from dataclasses import asdict, is_dataclass

    assert is_dataclass(value) and not isinstance(value, type)
    row: dict[str, object] = {}
    for key, field_value in asdict(value).items():
        if hasattr(field_value, "isoformat"):
            field_value = field_value.isoformat()
        elif isinstance(field_value, tuple | list):
            field_value = ",".join(str(getattr(v, "value", v)) for v in field_value if not isinstance(v, dict))
        row[key] = field_value
    return row


def install(root: typer.Typer) -> None:
    root.add_typer(alliance_app, name="alliance")
    root.add_typer(report_app, name="report")
