import hashlib
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from alliance.core.access import SYSTEM, OrgKind, Role, Scope
from alliance.core.errors import AuthenticationFailed, Conflict, InvalidRequest, NotFound
from alliance.node import Node
from alliance.services.accounts import AccountService
from alliance.services.audit import AuditLog
from alliance.settings import Settings
from alliance.store.accounts import AccountStore
from alliance.store.models import ApiKeyRow, SessionRow


@pytest.fixture
def accounts(engine: Engine, audit: AuditLog) -> AccountService:
    return AccountService(AccountStore(engine), audit)


@pytest.fixture
def org(accounts: AccountService):
    # A national centre that the node admin lets hold every role but node_admin.
    return accounts.create_organisation(
        SYSTEM, "UK Hotline", "gb", OrgKind.HOTLINE, frozenset(Role) - {Role.NODE_ADMIN}
    )


def test_key_is_shown_once_and_authenticates(accounts: AccountService, org, engine: Engine):
    issued = accounts.create_key(SYSTEM, org.id, "uploads", frozenset({Role.PLATFORM}), frozenset({Scope.MATCH}))
    assert issued.token.startswith(f"alk_{issued.key.prefix}_")
    secret = issued.token.split("_", 2)[2]
    assert len(secret) >= 32 and secret not in issued.key.secret_hash
    principal = accounts.authenticate_key(issued.token)
    assert (principal.org_id, principal.roles, principal.scopes) == (org.id, {Role.PLATFORM}, {Scope.MATCH})
    for bad in ("", "alk_x", issued.token + "x", f"alk_{issued.key.prefix}_wrong", "Bearer " + issued.token):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate_key(bad)


def test_a_secret_with_underscores_authenticates(accounts: AccountService, org, monkeypatch):
    """token_urlsafe may put "_" anywhere in the secret, even first: only the first two split the token."""
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: "_a_b__c-")
    issued = accounts.create_key(SYSTEM, org.id, "uploads", frozenset({Role.PLATFORM}), frozenset({Scope.MATCH}))
    assert issued.token == f"alk_{issued.key.prefix}__a_b__c-"
    assert accounts.authenticate_key(issued.token).org_id == org.id
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate_key(f"alk_{issued.key.prefix}_a_b__c-")


def test_revoked_and_expired_keys_fail(accounts: AccountService, org, engine: Engine):
    revoked = accounts.create_key(SYSTEM, org.id, "old", frozenset({Role.PLATFORM}))
    accounts.revoke_key(SYSTEM, revoked.key.id)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        accounts.authenticate_key(revoked.token)
    expiring = accounts.create_key(SYSTEM, org.id, "soon", frozenset({Role.PLATFORM}), expires_in_days=1)
    with engine.begin() as connection:
        connection.execute(
            update(ApiKeyRow).where(ApiKeyRow.id == expiring.key.id).values(expires_at=datetime.now(UTC) - timedelta(1))
        )
    with pytest.raises(AuthenticationFailed, match="expired"):
        accounts.authenticate_key(expiring.token)


def test_login_session_and_logout(accounts: AccountService, org):
    accounts.create_user(SYSTEM, org.id, "ana", "correct horse battery", frozenset({Role.ANALYST}))
    with pytest.raises(AuthenticationFailed):
        accounts.login("ana", "wrong password!!")
    with pytest.raises(AuthenticationFailed):
        accounts.login("nobody", "correct horse battery")
    issued = accounts.login("ana", "correct horse battery")
    principal, csrf = accounts.session(issued.token)
    assert principal.user_id is not None and principal.roles == {Role.ANALYST}
    assert accounts.csrf_matches(csrf, issued.csrf_token) and not accounts.csrf_matches(csrf, csrf)
    accounts.logout(issued.token)
    with pytest.raises(AuthenticationFailed):
        accounts.session(issued.token)


