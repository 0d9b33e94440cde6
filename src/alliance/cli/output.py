"""Rows out: a Rich table for people, JSON or CSV for programs."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from alliance.cli.context import out
from alliance.formats.spreadsheet import defuse

OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def print_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: OutputFormat, title: str = "") -> None:
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps([{c: row.get(c) for c in columns} for row in rows], indent=2) + "\n")
    elif fmt is OutputFormat.CSV:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: defuse(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows)
    else:
        table = Table(title=title or None)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        out.print(table)
