"""The Alliance report and its open data, written to a folder.

`write_report` lays out an `AllianceReportView` as self-contained HTML; `write_open_data` writes
the published record as one CSV per table and one JSON file. Neither reads the store: the
services decide what is published, these only write files.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from alliance.core.record.report import AllianceReportView
from alliance.formats.spreadsheet import defuse
from alliance.report.html import render


def write_report(view: AllianceReportView, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render(view).items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _csv_cell(value: Any) -> Any:
    """Lists joined with ';'; text a spreadsheet would run as a formula defused."""
    if isinstance(value, list):
        value = ";".join(map(str, value))
    return defuse(value) if isinstance(value, str) else value


def write_open_data(tables: dict[str, list[dict[str, Any]]], folder: Path) -> list[Path]:
    """`alliance.json` with every table, and `<table>.csv` for each (lists joined with ';')."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "alliance.json"]
    written[0].write_text(json.dumps(tables, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    for name, rows in tables.items():
        path = folder / f"{name}.csv"
        columns = list(dict.fromkeys(key for row in rows for key in row))
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_cell(v) for k, v in row.items()})
        written.append(path)
    return written
