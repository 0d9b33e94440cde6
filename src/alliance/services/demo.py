"""The demo: hash the demo photos into a bank, then match altered copies of them.

Shows a new user, with benign photos only, what a hash bank does: which altered copies of known
media still match, at what distance, and which do not. Each copy is queried as `alliance match`
and the API query an upload (`query_signals`: its rotations and flips, its views), so what the
demo prints is what a caller would get.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from alliance.core.access import SYSTEM, BankAction, OrgKind, Principal, Role, ShareRule, SharingPolicy
from alliance.core.errors import NotFound
from alliance.core.media.hashing import query_signals
from alliance.demo.alterations import DEMO_ALTERATIONS
from alliance.services.accounts import AccountService
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
    variant: str | None = None  # the view of the copy that matched ("original", "flipy", ...)


def demo_photos() -> list[Path]:
    folder = resources.files("alliance.demo") / "photos"
    return collect_files([Path(str(folder))])


def load_demo_bank(banks: BankService) -> int:
    """Create the demo bank with one entry per demo photo; returns how many entries were added."""
    try:
        banks.get_bank(DEMO_BANK)
    except NotFound:
        banks.create_bank(
            DEMO_BANK, description="Benign demo photos (CC0 / public domain)", trust={"required_grades": 0}
        )
    results = list(hash_files(demo_photos(), banks.settings.hashing_limits))
    report = banks.add_files(DEMO_BANK, results, skip_duplicates=True)
    return len(report.added)


def run_demo(banks: BankService, matcher: MatchService, dihedral: bool = True) -> list[DemoRow]:
    """Match every alteration of every demo photo against the demo bank, by the signals and views
    `alliance match` sends for an image; the closest match is the row's."""
    entry_of = {e.source.removeprefix("file:"): e.id for e in banks.entries(DEMO_BANK)}
    limits = banks.settings.hashing_limits
    crops = matcher.crop_matching([DEMO_BANK])
    rows = []
    for path in demo_photos():
        original = path.read_bytes()
        for name, alter in DEMO_ALTERATIONS.items():
            _, signals, variants = query_signals(alter(original), limits, dihedral=dihedral, crops=crops)
            found = matcher.match(signals, [DEMO_BANK], variants)
            best = min(found, key=lambda m: (m.distance, m.entry_id != entry_of[path.name]), default=None)
            rows.append(
                DemoRow(
                    path.name,
                    name,
                    best.entry_id if best else None,
                    best.distance if best else None,
                    entry_of[path.name],
                    best.variant if best else None,
                )
            )
    return rows


# --- the demo node served by `make run` ---------------------------------------------------------

DEMO_ORGANISATIONS = [
    # (name, country, kind, [(username, roles)])
    ("Node operator", "GB", OrgKind.NODE_OPERATOR, [("admin", [Role.NODE_ADMIN])]),
    (
        "UK Hotline",
        "GB",
        OrgKind.HOTLINE,
        # The hotline's administrator is its lead analyst too: an org admin grants only roles it holds.
        [("uk-admin", [Role.ORG_ADMIN, Role.ANALYST]), ("uk-analyst", [Role.ANALYST]), ("uk-auditor", [Role.AUDITOR])],
    ),
    ("DE Federal Police", "DE", OrgKind.LAW_ENFORCEMENT, [("de-investigator", [Role.INVESTIGATOR])]),
    ("US Platform", "US", OrgKind.PLATFORM, [("us-platform", [Role.PLATFORM])]),
    ("Alliance Secretariat", "US", OrgKind.SECRETARIAT, [("secretariat", [Role.SECRETARIAT])]),
]
SHARED_BANK = "uk-hotline-known"
REVIEW_BANK = "uk-hotline-review"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    organisation: str
    username: str
    roles: list[str]
    password: str
    api_key: str


def seed_demo_node(
    accounts: AccountService, banks_for: Callable[[Principal], BankService], credentials_file: Path
) -> list[DemoLogin]:
    """Organisations in several member countries, a user and an API key per role, a shared bank.

    `banks_for` builds the bank service for a principal (`Node.banks_for`): the banks are created
    by the hotline's analyst, who exists only once the accounts are made.

    Runs once: the logins are written to `credentials_file` (readable by its owner only), because
    the store keeps only hashes of passwords and keys. Later starts read them back from there.
    """
    if credentials_file.exists():
        return [DemoLogin(**row) for row in json.loads(credentials_file.read_text())]
    logins = []
    orgs = {}
    for name, country, kind, users in DEMO_ORGANISATIONS:
        org = accounts.create_organisation(SYSTEM, name, country, kind)
        orgs[name] = org
        for username, roles in users:
            password = secrets.token_urlsafe(12)
            accounts.create_user(SYSTEM, org.id, username, password, frozenset(roles))
            key = accounts.create_key(SYSTEM, org.id, f"demo key for {username}", frozenset(roles), for_user=username)
            logins.append(DemoLogin(org.name, username, [r.value for r in roles], password, key.token))
    hotline = orgs["UK Hotline"]
    analyst = Principal(
        hotline.id, hotline.name, hotline.country, frozenset({Role.ANALYST}), name="uk-analyst", person="uk-analyst"
    )
    banks = banks_for(analyst)
    policy = SharingPolicy(
        {
            BankAction.MATCH: ShareRule(countries=frozenset({"DE", "US"})),
            BankAction.READ: ShareRule(orgs=frozenset({orgs["DE Federal Police"].id})),
        }
    )
    photos = list(hash_files(demo_photos(), banks.settings.hashing_limits))
    banks.create_bank(
        SHARED_BANK,
        description="Demo photos standing in for material graded elsewhere",
        policy=policy,
        trust={"required_grades": 0},
    )
    banks.add_files(SHARED_BANK, photos)
    # A second bank whose entries wait for three agreeing grades (uk-analyst and de-investigator may grade).
    banks.create_bank(
        REVIEW_BANK,
        description="New reports waiting for grades",
        trust={"required_grades": 3},
        policy=SharingPolicy({BankAction.READ: ShareRule(orgs=frozenset({orgs["DE Federal Police"].id}))}),
    )
    banks.add_files(REVIEW_BANK, photos[:3])
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.touch(mode=0o600)
    credentials_file.write_text(json.dumps([asdict(login) for login in logins], indent=2))
    return logins
