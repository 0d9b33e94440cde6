"""Seed data shipped with the package: the Alliance's targets, members, conferences and secretariat.

`members.json` is the one place these facts are written down; `load_facts()` reads it. The store
copies it (idempotently) with `alliance alliance seed`, so that the secretariat can record what
happens after it (handovers, new members) in the store.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from alliance.core.record.members import AllianceFacts, parse_facts

SEED_FILE = "members.json"


@cache
def load_facts() -> AllianceFacts:
    text = (resources.files(__package__) / SEED_FILE).read_text(encoding="utf-8")
    return parse_facts(json.loads(text))
