"""`alliance bank ...`: create, update, list, show, disable banks; add media and hash lists; export."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress

from alliance.cli.context import err, node_of, out
from alliance.cli.hashing import ExactOpt, JobsOpt, PathsArg, hash_with_progress
from alliance.cli.output import JsonOpt, OutputFormat, print_rows, shown
from alliance.core.banks import BankPurpose, EntryStatus
from alliance.core.errors import InvalidRequest
from alliance.formats.registry import FORMATS, get_format

if TYPE_CHECKING:
    from alliance.services.banks import AddReport, ImportSummary

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
        kept = ": its exact hashes only" if failed.exact else ""
        err.print(f"{shown(failed.path)}: {shown(failed.error)}{kept}")
    report = node.banks.add_files(name, results, skip_duplicates=skip_duplicates, skip_failed=skip_failed)
    _print_report(name, report)


@app.command("import")
def import_file(
    ctx: typer.Context,
    name: BankArg,
    file: Annotated[Path, typer.Argument(help="The hash list to import ('-' for standard input).")],
    fmt: FormatOpt = "pdq-txt",
    skip_duplicates: Annotated[
        bool, typer.Option("--skip-duplicates", hidden=True, help="Kept for scripts: duplicates are merged now.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a hash list as it is read, in one transaction. Lines that cannot be used are skipped
    and counted by reason; a hash already in the bank (or earlier in the file) is merged into its
    entry, every file name kept. A file that cannot be read at all adds nothing."""
    del skip_duplicates
    node = node_of(ctx)
    node.banks.get_bank(name)
    reader = get_format(fmt)
    with _opened(file) as source:
        size = _size(source)
        with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("importing", total=size)
            summary = node.banks.import_stream(
                name, reader.stream(source), on_batch=lambda _n: progress.update(task, completed=_position(source))
            )
    if as_json:
        sys.stdout.write(json.dumps(_summary_json(name, summary), indent=2) + "\n")
        return
    out.print(
        f"read {summary.read:,} records from {shown(str(file))}: added {summary.added:,} entries to {shown(name)}, "
        f"merged {summary.merged:,} duplicates, skipped {sum(summary.skipped.values()):,}"
    )
    for reason, count in summary.skipped.most_common():
        examples = ", ".join(summary.examples.get(reason, []))
        out.print(f"  skipped {count:,}: {shown(reason)} ({shown(examples)}{', ...' if count > 3 else ''})")


@app.command("export")
def export(
    ctx: typer.Context,
    name: BankArg,
    fmt: FormatOpt = "pdq-txt",
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")
    ] = None,
    status: Annotated[
        EntryStatus, typer.Option("--status", help="Only entries in this trust state (confirmed: what may be shared).")
    ] = EntryStatus.CONFIRMED,
    every: Annotated[bool, typer.Option("--all", help="Every live entry, whatever its trust state.")] = False,
) -> None:
    """Export a bank's entries (confirmed ones unless told otherwise), as it reads them. PDQ is the
    hash other tools compute for the file (untrimmed, as stored), not Alliance's own views."""
    node = node_of(ctx)
    writer = get_format(fmt)
    records = node.banks.export_stream(name, status=None if every else status)
    if output is None:
        written = writer.write_to(records, sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as target:
            written = writer.write_to(records, target)
        err.print(f"wrote {written:,} {'records' if fmt == 'vics-json' else 'lines'} to {output}", markup=False)


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


@contextmanager
def _opened(path: Path) -> Iterator[IO[bytes]]:
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    try:
        source = path.open("rb")
    except FileNotFoundError:
        raise InvalidRequest(f"{path}: no such file") from None
    except OSError as exc:
        raise InvalidRequest(f"{path}: {exc.strerror}") from exc
    with source:
        yield source


def _size(source: IO[bytes]) -> int | None:
    try:
        return os.fstat(source.fileno()).st_size or None
    except (OSError, ValueError):
        return None


def _position(source: IO[bytes]) -> int:
    try:
        return source.tell()
    except (OSError, ValueError):
        return 0


def _summary_json(name: str, summary: ImportSummary) -> dict[str, object]:
    return {
        "bank": name,
        "read": summary.read,
        "added": summary.added,
        "merged": summary.merged,
        "skipped": dict(summary.skipped),
        "examples": summary.examples,
    }


def _print_report(name: str, report: AddReport) -> None:
    out.print(f"added {len(report.added)} entries to {shown(name)}")
    if report.exact_only:
        out.print(f"  {len(report.exact_only)} of them by exact hashes only (files that are not images it decodes)")
    if report.duplicates:
        out.print(f"skipped {len(report.duplicates)} duplicates")
    if report.failed:
        out.print(f"skipped {len(report.failed)} files that could not be hashed")


def install(root: typer.Typer) -> None:
    root.add_typer(app, name="bank")
