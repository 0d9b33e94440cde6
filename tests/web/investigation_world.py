"""Four police agencies on a node, for the pages of investigations: A (GB) works cases; B (DE) owns
the series "Beach", shared with A for reading and contact, with an identified victim; C (NL) owns
"Garden", shared with nobody; D (FR) is police outside every policy. Made through the services, as
each agency's investigator; each has a login (a `DemoLogin`, as the demo's users)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from alliance.core.access import SYSTEM, OrgKind, Principal, Role, ShareRule
from alliance.core.investigations import Disclose, DisclosurePolicy, NewItem, VictimStatus
from alliance.core.signals import parse_signal
from alliance.node import Node
from alliance.services.demo import DemoLogin

B_CONTACT = "BKA victim identification, desk 3"
C_CONTACT = "NL police VIC team"


@dataclass
class Police:
    logins: dict[str, DemoLogin]
    orgs: dict[str, int]
    users: dict[str, str]  # agency letter -> username
    b_series: int
    c_series: int
    b_victim: int
    b_victim_identifier: str  # victims' identifiers are unique on a node
    b_hashes: list[str]
    c_hashes: list[str]

    def hash_list(self, unknown: int = 2) -> str:
        """A pdq-txt file: B's two items, C's two, and `unknown` that nobody holds."""
        fresh = [secrets.token_hex(32) for _ in range(unknown)]
        return "".join(f"{h},100\n" for h in [*self.b_hashes, *self.c_hashes, *fresh])


def investigator(node: Node, org_id: int) -> Principal:
    org = next(o for o in node.accounts.directory(SYSTEM) if o.id == org_id)
    return Principal(org.id, org.name, org.country, frozenset({Role.INVESTIGATOR}), name="setup", person="setup")


def make_police(node: Node, tag: str) -> Police:
    """The four agencies; `tag` keeps names apart when one node holds several worlds."""
    logins, orgs, users = {}, {}, {}
    for who, country in (("A", "GB"), ("B", "DE"), ("C", "NL"), ("D", "FR")):
        org = node.accounts.create_organisation(SYSTEM, f"Police {who} {tag}", country, OrgKind.LAW_ENFORCEMENT)
        username, password = f"police-{who.lower()}-{tag}", secrets.token_urlsafe(12)
        node.accounts.create_user(SYSTEM, org.id, username, password, frozenset({Role.INVESTIGATOR}))
        logins[username] = DemoLogin(org.name, username, ["investigator"], password, "")
        orgs[who], users[who] = org.id, username
    share_a = ShareRule(orgs=frozenset({orgs["A"]}))
    b = node.investigations_for(investigator(node, orgs["B"]))
    beach = b.create_series(
        f"Beach {tag}",
        icse_name=f"ICSE-BEACH-{tag}",
        contact_point=B_CONTACT,
        policy=DisclosurePolicy({Disclose.READ: share_a, Disclose.CONTACT: share_a}),
    )
    b_hashes = [secrets.token_hex(32) for _ in range(2)]
    b.add_items(beach.id, [NewItem((parse_signal("pdq", h, 100),)) for h in b_hashes])
    victim = b.add_victim(beach.id, f"DE-2026-{tag}", age_band="prepubescent", status=VictimStatus.IDENTIFIED)
    c = node.investigations_for(investigator(node, orgs["C"]))
    garden = c.create_series(f"Garden {tag}", contact_point=C_CONTACT)
    c_hashes = [secrets.token_hex(32) for _ in range(2)]
    c.add_items(garden.id, [NewItem((parse_signal("pdq", h, 100),)) for h in c_hashes])
    return Police(logins, orgs, users, beach.id, garden.id, victim.id, victim.identifier, b_hashes, c_hashes)
