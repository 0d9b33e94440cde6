"""Organisations, users, API keys and sessions: who can call the node, and proving it.

API keys look like `alk_<prefix>_<secret>`: the prefix finds the key, a SHA-256 of the secret
checks it (keys are long and random, so a fast hash is safe and keeps every request cheap).
Passwords are hashed with argon2. Keys and session tokens are shown once and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from alliance.core.access import (
    ALL_SCOPES,
    Principal,
    Role,
    Scope,
    grantable_roles,
    may_administer_org,
)
from alliance.core.banks import Organisation
from alliance.core.errors import AllianceError, InvalidRequest, NotFound
from alliance.services.audit import AuditLog
from alliance.store.accounts import AccountStore, ApiKey, User

KEY_PREFIX = "alk"
SESSION_LIFETIME = timedelta(hours=12)
_passwords = PasswordHasher()
_DUMMY_HASH = _passwords.hash("not a real password")


class AuthenticationFailed(AllianceError):
    """No valid credential: a missing, unknown, expired or revoked key, or a wrong password."""


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


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _split_key(token: str) -> tuple[str, str]:
    parts = token.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise AuthenticationFailed("malformed API key")
    return parts[1], parts[2]


def _checked(key: ApiKey | None, secret: str) -> Principal:
    if key is None or not hmac.compare_digest(key.secret_hash, _sha256(secret)):
        raise AuthenticationFailed("unknown API key")
    if key.revoked_at is not None:
        raise AuthenticationFailed("this API key was revoked")
    if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
        raise AuthenticationFailed("this API key has expired")
    return key_principal(key)


def user_principal(user: User) -> Principal:
    return Principal(
        user.org.id, user.org.name, user.org.country, user.roles, ALL_SCOPES, user_id=user.id, name=user.username
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

    def create_organisation(self, actor: Principal, name: str, country: str) -> Organisation:
        if not actor.is_node_admin:
            self.audit.record(actor, "org.create", f"org:{name}", "refused")
            raise NotFound("no such resource")
        code = country.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise InvalidRequest(f"{country!r} is not an ISO 3166 alpha-2 country code")
        if not name.strip():
            raise InvalidRequest("an organisation needs a name")
        org = self.store.create_organisation(name.strip(), code)
        self.audit.record(actor, "org.create", f"org:{org.id}", subject_org_id=org.id, details={"name": org.name})
        return org

    def organisations(self, actor: Principal) -> list[Organisation]:
        """Every organisation for a node admin; its own for anyone else."""
        if actor.is_node_admin:
            return self.store.organisations()
        return [self.store.organisation(actor.org_id)]

    def create_user(self, actor: Principal, org_id: int, username: str, password: str, roles: frozenset[Role]) -> User:
        self._check_admin(actor, org_id, "user.create", f"user:{username}")
        self._check_grant(actor, roles)
        if len(password) < 12:
            raise InvalidRequest("a password needs at least 12 characters")
        if not username.strip() or len(username) > 100:
            raise InvalidRequest("a username needs 1 to 100 characters")
        user = self.store.create_user(org_id, username.strip(), _passwords.hash(password), roles)
        self.audit.record(
            actor,
            "user.create",
            f"user:{user.id}",
            subject_org_id=org_id,
            details={"username": user.username, "roles": sorted(roles)},
        )
        return user

    def users(self, actor: Principal, org_id: int) -> list[User]:
        self._check_admin(actor, org_id, "user.list", f"org:{org_id}")
        return self.store.users(org_id)

    def create_key(
        self,
        actor: Principal,
        org_id: int,
        name: str,
        roles: frozenset[Role],
        scopes: frozenset[Scope] = ALL_SCOPES,
        expires_in_days: int | None = None,
    ) -> IssuedKey:
        self._check_admin(actor, org_id, "key.create", f"org:{org_id}")
        self._check_grant(actor, roles)
        if not roles:
            raise InvalidRequest("a key needs at least one role")
        if not scopes:
            raise InvalidRequest("a key needs at least one scope")
        if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
            raise InvalidRequest("expires_in_days must be between 1 and 3650")
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        key = self.store.create_key(
            org_id, name.strip() or "unnamed", prefix, _sha256(secret), roles, scopes, expires_at, actor.name
        )
        self.audit.record(
            actor,
            "key.create",
            f"key:{key.id}",
            subject_org_id=org_id,
            details={"prefix": prefix, "roles": sorted(roles), "scopes": sorted(scopes)},
        )
        return IssuedKey(key, f"{KEY_PREFIX}_{prefix}_{secret}")

    def keys(self, actor: Principal, org_id: int) -> list[ApiKey]:
        self._check_admin(actor, org_id, "key.list", f"org:{org_id}")
        return self.store.keys(org_id)

    def revoke_key(self, actor: Principal, key_id: int) -> ApiKey:
        try:
            key = self.store.key(key_id)
        except NotFound:
            self.audit.record(actor, "key.revoke", f"key:{key_id}", "not_found")
            raise
        self._check_admin(actor, key.org.id, "key.revoke", f"key:{key_id}")
        revoked = self.store.revoke_key(key_id)
        self.forget_cached_keys()
        self.audit.record(actor, "key.revoke", f"key:{key_id}", subject_org_id=key.org.id)
        return revoked

    def _check_admin(self, actor: Principal, org_id: int, action: str, target: str) -> None:
        if not may_administer_org(actor, org_id):
            self.audit.record(actor, action, target, "refused", subject_org_id=org_id)
            raise NotFound("no such resource")
        try:
            self.store.organisation(org_id)
        except NotFound:
            self.audit.record(actor, action, target, "not_found")
            raise

    def _check_grant(self, actor: Principal, roles: frozenset[Role]) -> None:
        beyond = roles - grantable_roles(actor)
        if beyond:
            raise InvalidRequest(f"you may not grant the role {sorted(beyond)[0]}")

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
        return key is not None and hmac.compare_digest(key.secret_hash, _sha256(secret))

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
        user = self.store.user_by_name(username)
        try:
            # Hash even for an unknown user, so timing does not tell which usernames exist.
            _passwords.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise AuthenticationFailed("wrong username or password") from None
        if user is None or user.disabled:
            raise AuthenticationFailed("wrong username or password")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        expires_at = datetime.now(UTC) + SESSION_LIFETIME
        self.store.create_session(user.id, _sha256(token), csrf, expires_at)
        principal = user_principal(user)
        self.audit.record(principal, "session.login", f"user:{user.id}", subject_org_id=user.org.id)
        return IssuedSession(token, csrf, principal, expires_at)

    def session(self, token: str) -> tuple[Principal, str]:
        """The principal and CSRF token of a live session."""
        found = self.store.session_by_token(_sha256(token))
        if found is None or found.expires_at <= datetime.now(UTC) or found.user.disabled:
            raise AuthenticationFailed("no valid session; log in again")
        return user_principal(found.user), found.csrf_token

    def logout(self, token: str) -> None:
        self.store.delete_session(_sha256(token))
