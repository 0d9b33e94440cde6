"""Operator commands: `db upgrade`, `config show`, and the `demo`."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from alliance.cli.context import err, node_of, out, settings_of
from alliance.core.errors import IndexFileError

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
    matcher.rebuild()
    matcher.save()
    status = matcher.status()
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
    status = node.matcher.status()
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
    ) -> None:
        """Hash the demo photos into a bank, then match altered copies and show what matched."""
        from alliance.services.demo import DEMO_BANK, load_demo_bank, run_demo

        node = node_of(ctx)
        if not quiet:
            out.print(f"store: {node.settings.resolved_database_url}")
        added = load_demo_bank(node.banks)
        if not quiet:
            loaded = f"{added} photos added" if added else "already loaded"
            out.print(f"bank {DEMO_BANK}: {loaded} (hashes only; the photos are never stored)")
        rows = run_demo(node.banks, node.matching)
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
        out.print(
            f"{hits} of {len(rows)} altered copies matched their original (PDQ, threshold "
            f"{node.banks.get_bank(DEMO_BANK).threshold('pdq')} of 256 bits)."
        )


def install(root: typer.Typer) -> None:
    root.add_typer(db_app, name="db")
    root.add_typer(config_app, name="config")
    root.add_typer(index_app, name="index")
    register(root)
