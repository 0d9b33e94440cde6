"""Text cells that a spreadsheet would run as a formula, defused (CSV injection).

Notes, tags and metadata come from other organisations, and analysts open CSV files in
spreadsheets: a note that begins `=HYPERLINK(...)` would run there. A cell that begins with one of
`= + - @`, a tab or a carriage return (after any quotes) gets a leading `'`, which spreadsheets
show as text. `restore` undoes `defuse` exactly, so a file Alliance writes reads back the same.
"""

from __future__ import annotations

FORMULA_STARTS = frozenset("=+-@\t\r")


def _looks_like_formula(text: str) -> bool:
    body = text.lstrip("'")
    return bool(body) and body[0] in FORMULA_STARTS


def defuse(text: str) -> str:
    """`text` as a spreadsheet shows it as text."""
    return "'" + text if _looks_like_formula(text) else text


def restore(text: str) -> str:
    """The text `defuse` was given."""
    return text[1:] if text.startswith("'") and _looks_like_formula(text) else text
