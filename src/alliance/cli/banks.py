"""`alliance bank ...`: create, update, list, show, disable banks; add media and hash lists; export."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.context import err, node_of, out
from alliance.cli.hashing import ExactOpt, JobsOpt, PathsArg, hash_with_progress
from alliance.cli.output import JsonOpt, OutputFormat, print_rows, shown
from alliance.core.banks import BankPurpose
from alliance.core.errors import InvalidRequest
from alliance.formats.registry import FORMATS, get_format

if TYPE_CHECKING:
    from alliance.services.banks import AddReport

app = typer.Typer(help="Create, curate, import and export hash banks.", no_args_is_help=True)

BankArg = Annotated[str, typer.Argument(help="Bank name.")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")]
SkipDupOpt = Annotated[
    bool, typer.Option("--skip-duplicates", help="Leave out entries already in the bank instead of failing.")
]
CROP_HELP = (
    "Entries added from images also store about 30 crops of the picture, so that cropped copies and copies "
    "with a sticker or caption match (~1 KB per entry)."
)


@app.command("create")
def create(
    ctx: typer.Context,
    name: BankArg,
    purpose: Annotated[BankPurpose, typer.Option(help="known: known material; negative: known false positives.")] = (
        BankPurpose.KNOWN
    ),
    description: Annotated[str, typer.Option(help="What the bank holds and where it comes from.")] = "",
    pdq_threshold: Annotated[
        int | None, typer.Option(min=0, max=64, help="PDQ match threshold (default: ALLIANCE_PDQ_THRESHOLD).")
    ] = None,
    required_grades: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=20,
            help="Agreeing grades that confirm an entry (0: confirmed on entry; "
            "default ALLIANCE_DEFAULT_REQUIRED_GRADES).",
        ),
    ] = None,
    min_orgs: Annotated[int, typer.Option(min=1, help="Organisations the agreeing grades must come from.")] = 1,
    crop_matching: Annotated[bool, typer.Option("--crop-matching", help=CROP_HELP)] = False,
) -> None:
    """Create a bank owned by this node's organisation."""
    node = node_of(ctx)
    thresholds = {"pdq": pdq_threshold} if pdq_threshold is not None else None
    trust = {"required_grades": required_grades, "min_orgs": min_orgs} if required_grades is not None else None
    bank = node.banks.create_bank(name, purpose, description, thresholds, trust=trust, crop_matching=crop_matching)
    crops = ", crop matching" if bank.crop_matching else ""
    out.print(
        f"created bank {shown(bank.name)} (id {bank.id}, {bank.purpose}, pdq threshold {bank.threshold('pdq')}{crops})"
    )


@app.command("update")
def update(
    ctx: typer.Context,
    name: BankArg,
    description: Annotated[str | None, typer.Option(help="What the bank holds and where it comes from.")] = None,
    pdq_threshold: Annotated[int | None, typer.Option(min=0, max=64, help="PDQ match threshold.")] = None,
    crop_matching: Annotated[
        bool | None,
        typer.Option(
            "--crop-matching/--no-crop-matching",
            help=CROP_HELP + " Applies to entries added from then on; turning it off stops crops matching at once.",
        ),
    ] = None,
) -> None:
    """Change a bank's settings (its curators only)."""
    node = node_of(ctx)
    thresholds = {"pdq": pdq_threshold} if pdq_threshold is not None else None
    bank = node.banks.update_bank(name, description=description, thresholds=thresholds, crop_matching=crop_matching)
    out.print(
        f"updated bank {shown(bank.name)}: pdq threshold {bank.threshold('pdq')}, "
        f"crop matching {'on' if bank.crop_matching else 'off'}"
    )


