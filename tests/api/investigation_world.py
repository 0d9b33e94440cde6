"""Series, victims, cases and notifications of the *own* organisation, for the authorisation matrix.

Made through the services as one of the own organisation's investigators, outside the requests under
test; nothing is shared (the default policy), so another organisation's police see none of it."""

from __future__ import annotations

from itertools import count
from typing import Any

from alliance.core.access import Principal, Role
from alliance.core.investigations import NewItem
from alliance.core.signals import Signal
from alliance.services.investigations import InvestigationService
from tests.api.conftest import World

INVESTIGATORS = frozenset({Role.INVESTIGATOR})
_numbers = count(1)


def service(w: World) -> InvestigationService:
    org = w.own
    return w.node.investigations_for(
        Principal(org.id, org.name, org.country, frozenset({Role.INVESTIGATOR}), name="setup", person="setup")
    )


def n() -> int:
    return next(_numbers)


def series(w: World) -> int:
    """A series of the own organisation with one item and one victim (made once per world)."""
    if "series" not in w.__dict__:
        s = service(w)
        made = s.create_series(f"matrix-{n()}")
        s.add_items(made.id, [NewItem((Signal("md5", format(n(), "032x")),))])
        w.__dict__["victim"] = s.add_victim(made.id, f"GB-{n()}").id
        w.__dict__["series"] = made.id
    return int(w.__dict__["series"])


def fresh_series(w: World) -> int:
    return service(w).create_series(f"matrix-{n()}").id


def victim(w: World) -> int:
    series(w)
    return int(w.__dict__["victim"])


def case(w: World) -> int:
    if "case" not in w.__dict__:
        w.__dict__["case"] = fresh_case(w)
    return int(w.__dict__["case"])


def fresh_case(w: World) -> int:
    return service(w).open_case(f"GB-{n()}").id


def notification(w: World) -> int:
    note = w.node.notifier.notify(
        service(w).actor, w.own.id, "series_hit", "a case hit your series", "no hashes here", {}, None
    )
    return note.id


def items() -> dict[str, Any]:
    return {"items": [{"signals": [{"type": "md5", "value": format(n(), "032x")}]}]}
