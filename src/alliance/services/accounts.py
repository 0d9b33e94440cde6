"""Organisations, users, API keys and sessions: who can call the node, and proving it.

API keys look like `alk_<prefix>_<secret>`: the prefix finds the key, a SHA-256 of the secret
checks it (keys are long and random, so a fast hash is safe and keeps every request cheap).
Passwords are hashed with argon2. Keys, session tokens and CSRF tokens are shown once and never
stored, only their SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from alliance.core.access import (
    ALL_SCOPES,
    BANK_CREATORS,
    OrgKind,
    Principal,
    Role,
    Scope,
    allowed_roles_for,
    grantable_roles,
    grantable_scopes,
    may_administer_org,
)
from alliance.core.banks import Organisation
from alliance.core.errors import AuthenticationFailed, InvalidRequest, NotFound
from alliance.core.names import check_key_name, check_username
from alliance.services.audit import AuditLog
from alliance.store.accounts import AccountStore, ApiKey, User

KEY_PREFIX = "alk"
SESSION_LIFETIME = timedelta(hours=12)
MAX_GRACE_HOURS = 168
"""How long a rotated key's old secret may stay valid: a week, for callers deployed weekly."""
_passwords = PasswordHasher()
_DUMMY_HASH = _passwords.hash("not a real password")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    token: str  # shown once


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    csrf_token: str
    principal: Principal
    expires_at: datetime
    must_change_password: bool = False  # the session may only change the password until it does


@dataclass(frozen=True, slots=True)
class LiveSession:
    principal: Principal
    csrf_hash: str
    must_change_password: bool


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _split_key(token: str) -> tuple[str, str]:
    parts = token.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise AuthenticationFailed("malformed API key")
    return parts[1], parts[2]


def _secret_matches(key: ApiKey, secret: str) -> bool:
    """The key's secret, or the one it had before a rotation while its grace period lasts."""
    digest = _sha256(secret)
    if hmac.compare_digest(key.secret_hash, digest):
        return True
    return (
        key.previous_secret_hash is not None
        and key.previous_valid_until is not None
        and key.previous_valid_until > datetime.now(UTC)
        and hmac.compare_digest(key.previous_secret_hash, digest)
    )


def _checked(key: ApiKey | None, secret: str) -> Principal:
    if key is None or not _secret_matches(key, secret):
        raise AuthenticationFailed("unknown API key")
    if key.revoked_at is not None:
        raise AuthenticationFailed("this API key was revoked")
    if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
        raise AuthenticationFailed("this API key has expired")
    if key.user_disabled:
        raise AuthenticationFailed("the user this API key acts for is disabled")
    return key_principal(key)


def _check_password(password: str) -> None:
    if len(password) < 12:
        raise InvalidRequest("a password needs at least 12 characters")


def user_principal(user: User) -> Principal:
    return Principal(
        user.org.id,
        user.org.name,
        user.org.country,
        user.roles,
        ALL_SCOPES,
        user_id=user.id,
        name=user.username,
        person=user.username,
    )


def key_principal(key: ApiKey) -> Principal:
    return Principal(
        key.org.id,
        key.org.name,
        key.org.country,
        key.roles,
        key.scopes,
        key_id=key.id,
        name=f"{key.prefix} ({key.name})",
        person=key.user,
    )


