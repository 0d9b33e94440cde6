"""`alliance series ...` and `alliance case ...`: victim identification and investigations.

Police work only: every command acts as a user of the node (`--as USERNAME`, proven by the user's
password) who holds the investigator role; the operator at the console sees none of it. A case's
import deconflicts each item at once and prints what is known; `--priority-list FILE` writes the
items nobody knows (te-csv), the priority list for victim identification.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.context import node_of, out
from alliance.cli.hashing import JobsOpt, PathsArg
from alliance.cli.output import JsonOpt, OutputFormat, print_rows
from alliance.cli.review import PasswordStdinOpt, _principal

if TYPE_CHECKING:
    from alliance.core.access import Principal
    from alliance.core.investigations import NewItem
    from alliance.node import Node
    from alliance.services.deconfliction import IntakeReport

series_app = typer.Typer(help="Series of abuse material, their victims (pseudonymous) and links.", no_args_is_help=True)
case_app = typer.Typer(help="Cases: intake of seized collections, deconflicted at once.", no_args_is_help=True)

AsOpt = Annotated[str, typer.Option("--as", help="Act as this investigator (asks for their password).")]
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A hash list file.")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="vics-json, pdq-txt or te-csv.")]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")]
ShareOpt = Annotated[
    list[str] | None,
    typer.Option(
        help="Who else may know: LEVEL:WHO, LEVEL read or contact, WHO an organisation id or a country code "
        "(read:12, contact:DE). Repeat. Default: nobody."
    ),
]


def _actor(ctx: typer.Context, user: str, password_stdin: bool) -> tuple[Node, Principal]:
    node = node_of(ctx)
    return node, _principal(node, user, password_stdin)


def _policy(share: list[str] | None):  # type: ignore[no-untyped-def]
    from alliance.core.access import ShareRule
    from alliance.core.errors import InvalidRequest
    from alliance.core.investigations import Disclose, DisclosurePolicy

    if not share:
        return None
    grants: dict[Disclose, tuple[set[int], set[str]]] = {}
    for text in share:
        level, _, who = text.partition(":")
        try:
            orgs, countries = grants.setdefault(Disclose(level.strip()), (set(), set()))
        except ValueError:
            raise InvalidRequest(f"--share {text!r}: the level is read or contact") from None
        if who.strip().isdigit():
            orgs.add(int(who))
        elif len(who.strip()) == 2 and who.strip().isalpha():
            countries.add(who.strip().upper())
        else:
            raise InvalidRequest(f"--share {text!r}: say an organisation id or a country code after the colon")
    return DisclosurePolicy({lv: ShareRule(frozenset(o), frozenset(c)) for lv, (o, c) in grants.items()})


def _write(text: str, output: Path | None) -> None:
    if output is None:
        out.print(text, end="", markup=False)
    else:
        output.write_text(text, encoding="utf-8")


def _read_items(path: Path, fmt: str) -> tuple[list[NewItem], dict[str, object] | None]:
    from alliance.core.investigations import NewItem
    from alliance.formats import vics_cases
    from alliance.formats.registry import get_format

    text = path.read_text(encoding="utf-8")
    if fmt.strip().lower() == "vics-json":
        case_file = vics_cases.read(text)
        return case_file.items, {"vics_case": case_file.case_fields, "vics_document": case_file.header}
    return [NewItem(r.signals, extra=dict(r.metadata)) for r in get_format(fmt).read(text)], None


# --- series ---------------------------------------------------------------------------------------


@series_app.command("create")
def series_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The series' name in your agency.")],
    as_user: AsOpt,
    icse_name: Annotated[str | None, typer.Option(help="Its name in INTERPOL's ICSE database.")] = None,
    vics_series: Annotated[str | None, typer.Option(help="Its VICS Series value.")] = None,
    contact_point: Annotated[str, typer.Option(help="Whom another agency should contact.")] = "",
    contact_email: Annotated[str | None, typer.Option(help="Where notifications about it are e-mailed.")] = None,
    share: ShareOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Create a series owned by your agency."""
    node, actor = _actor(ctx, as_user, password_stdin)
    series = node.investigations_for(actor).create_series(
        name,
        icse_name=icse_name,
        vics_series=vics_series,
        contact_point=contact_point,
        contact_email=contact_email,
        policy=_policy(share),
    )
    out.print(f"series {series.id} {series.name!r} created")


