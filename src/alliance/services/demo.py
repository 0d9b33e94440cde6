"""The demo: hash the demo photos into a bank, then match altered copies of them.

Shows a new user, with benign photos only, what a hash bank does: which altered copies of known
media still match, at what distance, and which do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alliance.core.alterations import DEMO_ALTERATIONS
from alliance.core.errors import NotFound
from alliance.core.hashing import hash_image
from alliance.services.banks import BankService
from alliance.services.hashing import collect_files, hash_files
from alliance.services.matching import MatchService

DEMO_BANK = "demo-photos"


@dataclass(frozen=True, slots=True)
class DemoRow:
    photo: str
    alteration: str
    matched_entry: int | None
    distance: int | None
    expected_entry: int


def demo_photos() -> list[Path]:
    folder = resources.files("alliance.demo") / "photos"
    return collect_files([Path(str(folder))])


def load_demo_bank(banks: BankService) -> int:
    """Create the demo bank with one entry per demo photo; returns how many entries were added."""
    try:
        banks.get_bank(DEMO_BANK)
    except NotFound:
        banks.create_bank(DEMO_BANK, description="Benign demo photos (CC0 / public domain)")
    results = list(hash_files(demo_photos(), banks.settings.hashing_limits))
    report = banks.add_files(DEMO_BANK, results, skip_duplicates=True)
    return len(report.added)


def run_demo(banks: BankService, matcher: MatchService) -> list[DemoRow]:
    """Match every alteration of every demo photo against the demo bank."""
    entry_of = {e.source.removeprefix("file:"): e.id for e in banks.entries(DEMO_BANK)}
    rows = []
    for path in demo_photos():
        original = path.read_bytes()
        for name, alter in DEMO_ALTERATIONS.items():
            altered = hash_image(alter(original), banks.settings.hashing_limits)
            pdq = altered.get("pdq")
            found = matcher.match([pdq] if pdq else [], banks=[DEMO_BANK])
            best = found[0] if found else None
            rows.append(
                DemoRow(
                    path.name,
                    name,
                    best.entry_id if best else None,
                    best.distance if best else None,
                    entry_of[path.name],
                )
            )
    return rows