class AccountService:
    def __init__(self, store: AccountStore, audit: AuditLog, key_cache_seconds: float = 0.0) -> None:
        """`key_cache_seconds`: how long a looked-up key is trusted without asking the store again.

        A server sets a few seconds, so a request does not cost a query; a key revoked through
        this process is dropped from the cache at once; one revoked elsewhere when this node replays the
        change log (`forget_cached_keys`), or at the latest within that time.
        """
        self.store = store
        self.audit = audit
        self.key_cache_seconds = key_cache_seconds
        self._keys: dict[str, tuple[ApiKey | None, float]] = {}
        self._forgotten = 0  # counts `forget_cached_keys`: a lookup that straddles one is not cached

    # --- administration, by a principal --------------------------------------------------------

    def create_organisation(
        self,
        actor: Principal,
        name: str,
        country: str,
        kind: OrgKind,
        allowed_roles: frozenset[Role] | None = None,
    ) -> Organisation:
        """A new member organisation; its kind bounds the roles its people and keys may ever hold."""
        if not actor.is_node_admin:
            self.audit.record(actor, "org.create", f"org:{name}", "refused")
            raise NotFound("no such resource")
        code = country.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise InvalidRequest(f"{country!r} is not an ISO 3166 alpha-2 country code")
        if not name.strip():
            raise InvalidRequest("an organisation needs a name")
        if kind is OrgKind.UNCLASSIFIED:
            raise InvalidRequest("say what kind of organisation it is (unclassified is only for older ones)")
        roles = allowed_roles_for(kind, allowed_roles)
        org = self.store.create_organisation(name.strip(), code, kind, roles)
        self.audit.record(
            actor,
            "org.create",
            f"org:{org.id}",
            subject_org_id=org.id,
            details={"name": org.name, "kind": kind.value, "allowed_roles": sorted(roles)},
        )
        return org

    def update_organisation(
        self, actor: Principal, org_id: int, kind: OrgKind | None = None, allowed_roles: frozenset[Role] | None = None
    ) -> Organisation:
        """Classify an organisation or change the roles it may hold (node admins only). Roles its
        people or live keys hold already cannot be taken away here: disable or revoke them first."""
        if not actor.is_node_admin:
            self.audit.record(actor, "org.update", f"org:{org_id}", "refused", subject_org_id=org_id)
            raise NotFound("no such resource")
        org = self.store.organisation(org_id)
        new_kind = kind or org.kind
        if new_kind is OrgKind.UNCLASSIFIED and org.kind is not OrgKind.UNCLASSIFIED:
            raise InvalidRequest("an organisation cannot become unclassified again")
        if allowed_roles is None and kind is not None:
            roles = allowed_roles_for(new_kind)
        else:
            roles = allowed_roles_for(new_kind, org.allowed_roles if allowed_roles is None else allowed_roles)
        held = self.store.roles_held(org_id) - roles
        if held:
            raise InvalidRequest(
                f"people or keys of {org.name} hold the role {sorted(held)[0]}: "
                "disable those users or revoke those keys first"
            )
        updated = self.store.update_organisation(org_id, new_kind, roles)
        self.audit.record(
            actor,
            "org.update",
            f"org:{org_id}",
            subject_org_id=org_id,
            details={"kind": new_kind.value, "allowed_roles": sorted(roles)},
        )
        return updated

    def organisations(self, actor: Principal) -> list[Organisation]:
        """Every organisation for a node admin; its own for anyone else."""
        if actor.is_node_admin:
            return self.store.organisations()
        return [self.store.organisation(actor.org_id)]

    def directory(self, actor: Principal) -> list[Organisation]:
        """Every member organisation (name, country, kind), for those who curate banks and for
        police: a bank's sharing policy and a series' or case's disclosure policy name
        organisations, and whoever writes one chooses them by name."""
        if not (actor.is_node_admin or actor.has(*BANK_CREATORS, Role.INVESTIGATOR)):
            self.audit.record(actor, "org.directory", "orgs", "refused")
            raise NotFound("no such resource")
        return self.store.organisations()

    def create_user(self, actor: Principal, org_id: int, username: str, password: str, roles: frozenset[Role]) -> User:
        org = self._check_admin(actor, org_id, "user.create", f"user:{username}")
        if not roles:
            raise InvalidRequest("a user needs at least one role")
        self._check_grant(actor, org, roles, "user.create", f"user:{username}")
        _check_password(password)
        user = self.store.create_user(org_id, check_username(username), _passwords.hash(password), roles)
        self.audit.record(
            actor,
            "user.create",
            f"user:{user.id}",
            subject_org_id=org_id,
            details={"username": user.username, "roles": sorted(roles)},
        )
        return user

    def users(self, actor: Principal, org_id: int, after: int = 0, limit: int | None = None) -> list[User]:
        self._check_admin(actor, org_id, "user.list", f"org:{org_id}")
        return self.store.users(org_id, after, limit)

    def create_key(
        self,
        actor: Principal,
        org_id: int,
        name: str,
        roles: frozenset[Role],
        scopes: frozenset[Scope] = ALL_SCOPES,
        expires_in_days: int | None = None,
        for_user: str | None = None,
    ) -> IssuedKey:
        """Issue a key. A key made by a person acts for that person, so that what it does (grades
        above all) is theirs; a node admin may name the user (`for_user`) or make a machine's key."""
        org = self._check_admin(actor, org_id, "key.create", f"org:{org_id}")
        if not roles:
            raise InvalidRequest("a key needs at least one role")
        if not scopes:
            raise InvalidRequest("a key needs at least one scope")
        person = self._key_person(actor, org, for_user)
        self._check_grant(actor, org, roles, "key.create", f"org:{org_id}", person, scopes)
        if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
            raise InvalidRequest("expires_in_days must be between 1 and 3650")
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        key = self.store.create_key(
            org_id,
            check_key_name(name) or "unnamed",
            prefix,
            _sha256(secret),
            roles,
            scopes,
            expires_at,
            actor.name,
            person.id if person else None,
        )
        self.audit.record(
            actor,
            "key.create",
            f"key:{key.id}",
            subject_org_id=org_id,
            details={
                "prefix": prefix,
                "roles": sorted(roles),
                "scopes": sorted(scopes),
                "for_user": person.username if person else None,
            },
        )
        return IssuedKey(key, f"{KEY_PREFIX}_{prefix}_{secret}")

    def keys(self, actor: Principal, org_id: int, after: int = 0, limit: int | None = None) -> list[ApiKey]:
        self._check_admin(actor, org_id, "key.list", f"org:{org_id}")
        return self.store.keys(org_id, after, limit)

    def revoke_key(self, actor: Principal, key_id: int) -> ApiKey:
        key = self._lookup_key(actor, key_id, "key.revoke")
        self._check_admin(actor, key.org.id, "key.revoke", f"key:{key_id}")
        revoked = self.store.revoke_key(key_id)
        self.forget_cached_keys()
        self.audit.record(actor, "key.revoke", f"key:{key_id}", subject_org_id=key.org.id)
        return revoked

    def rotate_key(self, actor: Principal, key_id: int, grace_hours: int = 24) -> IssuedKey:
        """A new secret for a key (same id, roles and person); the old secret keeps working for
        `grace_hours`, so the callers using it can switch without an outage."""
        key = self._lookup_key(actor, key_id, "key.rotate")
        org = self._check_admin(actor, key.org.id, "key.rotate", f"key:{key_id}")
        self._check_grant(actor, org, key.roles, "key.rotate", f"key:{key_id}", scopes=key.scopes)
        if not 0 <= grace_hours <= MAX_GRACE_HOURS:
            raise InvalidRequest(f"grace_hours must be between 0 and {MAX_GRACE_HOURS}")
        if key.revoked_at is not None:
            raise InvalidRequest("a revoked key cannot be rotated; create a new one")
        secret = secrets.token_urlsafe(32)
        until = datetime.now(UTC) + timedelta(hours=grace_hours)
        rotated = self.store.rotate_key(key_id, _sha256(secret), until)
        self.forget_cached_keys()
        self.audit.record(
            actor,
            "key.rotate",
            f"key:{key_id}",
            subject_org_id=key.org.id,
            details={"prefix": key.prefix, "old_secret_valid_until": until.isoformat()},
        )
        return IssuedKey(rotated, f"{KEY_PREFIX}_{key.prefix}_{secret}")

    def _lookup_key(self, actor: Principal, key_id: int, action: str) -> ApiKey:
        try:
            return self.store.key(key_id)
        except NotFound:
            self.audit.record(actor, action, f"key:{key_id}", "not_found")
            raise

    # --- a user's lifecycle: by node admins, and org admins within what they hold ---------------

    def set_user_disabled(self, actor: Principal, user_id: int, disabled: bool) -> User:
        """Disable (or enable again) a user: their sessions end and the keys acting for them stop
        working at once, on every replica (the change log)."""
        action = "user.disable" if disabled else "user.enable"
        user = self._user_for_admin(actor, user_id, action)
        if disabled and user.id == actor.user_id:
            self.audit.record(actor, action, f"user:{user_id}", "refused", subject_org_id=user.org.id)
            raise InvalidRequest("you cannot disable yourself")
        changed = self.store.set_user_disabled(user_id, disabled)
        self.forget_cached_keys()
        self.audit.record(actor, action, f"user:{user_id}", subject_org_id=user.org.id)
        return changed

    def reset_password(self, actor: Principal, user_id: int, password: str | None = None) -> tuple[User, str]:
        """A new password (generated unless given), which the user must change at their next login;
        their sessions end. Returns the user and the password, to hand over once."""
        user = self._user_for_admin(actor, user_id, "user.reset_password")
        password = password if password is not None else secrets.token_urlsafe(12)
        _check_password(password)
        changed = self.store.set_password(user_id, _passwords.hash(password), must_change=True)
        self.audit.record(actor, "user.reset_password", f"user:{user_id}", subject_org_id=user.org.id)
        return changed, password

    def end_sessions(self, actor: Principal, user_id: int) -> int:
        """Log a user out everywhere; returns how many sessions ended."""
        user = self._user_for_admin(actor, user_id, "user.end_sessions")
        ended = self.store.end_sessions(user_id)
        self.audit.record(
            actor, "user.end_sessions", f"user:{user_id}", subject_org_id=user.org.id, details={"sessions": ended}
        )
        return ended

    def change_password(self, actor: Principal, current: str, new: str) -> None:
        """A logged-in user's own change, proven by the current password; clears a reset's flag."""
        if actor.user_id is None:
            self.audit.record(actor, "user.change_password", "user:none", "refused")
            raise InvalidRequest("only a person logged in changes their password")
        user = self.store.user(actor.user_id)
        try:
            _passwords.verify(user.password_hash, current)
        except (VerificationError, InvalidHashError):
            self.audit.record(actor, "user.change_password", f"user:{user.id}", "refused", subject_org_id=user.org.id)
            raise AuthenticationFailed("the current password is wrong") from None
        if new == current:
            raise InvalidRequest("the new password must differ from the current one")
        _check_password(new)
        self.store.set_password(user.id, _passwords.hash(new), must_change=False)
        self.audit.record(actor, "user.change_password", f"user:{user.id}", subject_org_id=user.org.id)

    def _user_for_admin(self, actor: Principal, user_id: int, action: str) -> User:
        """The user, if `actor` administers their organisation and holds every role they hold."""
        try:
            user = self.store.user(user_id)
        except NotFound:
            self.audit.record(actor, action, f"user:{user_id}", "not_found")
            raise
        org = self._check_admin(actor, user.org.id, action, f"user:{user_id}")
        self._check_grant(actor, org, user.roles, action, f"user:{user_id}")
        return user

    def _check_admin(self, actor: Principal, org_id: int, action: str, target: str) -> Organisation:
        if not may_administer_org(actor, org_id):
            self.audit.record(actor, action, target, "refused", subject_org_id=org_id)
            raise NotFound("no such resource")
        try:
            return self.store.organisation(org_id)
        except NotFound:
            self.audit.record(actor, action, target, "not_found")
            raise

    def _key_person(self, actor: Principal, org: Organisation, for_user: str | None) -> User | None:
        """The user a new key acts for: its creator when a person creates it; for a node admin, the
        user it names, or nobody (a machine's key)."""
        if actor.person is not None and not actor.is_node_admin:
            if for_user is not None and for_user != actor.person:
                raise InvalidRequest("a key you create acts for you; only a node admin names another user")
            for_user = actor.person
        if for_user is None:
            return None
        user = self.store.user_by_name(for_user)
        if user is None or user.org.id != org.id:
            raise InvalidRequest(f"{org.name} has no user called {for_user!r}")
        if user.disabled:
            raise InvalidRequest(f"the user {for_user!r} is disabled")
        return user

    def _check_grant(
        self,
        actor: Principal,
        org: Organisation,
        roles: frozenset[Role],
        action: str,
        target: str,
        person: User | None = None,
        scopes: frozenset[Scope] = frozenset(),
    ) -> None:
        """Roles within what the organisation may hold and the granter holds (and, for a key, its
        person); a key's scopes within the granter's credential's."""
        allowed = grantable_roles(actor, org.id, org.allowed_roles)
        if person is not None:
            allowed &= person.roles
        beyond = roles - allowed
        if beyond:
            self._refuse_grant(actor, org, action, target, f"role {sorted(beyond)[0]}")
        beyond_scopes = scopes - grantable_scopes(actor)
        if beyond_scopes:
            self._refuse_grant(actor, org, action, target, f"scope {sorted(beyond_scopes)[0]}")

    def _refuse_grant(self, actor: Principal, org: Organisation, action: str, target: str, what: str) -> None:
        self.audit.record(actor, action, target, "refused", subject_org_id=org.id, details={"beyond": what})
        raise InvalidRequest(
            f"you may not grant the {what}: a grant stays within what {org.name} may hold "
            f"({', '.join(sorted(org.allowed_roles)) or 'nothing yet'}) and what you hold yourself"
        )

    # --- authentication -------------------------------------------------------------------------

    def forget_cached_keys(self) -> None:
        """Look every key up again (a key was revoked, perhaps on another replica)."""
        self._forgotten += 1
        self._keys.clear()

    def authenticate_key(self, token: str) -> Principal:
        prefix, secret = _split_key(token)
        return _checked(self._key(prefix), secret)

    def authenticate_key_cached(self, token: str) -> Principal | None:
        """The principal of a key already in the cache, with no I/O (for an event loop); else None."""
        cached = self._keys.get(token.split("_", 2)[1]) if token.count("_") >= 2 else None
        if cached is None or time.monotonic() - cached[1] >= self.key_cache_seconds:
            return None
        try:
            return _checked(cached[0], _split_key(token)[1])
        except AuthenticationFailed:
            return None  # the slow path says why, and audits it

    def known_key(self, token: str) -> bool:
        """The key was looked up before and the secret is its own, however long ago (no I/O): a
        caller whose address is refused for failures may still be let through to the store."""
        try:
            prefix, secret = _split_key(token)
        except AuthenticationFailed:
            return False
        cached = self._keys.get(prefix)
        key = cached[0] if cached else None
        return key is not None and _secret_matches(key, secret)

    def _key(self, prefix: str) -> ApiKey | None:
        if self.key_cache_seconds <= 0:
            return self.store.key_by_prefix(prefix)
        now = time.monotonic()
        cached = self._keys.get(prefix)
        if cached is not None and now - cached[1] < self.key_cache_seconds:
            return cached[0]
        forgotten = self._forgotten
        key = self.store.key_by_prefix(prefix)
        # Unknown prefixes are not cached (guessing must not fill memory), nor a key read before a
        # revocation that was forgotten while it was being read.
        if key is not None and forgotten == self._forgotten:
            self._keys[prefix] = (key, now)
            if forgotten != self._forgotten:  # forgotten between the check and the write
                self._keys.pop(prefix, None)
        return key

    def login(self, username: str, password: str) -> IssuedSession:
        user = self._verified(username, password)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        self.store.purge_sessions(now)  # logins are rare enough, and every expired session goes
        self.store.create_session(user.id, _sha256(token), _sha256(csrf), now + SESSION_LIFETIME)
        principal = user_principal(user)
        self.audit.record(principal, "session.login", f"user:{user.id}", subject_org_id=user.org.id)
        return IssuedSession(token, csrf, principal, now + SESSION_LIFETIME, user.must_change_password)

    def verify_user(self, username: str, password: str) -> Principal:
        """A user proven by their password, with no session (the CLI acting for a person)."""
        user = self._verified(username, password)
        if user.must_change_password:
            raise AuthenticationFailed("this password was reset: log in and change it first")
        return user_principal(user)

    def _verified(self, username: str, password: str) -> User:
        user = self.store.user_by_name(unicodedata.normalize("NFKC", username).strip())
        try:
            # Hash even for an unknown user, so timing does not tell which usernames exist.
            _passwords.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise AuthenticationFailed("wrong username or password") from None
        if user is None or user.disabled:
            raise AuthenticationFailed("wrong username or password")
        return user

    def session(self, token: str) -> tuple[Principal, str]:
        """The principal of a live session and a SHA-256 of its CSRF token (`live_session`)."""
        live = self.live_session(token)
        return live.principal, live.csrf_hash

    def live_session(self, token: str) -> LiveSession:
        """The principal of a live session, a SHA-256 of its CSRF token (the token itself is only
        shown at login; `csrf_matches` checks one sent back), and whether its password was reset."""
        found = self.store.session_by_token(_sha256(token))
        if found is None or found.expires_at <= datetime.now(UTC) or found.user.disabled:
            raise AuthenticationFailed("no valid session; log in again")
        return LiveSession(user_principal(found.user), found.csrf_token, found.user.must_change_password)

    @staticmethod
    def csrf_matches(csrf_hash: str, sent: str) -> bool:
        return hmac.compare_digest(_sha256(sent), csrf_hash)

    def logout(self, token: str) -> None:
        self.store.delete_session(_sha256(token))
