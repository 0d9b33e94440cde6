"""Operator commands: `db upgrade`, `config show`, and the `demo`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from alliance.cli.context import Node, out
from alliance.services.demo import DEMO_BANK, load_demo_bank, run_demo
from alliance.store.db import schema_revision

db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
config_app = typer.Typer(help="The node's settings.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every pending schema migration (also done on start)."""
    node: Node = ctx.obj
    current, head = schema_revision(node.store.engine)
    out.print(f"store at revision {current} (latest {head}): {node.settings.resolved_database_url.split('@')[-1]}")


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print every setting, its value and where the value came from."""
    node: Node = ctx.obj
    for name, value, source, help_text in node.settings.describe():
        out.print(f"ALLIANCE_{name.upper()}={escape(value)}  [dim]({source})[/dim]")
        out.print(f"    {help_text}", style="dim", markup=False)


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        ctx: typer.Context,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the table.")] = False,
    ) -> None:
        """Hash the demo photos into a bank, then match altered copies and show what matched."""
        node: Node = ctx.obj
        if not quiet:
            out.print(f"store: {node.settings.resolved_database_url}")
        added = load_demo_bank(node.banks)
        if not quiet:
            loaded = f"{added} photos added" if added else "already loaded"
            out.print(f"bank {DEMO_BANK}: {loaded} (hashes only; the photos are never stored)")
        rows = run_demo(node.banks, node.matcher)
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
