"""The Alliance report as self-contained HTML: `index.html` and one `country-XX.html` per country.

Only lays out an `AllianceReportView`; every number comes from `alliance.core.record.report`.
Each page carries its own CSS and SVG and loads nothing (no scripts, fonts or images from
anywhere), so it can be mailed, archived or opened on an air-gapped ministry laptop. All text
from the store is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from alliance.core.record.awareness import Campaign
from alliance.core.record.indicators import BY_NAME, Across, Trend
from alliance.core.record.members import Body
from alliance.core.record.report import AllianceReportView, CountryPage
from alliance.core.record.workflow import Commitment, CommitmentStatus
from alliance.report.svg import bar_chart, membership_chart, trend_chart

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2a3a;margin:0;background:#f6f7f9}
main{max-width:1080px;margin:0 auto;padding:24px 32px 64px;background:#fff}
header.top{background:#14365f;color:#fff;padding:28px 32px}
header.top h1{margin:0;font-size:28px} header.top p{margin:4px 0 0;opacity:.85}
h2{margin-top:40px;border-bottom:2px solid #14365f;padding-bottom:4px} h3{margin-bottom:4px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{flex:1 1 150px;border:1px solid #d9dee5;border-radius:6px;padding:12px 16px}
.card .figure{display:block;font-size:34px;font-weight:700;color:#14365f}
.card .label{color:#6b7785;font-size:13px}
svg.chart{max-width:760px;display:block;margin:8px 0}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:13px}
th,td{border:1px solid #e1e5ea;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5} td.num{text-align:right}
table.matrix td{text-align:center} table.matrix td.country{text-align:left;white-space:nowrap}
.s-planned{background:#eef1f5}.s-in_progress{background:#fdf1d6}.s-achieved{background:#d8f0dc}
.s-not_achieved{background:#f8d7d3}.none{color:#b3bac3}
.met{color:#1e7b34;font-weight:600}.missed{color:#c0392b;font-weight:600}
.note{color:#6b7785;font-size:13px} .legend span{display:inline-block;padding:0 8px;margin-right:6px}
a{color:#1f5fa8} nav.countries a{display:inline-block;margin:2px 8px 2px 0}
@media print{body{background:#fff} main{padding:0} header.top{color:#000;background:#fff}}
"""


