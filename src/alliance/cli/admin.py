"""Operator commands: `db upgrade`, `config show`, and the `demo`."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from alliance.cli.context import err, node_of, out, settings_of
from alliance.cli.output import OutputFormat, print_rows
from alliance.core.errors import IndexFileError

if TYPE_CHECKING:
    from alliance.cli.node import Node

db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
index_app = typer.Typer(help="The saved PDQ matching index.", no_args_is_help=True)
config_app = typer.Typer(help="The node's settings.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every pending schema migration (also done on start)."""
    from alliance.store.db import schema_revision

    node = node_of(ctx)
    current, head = schema_revision(node.store.engine)
    out.print(f"store at revision {current} (latest {head}): {node.settings.resolved_database_url.split('@')[-1]}")


@index_app.command("build")
def index_build(ctx: typer.Context) -> None:
    """Rebuild the PDQ index from the store and save it."""
    node = node_of(ctx)
    matcher = node.matcher
    started = time.perf_counter()
    matcher.index.rebuild()
    matcher.index.save()
    status = matcher.index.status()
    out.print(
        f"built {status.engine} with {status.size:,} hashes at change {status.sequence} "
        f"in {time.perf_counter() - started:.2f} s: {status.path}"
    )


@index_app.command("status")
def index_status(ctx: typer.Context) -> None:
    """Where the index is, how big, and how far behind the store its saved file is."""
    node = node_of(ctx)
    path = node.settings.index_path
    saved = f"{path} ({path.stat().st_size:,} bytes)" if path.exists() else f"{path} (not saved yet)"
    status = node.matcher.index.status()
    out.print(f"engine: {status.engine}", markup=False)
    out.print(f"file: {saved}", markup=False)
    out.print(f"loaded from: {status.loaded_from}", markup=False)
    out.print(f"hashes: {status.size:,}", markup=False)
    out.print(f"reflects change {status.sequence} of {status.store_sequence}", markup=False)


@index_app.command("verify")
def index_verify(ctx: typer.Context) -> None:
    """Check the saved index file: its checksum, and its contents against the store. Exit 6 if unsound."""
    from alliance.services.matcher_index import verify_index_file

    node = node_of(ctx)
    path = node.settings.index_path
    if not path.exists():
        raise IndexFileError(f"no saved index at {path}; run `alliance index build`")
    problems = verify_index_file(node.store, path, node.settings.pdq_min_quality)
    for problem in problems:
        err.print(f"problem: {problem}", markup=False)
    if problems:
        raise typer.Exit(6)
    out.print(f"{path}: sound", markup=False)


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print every setting, its value and where the value came from."""
    for name, value, source, help_text in settings_of(ctx).describe():
        out.print(f"ALLIANCE_{name.upper()}={escape(value)}  [dim]({source})[/dim]")
        out.print(f"    {help_text}", style="dim", markup=False)


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        ctx: typer.Context,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the table.")] = False,
        json_out: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    ) -> None:
        """Hash the demo photos into a bank in a temporary store, then match altered copies as
        `alliance match` would and show what matched. The node's own store is not touched."""
        import tempfile
        from pathlib import Path

        from alliance.cli.node import Node

        settings = settings_of(ctx)
        with tempfile.TemporaryDirectory(prefix="alliance-demo-") as scratch:
            home = Path(scratch)
            node = Node(
                settings.model_copy(
                    update={"home": home, "database_url": None, "audit_key_file": None, "audit_checkpoint_dir": None}
                )
            )
            try:
                _demo(node, settings.match_dihedral, quiet or json_out, json_out)
            finally:
                node.close()


def _demo(node: Node, dihedral: bool, quiet: bool, json_out: bool) -> None:
    from alliance.services.demo import DEMO_BANK, load_demo_bank, run_demo

    if not quiet:
        out.print("store: a temporary one, removed afterwards (your node's store is not touched)")
    added = load_demo_bank(node.banks)
    if not quiet:
        out.print(f"bank {DEMO_BANK}: {added} photos added (hashes only; the photos are never stored)")
    rows = run_demo(node.banks, node.matching, dihedral)
    if json_out:
        print_rows([asdict(r) for r in rows], DEMO_COLUMNS, OutputFormat.JSON)
        return
    # The view that matched (a rotation, a flip) is in --json: a sixth column would wrap in 80 columns.
    table = Table("photo", "alteration", "result", "entry", "distance", title="Altered copies of the demo photos")
    for row in rows:
        if row.matched_entry is None:
            verdict = "[red]no match[/red]"
        elif row.matched_entry == row.expected_entry:
            verdict = "[green]matched[/green]"
        else:
            verdict = "[yellow]matched another photo[/yellow]"
        table.add_row(
            row.photo,
            row.alteration,
            verdict,
            str(row.matched_entry or ""),
            "" if row.distance is None else str(row.distance),
        )
    out.print(table)
    hits = sum(r.matched_entry == r.expected_entry for r in rows)
    turns = "with rotations and flips" if dihedral else "without rotations and flips"
    out.print(
        f"{hits} of {len(rows)} altered copies matched their original (PDQ {turns}, threshold "
        f"{node.banks.get_bank(DEMO_BANK).threshold('pdq')} of 256 bits)."
    )


DEMO_COLUMNS = ["photo", "alteration", "matched_entry", "distance", "variant", "expected_entry"]


def install(root: typer.Typer) -> None:
    root.add_typer(db_app, name="db")
    root.add_typer(config_app, name="config")
    root.add_typer(index_app, name="index")
    register(root)
