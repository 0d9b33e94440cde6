"""Bank work as different principals: what the sharing policy lets each do, and the audit trail."""

from pathlib import Path

import pytest

from alliance.core.access import ALL_SCOPES, BankAction, Principal, Role, ShareRule, SharingPolicy
from alliance.core.errors import NotFound
from alliance.core.media.hashing import hash_image
from alliance.services.audit import AuditLog
from alliance.services.banks import BankService
from alliance.services.hashing import hash_files
from alliance.services.matching import Matcher, MatchService


@pytest.fixture
def orgs(banks: BankService):
    store = banks.store
    return store.ensure_organisation("UK Hotline", "GB"), store.ensure_organisation("DE Platform", "DE")


def as_(banks: BankService, org, *roles: Role) -> BankService:
    principal = Principal(org.id, org.name, org.country, frozenset(roles), ALL_SCOPES, user_id=1, name="u")
    return BankService(banks.store, banks.settings, banks.audit, principal)


def test_private_bank_is_invisible_to_others(banks: BankService, orgs, photos: list[Path]):
    uk, de = orgs
    analyst = as_(banks, uk, Role.ANALYST)
    analyst.create_bank("uk-known")
    analyst.add_files("uk-known", list(hash_files(photos[:2])))
    outsider = as_(banks, de, Role.ANALYST)
    assert outsider.list_banks() == []
    for attempt in (
        lambda: outsider.get_bank("uk-known"),
        lambda: outsider.entries("uk-known"),
        lambda: outsider.add_files("uk-known", list(hash_files(photos[2:3]))),
        lambda: outsider.retire_entry(1, "x"),
        lambda: outsider.get_entry(1),
        lambda: outsider.update_bank("uk-known", description="mine now"),
    ):
        with pytest.raises(NotFound):
            attempt()
    with pytest.raises(NotFound):
        outsider.get_bank("no-such-bank")  # the same answer as for a bank that exists


def test_shared_match_lets_platforms_match_but_not_read(banks: BankService, orgs, photos, store):
    uk, de = orgs
    analyst = as_(banks, uk, Role.ANALYST)
    analyst.create_bank("uk-known", policy=SharingPolicy({BankAction.MATCH: ShareRule(countries=frozenset({"DE"}))}))
    analyst.add_files("uk-known", list(hash_files(photos[:2])))
    platform = as_(banks, de, Role.PLATFORM)
    assert [b.name for b in platform.list_banks()] == ["uk-known"]
    with pytest.raises(NotFound):
        platform.entries("uk-known")
    service = MatchService(Matcher(store), banks.audit, platform.actor)
    matches = service.match(list(hash_image(photos[0].read_bytes()).signals))
    assert {m.bank for m in matches} == {"uk-known"}
    french = as_(banks, banks.store.ensure_organisation("FR Platform", "FR"), Role.PLATFORM)
    assert (
        MatchService(Matcher(store), banks.audit, french.actor).match(list(hash_image(photos[0].read_bytes()).signals))
        == []
    )
    with pytest.raises(NotFound):
        MatchService(Matcher(store), banks.audit, french.actor).match([], banks=["uk-known"])


def test_every_read_write_and_refusal_is_audited(banks: BankService, orgs, photos, audit: AuditLog):
    uk, de = orgs
    analyst = as_(banks, uk, Role.ANALYST)
    analyst.create_bank("uk-known")
    analyst.add_files("uk-known", list(hash_files(photos[:1])))
    analyst.entries("uk-known")
    with pytest.raises(NotFound):
        as_(banks, de, Role.ANALYST).entries("uk-known")
    trail = [(e.record.action, e.record.outcome, e.record.org_id) for e in audit.store.events()]
    assert trail == [
        ("bank.create", "ok", uk.id),
        ("entries.add", "ok", uk.id),
        ("entries.read", "ok", uk.id),
        ("entries.read", "refused", de.id),
    ]
    assert audit.verify()[2] == []