def _page(title: str, subtitle: str, body: Iterable[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{CSS}</style></head><body>"
        f'<header class="top"><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header><main>'
        + "".join(body)
        + "</main></body></html>\n"
    )


def _card(name: str, value: object, label: str) -> str:
    return (
        f'<div class="card"><span class="figure" data-name="{name}">{escape(str(value))}</span>'
        f'<span class="label">{escape(label)}</span></div>'
    )


def _num(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _pct(change: float | None) -> str:
    return "" if change is None else f"{change:+.0%}"


def _verdict(met: bool | None) -> str:
    if met is None:
        return '<span class="none">n/a</span>'
    return '<span class="met">met</span>' if met else '<span class="missed">not met</span>'


def render(view: AllianceReportView) -> dict[str, str]:
    """File name -> HTML for the whole report."""
    files = {"index.html": _index(view)}
    for page in view.pages:
        files[f"country-{page.country.code}.html"] = _country(view, page)
    return files


def _index(view: AllianceReportView) -> str:
    holder = view.holder
    subtitle = f"Report on {view.year}: where every member stands, as of {view.as_of.isoformat()}"
    commitments = sum(len(v) for v in view.matrix.values())
    body = [
        '<section id="summary"><div class="cards">',
        _card("members", view.members, f"member countries on {view.as_of.isoformat()}"),
        _card("eu_members", view.eu_members, "of them EU member states"),
        _card("joined", len(view.joined), "joined since the launch"),
        _card("commitments", commitments, f"commitments made by {view.as_of.isoformat()}"),
        _card("reports", view.reports_published, f"progress reports on {view.year} published"),
        "</div>",
        f'<p id="secretariat">Secretariat and chair: <strong>{escape(holder.holder if holder else "none")}</strong>'
        + (f" since {holder.since.isoformat()} ({escape(holder.chair)})." if holder else ".")
        + "</p></section>",
        *_membership(view),
        *_matrix(view),
        *_indicators(view),
        *_campaigns(view.campaigns, view.year),
        *_reach(view),
        '<h2 id="countries">Countries</h2><nav class="countries">',
        *(
            f'<a href="country-{p.country.code}.html">{escape(p.country.name)}</a>'
            + ("" if p.member else " (former member)")
            for p in view.pages
        ),
        "</nav>",
        '<p class="note">Published record only: drafts and reports under review are not shown. '
        "Computed indicators count this node's own data; entered ones name their source.</p>",
    ]
    return _page("The Global Alliance against Child Sexual Abuse Online", subtitle, body)


def _membership(view: AllianceReportView) -> list[str]:
    points = [(p.day, p.members, p.eu) for p in view.membership]
    rows = "".join(
        f"<tr><td>{p.day.isoformat()}</td><td class='num'>{p.members}</td><td class='num'>{p.eu}</td>"
        f"<td>{escape(p.label)}</td></tr>"
        for p in view.membership
    )
    changes = ""
    if view.joined:
        changes += "Joined since the launch: " + ", ".join(escape(c.name) for c in view.joined) + ". "
    if view.left:
        changes += "Listed at the launch, no longer members: " + ", ".join(escape(c.name) for c in view.left) + "."
    return [
        '<section id="membership"><h2>Membership over time</h2>',
        membership_chart(points, "Members of the Alliance and EU members among them"),
        f'<p class="note">{changes}</p>',
        '<table id="membership-table"><tr><th>Day</th><th>Members</th><th>EU members</th><th>Event</th></tr>',
        rows,
        "</table></section>",
    ]


def _matrix(view: AllianceReportView) -> list[str]:
    targets = view.facts.targets
    head = "".join(f"<th title='{escape(t.text)}'>{t.number}. {escape(t.short)}</th>" for t in targets)
    rows = []
    for page in view.pages:
        if not page.member:
            continue
        cells = "".join(
            _matrix_cell(page.country.code, t.number, view.matrix.get((page.country.code, t.number), ()))
            for t in targets
        )
        name = f'<a href="country-{page.country.code}.html">{escape(page.country.name)}</a>'
        rows.append(f'<tr><td class="country">{name}</td>{cells}</tr>')
    legend = "".join(f'<span class="s-{s.value}">{s.value.replace("_", " ")}</span>' for s in CommitmentStatus)
    return [
        '<section id="commitments"><h2>Commitments by target</h2>',
        f'<p class="legend note">Number of commitments per country and target, coloured by the furthest status: '
        f"{legend}</p>",
        f'<table class="matrix" id="commitment-matrix"><tr><th>Country</th>{head}</tr>',
        *rows,
        "</table></section>",
    ]


ORDER = [
    CommitmentStatus.NOT_ACHIEVED,
    CommitmentStatus.PLANNED,
    CommitmentStatus.IN_PROGRESS,
    CommitmentStatus.ACHIEVED,
]
"""A cell shows the furthest status among its commitments."""


def _matrix_cell(country: str, target: int, commitments: tuple[Commitment, ...]) -> str:
    if not commitments:
        return f'<td class="none" data-country="{country}" data-target="{target}" data-count="0">–</td>'
    best = max((c.status for c in commitments), key=ORDER.index)
    titles = "; ".join(c.title for c in commitments)
    return (
        f'<td class="s-{best.value}" data-country="{country}" data-target="{target}" '
        f'data-count="{len(commitments)}" title="{escape(titles)}">{len(commitments)}</td>'
    )


def _indicators(view: AllianceReportView) -> list[str]:
    out = ['<section id="indicators"><h2>Indicators</h2>']
    if not view.series:
        out.append('<p class="note">No indicator values yet.</p>')
    for s in view.series:
        goal = f" Goal {s.goal.code}: {s.goal.text}" if s.goal else ""
        how = s.across.label
        out.append(f'<div class="indicator" data-name="{s.name}"><h3>{escape(s.label)}</h3>')
        out.append(
            f'<p class="note">Each year\'s figure is the <strong class="across" data-across="{s.across.value}">'
            f"{escape(how)}</strong>, in {escape(s.unit)}; {s.countries} countries reported in some year. "
            f"The goal line is drawn only where the same countries reported the year before.{escape(goal)}</p>"
        )
        out.append(trend_chart(s.points, s.goal_points, f"{s.label}: {how}, per year"))
        rows = "".join(
            f'<tr><td>{f.year}</td><td class="num" data-year="{f.year}">{_num(f.value)}</td>'
            f'<td class="num" data-goal="{f.year}">{"" if f.goal is None else _num(f.goal)}</td>'
            f'<td class="num">{len(f.countries)}</td><td>{escape(", ".join(f.countries))}</td></tr>'
            for f in s.figures
        )
        heading = "Total" if s.across is Across.TOTAL else "Median of medians"
        out.append(
            f'<table class="series" data-name="{s.name}"><tr><th>Year</th><th>{heading}</th><th>Goal line</th>'
            f"<th>Countries</th><th>Which</th></tr>{rows}</table></div>"
        )
    out.append("</section>")
    return out


def _reach(view: AllianceReportView) -> list[str]:
    """Reach per campaign: a campaign's reach is its own, so it is never summed by year."""
    shown = view.reach
    out = [
        f'<section id="reach"><h2>Reach of the campaigns running in {view.year}</h2>',
        '<p class="note">Each bar is one campaign\'s whole reported reach (campaign reach is shown per campaign, '
        "not summed by year: a yearly sum would rise and fall as campaigns start and end).",
    ]
    if view.reach_left_out:
        out.append(f" The {len(shown)} largest are drawn; {view.reach_left_out} more are in the table above.")
    out.append("</p>")
    if not shown:
        out.append('<p class="none">No campaign running this year reported its reach.</p>')
    else:
        bars = [(f"{c.country}: {c.title}", float(c.reach or 0)) for c in shown]
        out.append(bar_chart(bars, f"Reach per campaign running in {view.year}", "people"))
        rows = "".join(
            f"<tr><td>{escape(c.country)}</td><td>{escape(c.title)}</td>"
            f'<td class="num" data-campaign="{c.id}">{c.reach:,}</td></tr>'
            for c in shown
        )
        out.append(f'<table id="reach-table"><tr><th>Country</th><th>Campaign</th><th>Reach</th></tr>{rows}</table>')
    out.append("</section>")
    return out


def _campaigns(campaigns: Iterable[Campaign], year: int) -> list[str]:
    rows = []
    for c in campaigns:
        period = f"{c.starts.isoformat()} – {c.ends.isoformat() if c.ends else 'ongoing'}"
        rows.append(
            f"<tr><td>{escape(c.country)}</td><td>{escape(c.title)}</td>"
            f"<td>{escape(', '.join(a.value for a in c.audiences))}</td><td>{escape(c.channel)}</td>"
            f"<td>{period}</td><td class='num'>{'' if c.reach is None else f'{c.reach:,}'}</td>"
            f"<td>{escape(c.evaluation)}</td><td>{escape(c.practice)}</td></tr>"
        )
    return [
        f'<section id="campaigns"><h2>Awareness campaigns running in {year}</h2>',
        '<table id="campaign-table"><tr><th>Country</th><th>Campaign</th><th>Audience</th><th>Channel</th>'
        "<th>Period</th><th>Reach</th><th>Evaluation</th><th>Practice to share</th></tr>",
        *(rows or ['<tr><td colspan="8" class="none">No campaigns recorded.</td></tr>']),
        "</table></section>",
    ]


def _country(view: AllianceReportView, page: CountryPage) -> str:
    c = page.country
    periods = "".join(
        f"<li>{'Alliance' if p.body is Body.ALLIANCE else 'EU'}: from {p.joined.isoformat()}"
        + ("" if p.joined_exact else " (by this day)")
        + (f" until {p.left.isoformat()}" if p.left else "")
        + (f" <span class='note'>{escape(p.note)}</span>" if p.note else "")
        + "</li>"
        for p in page.periods
    )
    status = "member" if page.member else "no longer a member"
    body = [
        '<p><a href="index.html">← the Alliance report</a></p>',
        f'<section id="membership"><p>{escape(c.name)} ({c.code}) is a <strong>{status}</strong> of the Alliance '
        f"on {view.as_of.isoformat()}{', and an EU member state' if page.eu_member else ''}.</p>"
        f"<ul>{periods}</ul>{'<p class=note>' + escape(c.note) + '</p>' if c.note else ''}</section>",
        '<section id="commitments"><h2>Commitments</h2><table id="commitment-table"><tr><th>Target</th>'
        "<th>Goal</th><th>Commitment</th><th>Pledge</th><th>Baseline</th><th>Status</th></tr>",
        *(
            f'<tr class="s-{k.status.value}"><td>{k.target}</td><td>{escape(k.goal or "")}</td>'
            f"<td>{escape(k.title)}</td><td>{escape(k.pledge)}</td><td>{escape(k.baseline)}</td>"
            f"<td>{k.status.value.replace('_', ' ')}</td></tr>"
            for k in page.commitments
        ),
        "</table></section>",
        *_progress(view, page),
        *_trends(page.trends),
        *_campaigns(page.campaigns, view.year),
    ]
    return _page(f"{c.name}: report on {view.year}", "The Global Alliance against Child Sexual Abuse Online", body)


def _progress(view: AllianceReportView, page: CountryPage) -> list[str]:
    report = page.report
    if report is None:
        return [f'<section id="progress"><h2>Progress in {view.year}</h2><p class="none">No published report.</p>'
                "</section>"]  # fmt: skip
    out = [
        f'<section id="progress"><h2>Progress in {view.year}</h2>'
        f'<p class="note">Version {report.version}, published '
        f"{report.published_at.date().isoformat() if report.published_at else ''}.</p>"
    ]
    for target in view.facts.targets:
        s = report.section(target.number)
        out.append(
            f'<div class="section" data-target="{target.number}"><h3>{target.number}. {escape(target.short)}</h3>'
            f"<p><strong>Actions.</strong> {escape(s.actions) or '–'}</p>"
            f"<p><strong>Results.</strong> {escape(s.results) or '–'}</p>"
            f"<p><strong>Next steps.</strong> {escape(s.next_steps) or '–'}</p></div>"
        )
    out.append("</section>")
    return out


def _trends(trends: Iterable[Trend]) -> list[str]:
    rows = [
        f'<tr data-name="{t.value.name}" data-year="{t.value.year}"><td>{escape(BY_NAME[t.value.name].label)}</td>'
        f"<td>{t.value.year}</td><td class='num'>{_num(t.value.value)}</td><td class='num'>{_pct(t.change)}</td>"
        f"<td>{escape(t.goal or '')}</td><td>{_verdict(t.goal_met)}</td>"
        f"<td class='note'>{escape(t.value.source)}{' — ' + escape(t.value.entered_by) if t.value.entered_by else ''}"
        "</td></tr>"
        for t in trends
    ]
    return [
        '<section id="indicators"><h2>Indicators</h2><table id="indicator-table"><tr><th>Indicator</th>'
        "<th>Year</th><th>Value</th><th>Change</th><th>Goal</th><th>Goal met</th><th>Source</th></tr>",
        *(rows or ['<tr><td colspan="7" class="none">No values.</td></tr>']),
        "</table></section>",
    ]
