"""Rows out: a Rich table for people, JSON or CSV for programs."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from alliance.cli.context import out
from alliance.formats.spreadsheet import defuse

OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON: every value whole, for programs.")]
HASH = re.compile(r"^[0-9a-f]{32,}$")
"""A hash as the store holds it: a table never breaks one across lines, so it can be copied."""


TERMINAL_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI sequences: colours, cursor moves, clearing the screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC sequences: window titles, hyperlinks
    r"|\x1b.?"  # any other escape
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # C0 and C1 control characters but tab and newline
    r"|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"  # bidi controls: text shown in another order
)


def shown(value: object) -> str:
    """Text from the store, which other organisations wrote, as the terminal may show it: escape
    sequences and control characters removed and Rich markup escaped, so that `[/bold]` in a title
    neither crashes the command nor restyles it. Print it with markup on (Rich's default)."""
    return escape(TERMINAL_CONTROL.sub("", "" if value is None else str(value)))


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"

    @classmethod
    def of(cls, json_out: bool) -> OutputFormat:
        return cls.JSON if json_out else cls.TABLE


def print_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: OutputFormat, title: str = "") -> None:
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps([{c: row.get(c) for c in columns} for row in rows], indent=2) + "\n")
    elif fmt is OutputFormat.CSV:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: defuse(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows)
    else:
        table = Table(title=shown(title) or None)
        for column in columns:
            if any(isinstance(row.get(column), str) and HASH.match(row[column]) for row in rows):
                # Whole, or cut short with "…" where the terminal is too narrow: never folded, so
                # what is copied is never two halves (`--json` has every value whole).
                table.add_column(shown(column), no_wrap=True, overflow="ellipsis", min_width=10)
            else:
                table.add_column(shown(column), overflow="fold")
        for row in rows:
            table.add_row(*(shown(row.get(c)) for c in columns))
        out.print(table)