@pytest.mark.parametrize("taken, asked", [("ana", "Ana"), ("Ana", "ANA"), ("straße", "STRASSE"), ("ﬁona", "FIONA")])
def test_a_name_that_differs_only_in_case_is_the_same_account(accounts: AccountService, org, taken, asked):
    """Nobody can pass as "ana" in the audit log or a user list as "Ana"; and "ANA" logs in as ana."""
    accounts.create_user(SYSTEM, org.id, taken, "correct horse battery", frozenset({Role.ANALYST}))
    with pytest.raises(Conflict, match="more than case"):
        accounts.create_user(SYSTEM, org.id, asked, "another horse battery", frozenset({Role.ANALYST}))
    issued = accounts.login(asked, "correct horse battery")
    principal, _ = accounts.session(issued.token)
    assert principal.name == unicodedata.normalize("NFKC", taken)
    with pytest.raises(AuthenticationFailed):
        accounts.login(asked, "another horse battery")


def test_the_store_keeps_a_hash_of_the_csrf_token_not_the_token(accounts: AccountService, org, engine: Engine):
    accounts.create_user(SYSTEM, org.id, "ana", "correct horse battery", frozenset({Role.ANALYST}))
    issued = accounts.login("ana", "correct horse battery")
    with engine.connect() as connection:
        [stored] = connection.execute(select(SessionRow.csrf_token)).scalars()
    assert stored != issued.csrf_token and issued.csrf_token not in stored
    assert stored == hashlib.sha256(issued.csrf_token.encode()).hexdigest()


def test_expired_sessions_are_purged_at_the_next_login(accounts: AccountService, org, engine: Engine):
    accounts.create_user(SYSTEM, org.id, "ana", "correct horse battery", frozenset({Role.ANALYST}))
    old, live = (accounts.login("ana", "correct horse battery") for _ in range(2))
    with engine.begin() as connection:
        expired = datetime.now(UTC) - timedelta(minutes=1)
        mine = SessionRow.token_hash == hashlib.sha256(old.token.encode()).hexdigest()
        connection.execute(update(SessionRow).where(mine).values(expires_at=expired))
    accounts.login("ana", "correct horse battery")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(SessionRow)).scalar() == 2  # live and the new one
    accounts.session(live.token)
    with pytest.raises(AuthenticationFailed):
        accounts.session(old.token)


def test_org_admins_manage_only_their_own_org(accounts: AccountService, org):
    other = accounts.create_organisation(SYSTEM, "DE Police", "DE", OrgKind.LAW_ENFORCEMENT)
    admin = accounts.create_user(
        SYSTEM, org.id, "boss", "a long enough password", frozenset({Role.ORG_ADMIN, Role.ANALYST})
    )
    principal, _ = accounts.session(accounts.login("boss", "a long enough password").token)
    assert admin.org.id == org.id
    accounts.create_key(principal, org.id, "mine", frozenset({Role.ANALYST}))
    with pytest.raises(NotFound):
        accounts.create_key(principal, other.id, "theirs", frozenset({Role.ANALYST}))
    with pytest.raises(InvalidRequest, match="may not grant the role node_admin"):
        accounts.create_user(principal, org.id, "root", "a long enough password", frozenset({Role.NODE_ADMIN}))
    with pytest.raises(NotFound):
        accounts.create_organisation(principal, "Mine", "GB", OrgKind.HOTLINE)
    assert [o.id for o in accounts.organisations(principal)] == [org.id]


def test_bad_input(accounts: AccountService, org):
    with pytest.raises(InvalidRequest, match="12 characters"):
        accounts.create_user(SYSTEM, org.id, "x", "short", frozenset({Role.ANALYST}))
    with pytest.raises(InvalidRequest, match="ISO 3166"):
        accounts.create_organisation(SYSTEM, "Somewhere", "Germany", OrgKind.HOTLINE)
    with pytest.raises(Conflict):
        accounts.create_organisation(SYSTEM, "UK Hotline", "GB", OrgKind.HOTLINE)
    with pytest.raises(InvalidRequest, match="at least one role"):
        accounts.create_key(SYSTEM, org.id, "none", frozenset())
    with pytest.raises(NotFound):
        accounts.revoke_key(SYSTEM, 9999)


