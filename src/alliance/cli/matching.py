"""`alliance match`: which bank entries does an image or a hash match?"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.context import err, node_of
from alliance.cli.output import OutputFormat, print_rows
from alliance.core.errors import InvalidSignal
from alliance.core.signals import Signal, parse_signal

if TYPE_CHECKING:
    from alliance.cli.node import Node

MATCH_COLUMNS = ["query", "bank", "entry", "type", "distance", "variant"]


def register(app: typer.Typer) -> None:
    @app.command("match")
    def match_command(
        ctx: typer.Context,
        queries: Annotated[
            list[str], typer.Argument(help="Image files, or hashes written TYPE:VALUE (pdq:..., md5:...).")
        ],
        bank: Annotated[
            list[str] | None, typer.Option("--bank", "-b", help="Match only this bank (repeatable).")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        dihedral: Annotated[
            bool | None,
            typer.Option(
                "--dihedral/--no-dihedral",
                help="Also match images rotated and flipped (default: ALLIANCE_MATCH_DIHEDRAL).",
            ),
        ] = None,
    ) -> None:
        """Match images or hashes against the enabled banks. Exit 0 if anything matched, 1 if not."""
        node = node_of(ctx)
        rows = []
        turn = node.settings.match_dihedral if dihedral is None else dihedral
        crops = node.matching.crop_matching(bank or None)
        for query in queries:
            signals, variants = _signals_of(node, query, turn, crops)
            for m in node.matching.match(signals, bank or None, variants):
                rows.append(
                    {
                        "query": query,
                        "bank": m.bank,
                        "entry": m.entry_id,
                        "type": m.signal_type,
                        "distance": m.distance,
                        "variant": m.variant,
                    }
                )
        print_rows(rows, MATCH_COLUMNS, OutputFormat.JSON if json_out else OutputFormat.TABLE)
        if not rows:
            err.print("no match", markup=False)
            raise typer.Exit(1)


def _signals_of(node: Node, query: str, dihedral: bool, crops: bool) -> tuple[list[Signal], list[str] | None]:
    """A hash given as TYPE:VALUE, or an image's signals and views (its rotations and flips if
    asked, its crops when a bank searched matches crops)."""
    from alliance.core.media.hashing import query_signals
    from alliance.services.hashing import read_media

    kind, sep, value = query.partition(":")
    if sep and not Path(query).exists():
        return [parse_signal(kind, value)], None
    path = Path(query)
    if not path.exists():
        raise InvalidSignal(f"{query!r} is neither a file nor a hash written TYPE:VALUE (for example pdq:<64 hex>)")
    limits = node.settings.hashing_limits
    media, signals, variants = query_signals(read_media(path, limits), limits, dihedral=dihedral, crops=crops)
    if media.pdq_low_quality:
        err.print(f"{path}: PDQ quality is low; only exact hashes are matched", markup=False)
    return signals, variants


def install(root: typer.Typer) -> None:
    register(root)
