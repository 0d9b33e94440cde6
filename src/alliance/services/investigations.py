"""Series, victims and cases, for one principal: only police see them, each as its owner shares it.

Every operation asks `core.investigations` first. What the principal may not see answers
`NotFound` (404, never 403), and every read, write and refusal is an audit event. Deconfliction
(a case's intake) is `services.deconfliction`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from alliance.core.access import Principal, Scope
from alliance.core.errors import InvalidRequest, NotFound
from alliance.core.investigations import (
    SEXES,
    VICTIM_AGE_BANDS,
    Case,
    CaseStatus,
    Disclose,
    DisclosurePolicy,
    Item,
    LinkKind,
    NewItem,
    Series,
    SeriesLink,
    Victim,
    VictimStatus,
    check_choice,
    check_identifier,
    check_label,
    check_pseudonymous,
    check_victim_fields,
    is_investigator,
    may_change,
    may_see,
    refuse_identifying_fields,
)
from alliance.services.audit import AuditLog
from alliance.store.investigations import InvestigationStore


def _email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if "@" not in text or any(c.isspace() for c in text) or len(text) > 320:
        raise InvalidRequest(f"contact_email {value!r} is not an e-mail address")
    return text


class InvestigationService:
    def __init__(self, store: InvestigationStore, audit: AuditLog, actor: Principal) -> None:
        self.store = store
        self.audit = audit
        self.actor = actor

    def refuse(self, action: str, target: str, subject_org_id: int | None = None) -> NoReturn:
        self.audit.record(self.actor, action, target, "refused", subject_org_id=subject_org_id)
        raise NotFound("no such resource")

    # --- series --------------------------------------------------------------------------------

    def create_series(
        self,
        name: str,
        *,
        description: str = "",
        icse_name: str | None = None,
        vics_series: str | None = None,
        contact_point: str = "",
        contact_email: str | None = None,
        active: bool = True,
        policy: DisclosurePolicy | None = None,
    ) -> Series:
        if not may_change(self.actor, self.actor.org_id):
            self.refuse("series.create", f"series:{name[:80]}")
        series = self.store.create_series(
            self.actor.org_id,
            check_label("name", name),
            description=check_pseudonymous("description", check_label("description", description, 4000, False)),
            icse_name=check_label("icse_name", icse_name, required=False) or None if icse_name else None,
            vics_series=check_label("vics_series", vics_series, required=False) or None if vics_series else None,
            contact_point=check_label("contact_point", contact_point, 500, False),
            contact_email=_email(contact_email),
            active=active,
            policy=(policy or DisclosurePolicy()).to_json(),
        )
        self.audit.record(
            self.actor,
            "series.create",
            f"series:{series.id}",
            subject_org_id=series.owner_id,
            details={"name": series.name, "policy": series.policy.to_json()},
        )
        return series

    def _series(self, series_id: int, action: str, level: Disclose = Disclose.READ) -> Series:
        try:
            series = self.store.get_series(series_id)
        except NotFound:
            self.audit.record(self.actor, action, f"series:{series_id}", "not_found")
            raise
        if not may_see(self.actor, series.owner_id, series.policy, level):
            self.refuse(action, f"series:{series_id}", series.owner_id)
        return series

    def _own_series(self, series_id: int, action: str) -> Series:
        series = self._series(series_id, action)
        if not may_change(self.actor, series.owner_id):
            self.refuse(action, f"series:{series_id}", series.owner_id)
        return series

    def get_series(self, series_id: int) -> Series:
        series = self._series(series_id, "series.read")
        self.audit.record(self.actor, "series.read", f"series:{series_id}", subject_org_id=series.owner_id)
        return series

    def may_contact(self, series: Series) -> bool:
        return may_see(self.actor, series.owner_id, series.policy, Disclose.CONTACT)

    def list_series(self) -> list[Series]:
        if not is_investigator(self.actor):
            self.refuse("series.list", "series")
        found = [s for s in self.store.list_series() if may_see(self.actor, s.owner_id, s.policy, Disclose.READ)]
        self.audit.record(self.actor, "series.list", "series", details={"count": len(found)})
        return found

    def update_series(self, series_id: int, **changes: Any) -> Series:
        series = self._own_series(series_id, "series.update")
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if value is None:
                continue
            if key == "policy":
                clean[key] = value.to_json()
            elif key == "contact_email":
                clean[key] = _email(value)
            elif key == "active":
                clean[key] = bool(value)
            elif key in ("description",):
                clean[key] = check_pseudonymous(key, check_label(key, value, 4000, False))
            elif key in ("name", "icse_name", "vics_series", "contact_point"):
                clean[key] = check_label(key, value, 500, key == "name")
            else:
                raise InvalidRequest(f"a series has no field {key!r}")
        updated = self.store.update_series(series_id, **clean)
        self.audit.record(
            self.actor,
            "series.update",
            f"series:{series_id}",
            subject_org_id=series.owner_id,
            details={k: v for k, v in clean.items()},
        )
        return updated

    def add_items(self, series_id: int, items: Sequence[NewItem]) -> int:
        series = self._own_series(series_id, "series.items.add")
        for number, item in enumerate(items, start=1):
            if not item.signals:
                raise InvalidRequest(f"item {number} has no hash")
            if item.flags.submissions < 0:
                raise InvalidRequest(f"item {number}: number of submissions cannot be negative")
        ids = self.store.add_items(items, series_id=series_id)
        self.audit.record(
            self.actor,
            "series.items.add",
            f"series:{series_id}",
            subject_org_id=series.owner_id,
            details={"count": len(ids)},
        )
        return len(ids)

    def items(self, series_id: int) -> list[Item]:
        series = self._series(series_id, "series.items.read")
        found = list(self.store.items_of(series_id=series_id))
        self.audit.record(
            self.actor,
            "series.items.read",
            f"series:{series_id}",
            subject_org_id=series.owner_id,
            details={"count": len(found)},
        )
        return found

    def link(self, series_id: int, other_id: int, kind: LinkKind) -> SeriesLink:
        """Link one's own series to another one may see ("same victim", "same place")."""
        if series_id == other_id:
            raise InvalidRequest("a series cannot be linked to itself")
        series = self._own_series(series_id, "series.link")
        other = self._series(other_id, "series.link")
        link = self.store.link_series(series.id, other.id, kind, self.actor.org_id)
        self.audit.record(
            self.actor,
            "series.link",
            f"series:{series_id}",
            subject_org_id=other.owner_id,
            details={"other": other_id, "kind": kind.value},
        )
        return link

    def links(self, series_id: int) -> list[SeriesLink]:
        """Links of a series to series the principal may see too."""
        self._series(series_id, "series.read")
        links = self.store.links(series_id)
        others = self.store.series_many(
            [lk.other_series_id if lk.series_id == series_id else lk.series_id for lk in links]
        )
        return [
            lk
            for lk in links
            if (o := others.get(lk.other_series_id if lk.series_id == series_id else lk.series_id)) is not None
            and may_see(self.actor, o.owner_id, o.policy, Disclose.READ)
        ]

    # --- victims -------------------------------------------------------------------------------

    def add_victim(
        self,
        series_id: int,
        identifier: str,
        *,
        age_band: str = "unknown",
        sex: str = "unknown",
        status: VictimStatus = VictimStatus.UNIDENTIFIED,
        identified_country: str | None = None,
        identified_at: datetime | None = None,
        **other: Any,
    ) -> Victim:
        """A pseudonymous victim record; any other field (a name, an address, ...) is refused by name."""
        refuse_identifying_fields(other)
        if other:
            raise InvalidRequest(f"a victim record has no field {sorted(other)[0]!r}")
        series = self._own_series(series_id, "victim.create")
        check_victim_fields(identifier, age_band, sex, status, identified_country)
        fields = self._identification(status, identified_country, identified_at)
        victim = self.store.add_victim(
            series_id, check_identifier(identifier), age_band=age_band, sex=sex, status=status.value, **fields
        )
        self.audit.record(
            self.actor,
            "victim.create",
            f"victim:{victim.id}",
            subject_org_id=series.owner_id,
            details={"series": series_id, "status": status.value},
        )
        return victim

    def _identification(self, status: VictimStatus, country: str | None, at: datetime | None) -> dict[str, Any]:
        if status is VictimStatus.UNIDENTIFIED:
            return {"identified_by_org_id": None, "identified_country": None, "identified_at": None}
        code = (country or self.actor.country).strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise InvalidRequest(f"identified_country {country!r} is not an ISO 3166 alpha-2 code")
        return {
            "identified_by_org_id": self.actor.org_id,
            "identified_country": code,
            "identified_at": at or datetime.now(UTC),
        }

    def update_victim(self, victim_id: int, **changes: Any) -> Victim:
        refuse_identifying_fields(changes)
        try:
            victim = self.store.get_victim(victim_id)
        except NotFound:
            self.audit.record(self.actor, "victim.update", f"victim:{victim_id}", "not_found")
            raise
        try:
            series = self._own_series(victim.series_id, "victim.update")
        except NotFound:
            raise NotFound(f"no victim with id {victim_id}") from None
        clean: dict[str, Any] = {}
        if changes.get("age_band") is not None:
            clean["age_band"] = check_choice("age_band", changes["age_band"], VICTIM_AGE_BANDS)
        if changes.get("sex") is not None:
            clean["sex"] = check_choice("sex", changes["sex"], SEXES)
        status = changes.get("status")
        if status is not None:
            status = VictimStatus(status)
            clean["status"] = status.value
            if status is VictimStatus.UNIDENTIFIED or victim.status is VictimStatus.UNIDENTIFIED:
                clean |= self._identification(status, changes.get("identified_country"), changes.get("identified_at"))
        unknown = set(changes) - {"age_band", "sex", "status", "identified_country", "identified_at"}
        if unknown:
            raise InvalidRequest(f"a victim record has no field {sorted(unknown)[0]!r}")
        updated = self.store.update_victim(victim_id, **clean)
        self.audit.record(
            self.actor,
            "victim.update",
            f"victim:{victim_id}",
            subject_org_id=series.owner_id,
            details={k: str(v) for k, v in clean.items()},
        )
        return updated

    def victims(self, series_id: int) -> list[Victim]:
        series = self._series(series_id, "victim.read")
        found = self.store.victims_of([series_id])
        self.audit.record(
            self.actor,
            "victim.read",
            f"series:{series_id}",
            subject_org_id=series.owner_id,
            details={"count": len(found)},
        )
        return found

    # --- cases ---------------------------------------------------------------------------------

    def open_case(
        self,
        case_number: str,
        *,
        contact_point: str = "",
        contact_email: str | None = None,
        policy: DisclosurePolicy | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Case:
        if not may_change(self.actor, self.actor.org_id):
            self.refuse("case.create", f"case:{case_number[:80]}")
        case = self.store.create_case(
            self.actor.org_id,
            check_label("case_number", case_number),
            contact_point=check_label("contact_point", contact_point, 500, False),
            contact_email=_email(contact_email),
            policy=(policy or DisclosurePolicy()).to_json(),
            extra=extra or {},
        )
        self.audit.record(
            self.actor, "case.create", f"case:{case.id}", subject_org_id=case.owner_id, details={"number": case_number}
        )
        return case

    def case(self, case_id: int, action: str = "case.read", scope: Scope = Scope.READ) -> Case:
        """One of the principal's own agency's cases; anyone else's does not exist for it."""
        try:
            case = self.store.get_case(case_id)
        except NotFound:
            self.audit.record(self.actor, action, f"case:{case_id}", "not_found")
            raise
        if not is_investigator(self.actor, scope) or case.owner_id != self.actor.org_id:
            self.audit.record(self.actor, action, f"case:{case_id}", "refused", subject_org_id=case.owner_id)
            raise NotFound(f"no case with id {case_id}")
        return case

    def get_case(self, case_id: int) -> Case:
        case = self.case(case_id)
        self.audit.record(self.actor, "case.read", f"case:{case_id}", subject_org_id=case.owner_id)
        return case

    def list_cases(self) -> list[Case]:
        if not is_investigator(self.actor):
            self.refuse("case.list", "cases")
        cases = self.store.list_cases(self.actor.org_id)
        self.audit.record(self.actor, "case.list", "cases", details={"count": len(cases)})
        return cases

    def close_case(self, case_id: int) -> Case:
        case = self.case(case_id, "case.close", Scope.WRITE)
        if case.status is CaseStatus.CLOSED:
            raise InvalidRequest(f"case {case.case_number} is closed already")
        closed = self.store.update_case(case_id, status=CaseStatus.CLOSED.value, closed_at=datetime.now(UTC))
        self.audit.record(self.actor, "case.close", f"case:{case_id}", subject_org_id=case.owner_id)
        return closed

    def case_items(self, case_id: int) -> tuple[Case, list[Item], dict[str, Any]]:
        """The case, its items, and the fields of the file it came from (for an export)."""
        case = self.case(case_id, "case.export")
        items = list(self.store.items_of(case_id=case_id))
        self.audit.record(
            self.actor, "case.export", f"case:{case_id}", subject_org_id=case.owner_id, details={"count": len(items)}
        )
        return case, items, self.store.case_extra(case_id)