def test_refusals_are_audited(accounts: AccountService, org, audit: AuditLog):
    accounts.create_user(SYSTEM, org.id, "plat", "a long enough password", frozenset({Role.PLATFORM}))
    principal, _ = accounts.session(accounts.login("plat", "a long enough password").token)
    with pytest.raises(NotFound):
        accounts.create_key(principal, org.id, "k", frozenset({Role.PLATFORM}))
    last = audit.store.events()[-1]
    assert (last.record.action, last.record.outcome, last.record.actor) == ("key.create", "refused", "user:plat")


def test_a_secret_with_underscores_still_authenticates(accounts: AccountService, org, monkeypatch):
    import alliance.services.accounts as module

    monkeypatch.setattr(module.secrets, "token_urlsafe", lambda n: "a_b_c" + "x" * 38)
    issued = accounts.create_key(SYSTEM, org.id, "k", frozenset({Role.PLATFORM}))
    assert accounts.authenticate_key(issued.token).key_id == issued.key.id


def test_users_and_keys_need_an_existing_organisation(accounts: AccountService):
    with pytest.raises(NotFound):
        accounts.create_key(SYSTEM, 2**63 - 1, "k", frozenset({Role.PLATFORM}))
    with pytest.raises(NotFound):
        accounts.create_user(SYSTEM, 424242, "ghost", "a long enough password", frozenset({Role.ANALYST}))


def test_a_key_needs_a_scope(accounts: AccountService, org):
    with pytest.raises(InvalidRequest, match="at least one scope"):
        accounts.create_key(SYSTEM, org.id, "k", frozenset({Role.PLATFORM}), frozenset())


def test_a_key_revoked_on_another_replica_is_refused_after_the_next_replay(engine: Engine, tmp_path):
    """Two nodes on one store, each trusting a looked-up key for a minute: the revocation reaches the
    other through the change log, at its next replay, not when its cache expires."""
    url = engine.url.render_as_string(hide_password=False)
    here, there = (
        Node(Settings(home=tmp_path / name, database_url=url), refresh_interval=None, key_cache_seconds=60)
        for name in ("here", "there")
    )
    org_ = here.accounts.create_organisation(SYSTEM, "Replica Org", "GB", OrgKind.PLATFORM)
    token = here.accounts.create_key(SYSTEM, org_.id, "k", frozenset({Role.PLATFORM})).token
    assert there.matcher.index.status().size == 0  # its index and change log, as a server holds them
    assert there.accounts.authenticate_key(token).org_id == org_.id  # now cached there
    here.accounts.revoke_key(SYSTEM, here.accounts.authenticate_key(token).key_id)
    assert there.accounts.authenticate_key(token).org_id == org_.id  # still cached: nothing replayed yet
    there.matcher.index.refresh()
    with pytest.raises(AuthenticationFailed):
        there.accounts.authenticate_key(token)
    assert there.matcher.index.status().size == 0  # a revocation is no change to what can match
    here.close()
    there.close()


def test_a_key_read_while_the_cache_is_being_forgotten_is_not_cached(engine: Engine, tmp_path):
    """A lookup that began before a revocation was replayed must not put the old key back."""
    node = Node(Settings(home=tmp_path / "home", database_url=engine.url.render_as_string(hide_password=False)))
    accounts = AccountService(node.accounts.store, node.audit, key_cache_seconds=60)
    org_ = accounts.create_organisation(SYSTEM, "Race Org", "GB", OrgKind.PLATFORM)
    token = accounts.create_key(SYSTEM, org_.id, "k", frozenset({Role.PLATFORM})).token
    lookups: list[str] = []
    real = accounts.store.key_by_prefix

    def slow_lookup(prefix: str):
        key = real(prefix)
        lookups.append(prefix)
        if len(lookups) == 1:
            accounts.forget_cached_keys()  # a replay lands while the first lookup is on its way
        return key

    accounts.store.key_by_prefix = slow_lookup  # type: ignore[method-assign]
    accounts.authenticate_key(token)
    accounts.authenticate_key(token)  # not cached by the first: asks the store again
    accounts.authenticate_key(token)  # cached by the second
    assert len(lookups) == 2
    node.close()


