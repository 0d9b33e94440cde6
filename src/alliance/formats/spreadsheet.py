"""Text cells that a spreadsheet would run as a formula, defused (CSV injection).

Notes, tags and metadata come from other organisations, and analysts open CSV files in
spreadsheets: a note that begins `=HYPERLINK(...)` would run there. A cell that begins with one of
`= + - @`, a tab or a carriage return (after any quotes) gets a leading `'`, which spreadsheets
show as text. Spreadsheets set up for German or French split lines on `;` as well, so each
`;`-separated part of a cell is defused the same way (`x;=1+1` becomes `x;'=1+1`). `restore` undoes
`defuse` exactly, so a file Alliance writes reads back the same.
"""

from __future__ import annotations

FORMULA_STARTS = frozenset("=+-@\t\r")
SEPARATOR = ";"
"""Where a `;`-separated spreadsheet starts a new cell (the `,` of a CSV file is quoted anyway)."""


def _looks_like_formula(text: str) -> bool:
    body = text.lstrip("'")
    return bool(body) and body[0] in FORMULA_STARTS


def defuse(text: str) -> str:
    """`text` as a spreadsheet shows it as text, whether it splits cells on `,` or on `;`."""
    return SEPARATOR.join("'" + part if _looks_like_formula(part) else part for part in text.split(SEPARATOR))


def restore(text: str) -> str:
    """The text `defuse` was given."""
    if "'" not in text:  # nothing was defused (most cells): nothing to undo
        return text
    return SEPARATOR.join(
        part[1:] if part.startswith("'") and _looks_like_formula(part) else part for part in text.split(SEPARATOR)
    )