@series_app.command("list")
def series_list(
    ctx: typer.Context, as_user: AsOpt, json_out: JsonOpt = False, password_stdin: PasswordStdinOpt = False
) -> None:
    """Series your agency owns or that are shared with it."""
    node, actor = _actor(ctx, as_user, password_stdin)
    rows = [
        {"id": s.id, "name": s.name, "icse_name": s.icse_name or "", "own": s.owner_id == actor.org_id}
        for s in node.investigations_for(actor).list_series()
    ]
    print_rows(rows, ["id", "name", "icse_name", "own"], OutputFormat.of(json_out), "Series")


@series_app.command("import")
def series_import(
    ctx: typer.Context,
    series_id: Annotated[int, typer.Argument(help="Series id.")],
    path: FileArg,
    as_user: AsOpt,
    fmt: FormatOpt = "vics-json",
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Add a file's items to a series (VICS flags kept: distributed, victim and offender identified)."""
    node, actor = _actor(ctx, as_user, password_stdin)
    items, _ = _read_items(path, fmt)
    added = node.investigations_for(actor).add_items(series_id, items)
    out.print(f"{added} items added to series {series_id}")


@series_app.command("victim")
def series_victim(
    ctx: typer.Context,
    series_id: Annotated[int, typer.Argument(help="Series id.")],
    identifier: Annotated[str, typer.Argument(help="A pseudonym such as DE-2026-0042, never a name.")],
    as_user: AsOpt,
    age_band: Annotated[str, typer.Option(help="infant, prepubescent, pubescent or unknown.")] = "unknown",
    sex: Annotated[str, typer.Option(help="female, male or unknown.")] = "unknown",
    status: Annotated[str, typer.Option(help="unidentified, identified or safeguarded.")] = "unidentified",
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Record a victim seen in a series: pseudonymous, nothing that identifies the child."""
    from alliance.core.investigations import VictimStatus

    node, actor = _actor(ctx, as_user, password_stdin)
    victim = node.investigations_for(actor).add_victim(
        series_id, identifier, age_band=age_band, sex=sex, status=VictimStatus(status)
    )
    out.print(f"victim {victim.id} {victim.identifier} ({victim.status.value})")


@series_app.command("link")
def series_link(
    ctx: typer.Context,
    series_id: Annotated[int, typer.Argument(help="Your series.")],
    other_id: Annotated[int, typer.Argument(help="A series you may see.")],
    as_user: AsOpt,
    kind: Annotated[str, typer.Option(help="same_victim or same_place.")] = "same_victim",
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Link two series ("same victim", "same place")."""
    from alliance.core.investigations import LinkKind

    node, actor = _actor(ctx, as_user, password_stdin)
    link = node.investigations_for(actor).link(series_id, other_id, LinkKind(kind))
    out.print(f"series {link.series_id} and {link.other_series_id} linked: {link.kind.value}")


@series_app.command("export")
def series_export(
    ctx: typer.Context,
    series_id: Annotated[int, typer.Argument(help="Series id.")],
    as_user: AsOpt,
    fmt: Annotated[str, typer.Option("--format", "-f", help="icse-csv, vics-2.0 or vics-1.3.")] = "icse-csv",
    output: OutOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """The series' items as an ICSE-style CSV or a VICS Media list."""
    from alliance.core.errors import InvalidRequest
    from alliance.formats import icse_csv, vics_cases

    node, actor = _actor(ctx, as_user, password_stdin)
    service = node.investigations_for(actor)
    series = service.get_series(series_id)
    items = service.items(series_id)
    if fmt == "icse-csv":
        _write(icse_csv.write((i, series.icse_name or series.vics_series or series.name) for i in items), output)
    elif fmt in ("vics-2.0", "vics-1.3"):
        _write(vics_cases.write_series(series.vics_series or series.name, items, fmt.removeprefix("vics-")), output)
    else:
        raise InvalidRequest(f"unknown format {fmt!r}; icse-csv, vics-2.0 or vics-1.3")


# --- cases ----------------------------------------------------------------------------------------


@case_app.command("open")
def case_open(
    ctx: typer.Context,
    case_number: Annotated[str, typer.Argument(help="Your agency's case number.")],
    as_user: AsOpt,
    contact_point: Annotated[str, typer.Option(help="Whom another agency should contact.")] = "",
    contact_email: Annotated[str | None, typer.Option(help="Where notifications about it are e-mailed.")] = None,
    share: ShareOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Open a case."""
    node, actor = _actor(ctx, as_user, password_stdin)
    case = node.investigations_for(actor).open_case(
        case_number, contact_point=contact_point, contact_email=contact_email, policy=_policy(share)
    )
    out.print(f"case {case.id} {case.case_number!r} opened")


@case_app.command("list")
def case_list(
    ctx: typer.Context, as_user: AsOpt, json_out: JsonOpt = False, password_stdin: PasswordStdinOpt = False
) -> None:
    """Your agency's cases."""
    node, actor = _actor(ctx, as_user, password_stdin)
    rows = [
        {"id": c.id, "case_number": c.case_number, "status": c.status.value, "items": c.items}
        for c in node.investigations_for(actor).list_cases()
    ]
    print_rows(rows, ["id", "case_number", "status", "items"], OutputFormat.of(json_out), "Cases")


def _report(report: IntakeReport, priority_list: Path | None) -> None:
    from alliance.core.investigations import Finding
    from alliance.formats import te_csv
    from alliance.formats.records import MediaRecord

    counts = Counter(report.counts)
    out.print(f"case {report.case.case_number}: {report.items} items")
    for finding in Finding:
        out.print(f"  {finding.value:18} {counts.get(finding.value, 0)}")
    out.print(f"  agencies notified  {len(report.notified)}")
    if priority_list is not None:
        records = [MediaRecord(signals=signals) for signals in report.unknown]
        priority_list.write_text(te_csv.write(records), encoding="utf-8")
        out.print(f"  priority list      {len(records)} items -> {priority_list}")


@case_app.command("import")
def case_import(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    path: FileArg,
    as_user: AsOpt,
    fmt: FormatOpt = "vics-json",
    priority_list: Annotated[
        Path | None, typer.Option(help="Write the unknown items (te-csv): the priority list for identification.")
    ] = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Add a hash list to a case; each item is deconflicted at once."""
    node, actor = _actor(ctx, as_user, password_stdin)
    items, vics = _read_items(path, fmt)
    _report(node.deconfliction_for(actor).intake(case_id, items, vics=vics), priority_list)


@case_app.command("scan")
def case_scan(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    paths: PathsArg,
    as_user: AsOpt,
    jobs: JobsOpt = None,
    priority_list: Annotated[Path | None, typer.Option(help="Write the unknown items (te-csv).")] = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Hash pictures in memory (never stored) and feed them to a case as they are hashed."""
    from alliance.core.investigations import NewItem
    from alliance.services.hashing import collect_files, hash_files

    node, actor = _actor(ctx, as_user, password_stdin)
    files = collect_files(paths)
    results = hash_files(files, node.settings.hashing_limits, jobs or node.settings.jobs, views=False)
    source = (NewItem(r.hashes.signals, image_id=r.path.name) for r in results if r.hashes is not None)
    _report(node.deconfliction_for(actor).intake(case_id, source), priority_list)


@case_app.command("export")
def case_export(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    as_user: AsOpt,
    fmt: Annotated[str, typer.Option("--format", "-f", help="vics-2.0 or vics-1.3.")] = "vics-2.0",
    output: OutOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """The case as a VICS Cases document, with the fields of the file it came from."""
    from alliance.formats import vics_cases

    node, actor = _actor(ctx, as_user, password_stdin)
    case, items, extra = node.investigations_for(actor).case_items(case_id)
    fields = extra.get("vics_case") or {"CaseNumber": case.case_number}
    _write(vics_cases.write(fmt.removeprefix("vics-"), dict(fields), items), output)


@case_app.command("close")
def case_close(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(help="Case id.")],
    as_user: AsOpt,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Close a case: its items no longer tell other agencies that someone works them."""
    node, actor = _actor(ctx, as_user, password_stdin)
    out.print(f"case {node.investigations_for(actor).close_case(case_id).case_number!r} closed")


@case_app.command("notifications")
def case_notifications(
    ctx: typer.Context, as_user: AsOpt, json_out: JsonOpt = False, password_stdin: PasswordStdinOpt = False
) -> None:
    """Your agency's notifications (another case hit your series, ...), newest first."""
    node, actor = _actor(ctx, as_user, password_stdin)
    rows = [
        {"id": n.id, "at": n.created_at.isoformat(timespec="seconds"), "subject": n.subject, "read": bool(n.read_at)}
        for n in node.notifier.for_org(actor)
    ]
    print_rows(rows, ["id", "at", "subject", "read"], OutputFormat.of(json_out), "Notifications")


def install(root: typer.Typer) -> None:
    root.add_typer(series_app, name="series")
    root.add_typer(case_app, name="case")