def test_an_organisation_cannot_give_itself_police_powers(accounts: AccountService):
    hotline = accounts.create_organisation(SYSTEM, "Hotline", "GB", OrgKind.HOTLINE)
    accounts.create_user(
        SYSTEM, hotline.id, "head", "a long enough password", frozenset({Role.ORG_ADMIN, Role.ANALYST})
    )
    head, _ = accounts.session(accounts.login("head", "a long enough password").token)
    for role in (Role.INVESTIGATOR, Role.SECRETARIAT, Role.PLATFORM, Role.NODE_ADMIN):
        with pytest.raises(InvalidRequest, match=f"role {role.value}"):
            accounts.create_key(head, hotline.id, "k", frozenset({role}))
        with pytest.raises(InvalidRequest, match=f"role {role.value}"):
            accounts.create_user(head, hotline.id, f"x-{role.value}", "a long enough password", frozenset({role}))
    with pytest.raises(InvalidRequest, match="role auditor"):  # the kind allows it, but the head does not hold it
        accounts.create_user(head, hotline.id, "aud", "a long enough password", frozenset({Role.AUDITOR}))
    with pytest.raises(InvalidRequest, match="role investigator"):  # nor may the node admin, outside the kind
        accounts.create_user(SYSTEM, hotline.id, "cop", "a long enough password", frozenset({Role.INVESTIGATOR}))
    refusals = [e for e in accounts.audit.store.events() if e.record.outcome == "refused"]
    assert len(refusals) == 10 and all("beyond" in e.record.details for e in refusals)
    # the node admin may let it hold more (a national centre), and then it may grant it
    accounts.update_organisation(
        SYSTEM, hotline.id, allowed_roles=frozenset({Role.ORG_ADMIN, Role.ANALYST, Role.INVESTIGATOR})
    )
    accounts.create_user(SYSTEM, hotline.id, "cop", "a long enough password", frozenset({Role.INVESTIGATOR}))
    with pytest.raises(InvalidRequest, match="hold the role investigator"):  # cannot take away what people hold
        accounts.update_organisation(SYSTEM, hotline.id, kind=OrgKind.HOTLINE)


def test_a_key_never_has_more_scopes_than_its_creator(accounts: AccountService, org):
    admin_only = accounts.create_key(SYSTEM, org.id, "admin", frozenset({Role.ORG_ADMIN}), frozenset({Scope.ADMIN}))
    creator = accounts.authenticate_key(admin_only.token)
    with pytest.raises(InvalidRequest, match="scope"):
        accounts.create_key(creator, org.id, "wider", frozenset({Role.ORG_ADMIN}))  # every scope by default
    narrow = accounts.create_key(creator, org.id, "same", frozenset({Role.ORG_ADMIN}), frozenset({Scope.ADMIN}))
    assert narrow.key.scopes == {Scope.ADMIN}


def test_a_key_acts_for_the_person_who_made_it(accounts: AccountService, org):
    accounts.create_user(SYSTEM, org.id, "ana", "a long enough password", frozenset({Role.ORG_ADMIN, Role.ANALYST}))
    ana, _ = accounts.session(accounts.login("ana", "a long enough password").token)
    issued = accounts.create_key(ana, org.id, "laptop", frozenset({Role.ANALYST}))
    assert issued.key.user == "ana"
    assert accounts.authenticate_key(issued.token).person == "ana"
    with pytest.raises(InvalidRequest, match="acts for you"):
        accounts.create_key(ana, org.id, "other", frozenset({Role.ANALYST}), for_user="someone")
    machine = accounts.create_key(SYSTEM, org.id, "uploads", frozenset({Role.PLATFORM}))
    assert machine.key.user is None and accounts.authenticate_key(machine.token).person is None
    with pytest.raises(InvalidRequest, match="role platform"):  # a key for ana holds no more than ana
        accounts.create_key(SYSTEM, org.id, "x", frozenset({Role.PLATFORM}), for_user="ana")