@app.command("list")
def list_banks(
    ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """List banks with their entry counts."""
    node = node_of(ctx)
    rows = [
        {
            "name": b.name,
            "purpose": b.purpose.value,
            "enabled": b.enabled,
            "entries": b.entry_count,
            "pdq_threshold": b.threshold("pdq"),
            "crop_matching": b.crop_matching,
            "owner": b.owner.name,
        }
        for b in node.banks.list_banks()
    ]
    columns = ["name", "purpose", "enabled", "entries", "pdq_threshold", "crop_matching", "owner"]
    print_rows(rows, columns, OutputFormat.JSON if json_out else OutputFormat.TABLE)


@app.command("show")
def show(
    ctx: typer.Context,
    name: BankArg,
    limit: Annotated[int, typer.Option(min=0, help="Entries to list.")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Show a bank and its first entries."""
    node = node_of(ctx)
    bank = node.banks.get_bank(name)
    rows = [
        {
            "entry": e.id,
            "status": e.status.value,
            "pdq": next((s.value for s in e.signals if s.type == "pdq"), None),
            "md5": next((s.value for s in e.signals if s.type == "md5"), None),
            "source": e.source,
        }
        for e in node.banks.entries(name, limit=limit)
    ]
    if json_out:
        about = {
            "name": bank.name,
            "id": bank.id,
            "purpose": bank.purpose.value,
            "enabled": bank.enabled,
            "entry_count": bank.entry_count,
            "owner": bank.owner.name,
            "description": bank.description,
            "crop_matching": bank.crop_matching,
            "thresholds": {"pdq": bank.threshold("pdq")},
        }
        sys.stdout.write(json.dumps({"bank": about, "entries": rows}, indent=2) + "\n")
        return
    out.print(
        f"{shown(bank.name)} (id {bank.id}): {bank.purpose.value}, {'enabled' if bank.enabled else 'DISABLED'}, "
        f"{bank.entry_count} entries, pdq threshold {bank.threshold('pdq')}, "
        f"crop matching {'on' if bank.crop_matching else 'off'}, owner {shown(bank.owner.name)}"
    )
    if bank.description:
        out.print(shown(bank.description))
    print_rows(rows, ["entry", "status", "pdq", "md5", "source"], OutputFormat.TABLE)


@app.command("disable")
def disable(ctx: typer.Context, name: BankArg) -> None:
    """Stop matching against a bank (its entries are kept)."""
    node = node_of(ctx)
    node.banks.set_enabled(name, False)
    out.print(f"bank {shown(name)} disabled: it no longer matches")


@app.command("enable")
def enable(ctx: typer.Context, name: BankArg) -> None:
    """Match against a disabled bank again."""
    node = node_of(ctx)
    node.banks.set_enabled(name, True)
    out.print(f"bank {shown(name)} enabled")


@app.command("add")
def add(
    ctx: typer.Context,
    name: BankArg,
    paths: PathsArg,
    skip_duplicates: SkipDupOpt = False,
    skip_failed: Annotated[
        bool, typer.Option("--skip-failed", help="Add the files that hashed even if others failed.")
    ] = False,
    jobs: JobsOpt = None,
    exact_reference: ExactOpt = False,
) -> None:
    """Hash images and add them as entries. Only hashes are stored, never the images."""
    node = node_of(ctx)
    bank = node.banks.get_bank(name)  # fail on an unknown bank before hashing anything
    results = hash_with_progress(node, paths, jobs, exact_reference, crops=bank.crop_matching)
    if not results:
        raise InvalidRequest("no image files found")
    for failed in (r for r in results if not r.ok):
        err.print(f"{shown(failed.path)}: {shown(failed.error)}")
    report = node.banks.add_files(name, results, skip_duplicates=skip_duplicates, skip_failed=skip_failed)
    _print_report(name, report)


@app.command("import")
def import_file(
    ctx: typer.Context,
    name: BankArg,
    file: Annotated[Path, typer.Argument(help="The hash list to import ('-' for standard input).")],
    fmt: FormatOpt = "pdq-txt",
    skip_duplicates: SkipDupOpt = False,
) -> None:
    """Import a hash list in one transaction: all of it, or nothing."""
    node = node_of(ctx)
    node.banks.get_bank(name)
    reader = get_format(fmt)
    text = sys.stdin.read() if str(file) == "-" else _read_text(file)
    report = node.banks.import_records(name, reader.read(text), skip_duplicates=skip_duplicates)
    _print_report(name, report)


@app.command("export")
def export(
    ctx: typer.Context,
    name: BankArg,
    fmt: FormatOpt = "pdq-txt",
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")
    ] = None,
) -> None:
    """Export a bank's live entries."""
    node = node_of(ctx)
    text = get_format(fmt).write(node.banks.export_records(name))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", markup=False)


@app.command("retire")
def retire(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="Entry id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the entry is retired (kept with it).")],
) -> None:
    """Retire an entry: it stops matching at once and is kept for the record."""
    node = node_of(ctx)
    entry = node.banks.retire_entry(entry_id, reason)
    out.print(f"entry {entry.id} retired")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidRequest(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidRequest(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise InvalidRequest(f"{path}: {exc.strerror}") from exc


def _print_report(name: str, report: AddReport) -> None:
    out.print(f"added {len(report.added)} entries to {shown(name)}")
    if report.duplicates:
        out.print(f"skipped {len(report.duplicates)} duplicates")
    if report.failed:
        out.print(f"skipped {len(report.failed)} files that could not be hashed")


def install(root: typer.Typer) -> None:
    root.add_typer(app, name="bank")
