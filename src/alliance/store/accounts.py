"""Organisations, users, API keys and sessions in the store.

Secrets never reach this module in the clear except to be hashed by the caller: passwords arrive
as argon2 hashes, API keys and session tokens as SHA-256 digests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from alliance.core.access import OrgKind, Role, Scope
from alliance.core.banks import KEY_REVOKED, KEY_ROTATED, NO_BANK, USER_DISABLED, Organisation
from alliance.core.errors import Conflict, NotFound
from alliance.core.names import username_key
from alliance.store.banks import organisation_from_row
from alliance.store.db import aware, is_row_id, lock_change_log, session_factory
from alliance.store.models import ApiKeyRow, ChangeRow, OrganisationRow, SessionRow, UserRow, utcnow


@dataclass(frozen=True, slots=True)
class User:
    id: int
    org: Organisation
    username: str
    roles: frozenset[Role]
    disabled: bool
    password_hash: str
    must_change_password: bool = False


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    org: Organisation
    name: str
    prefix: str
    secret_hash: str
    roles: frozenset[Role]
    scopes: frozenset[Scope]
    expires_at: datetime | None
    revoked_at: datetime | None
    created_by: str
    created_at: datetime
    user: str | None = None  # the username of the person it acts for; None for a machine's key
    user_disabled: bool = False
    previous_secret_hash: str | None = None  # after a rotation, valid until `previous_valid_until`
    previous_valid_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf_token: str  # its SHA-256
    expires_at: datetime


class AccountStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    # --- organisations -------------------------------------------------------------------------

    def create_organisation(
        self,
        name: str,
        country: str,
        kind: OrgKind = OrgKind.UNCLASSIFIED,
        allowed_roles: frozenset[Role] = frozenset(),
    ) -> Organisation:
        with self._sessions.begin() as session:
            if session.scalar(select(OrganisationRow.id).where(OrganisationRow.name == name)) is not None:
                raise Conflict(f"an organisation called {name!r} already exists")
            row = OrganisationRow(name=name, country=country, kind=kind.value, allowed_roles=sorted(allowed_roles))
            session.add(row)
            session.flush()
            return organisation_from_row(row)

    def update_organisation(self, org_id: int, kind: OrgKind, allowed_roles: frozenset[Role]) -> Organisation:
        with self._sessions.begin() as session:
            row = session.get(OrganisationRow, org_id) if is_row_id(org_id) else None
            if row is None:
                raise NotFound(f"no organisation with id {org_id}")
            row.kind, row.allowed_roles = kind.value, sorted(allowed_roles)
            session.flush()
            return organisation_from_row(row)

    def roles_held(self, org_id: int) -> frozenset[Role]:
        """Every role a user or live key of the organisation holds."""
        with self._sessions() as session:
            users = session.scalars(select(UserRow.roles).where(UserRow.org_id == org_id))
            keys = session.scalars(
                select(ApiKeyRow.roles).where(ApiKeyRow.org_id == org_id, ApiKeyRow.revoked_at.is_(None))
            )
            return frozenset(Role(r) for roles in [*users, *keys] for r in roles)

    def organisation(self, org_id: int) -> Organisation:
        with self._sessions() as session:
            row = session.get(OrganisationRow, org_id) if is_row_id(org_id) else None
            if row is None:
                raise NotFound(f"no organisation with id {org_id}")
            return organisation_from_row(row)

    def organisation_by_name(self, name: str) -> Organisation:
        with self._sessions() as session:
            row = session.scalar(select(OrganisationRow).where(OrganisationRow.name == name))
            if row is None:
                raise NotFound(f"no organisation called {name!r}")
            return organisation_from_row(row)

    def organisations(self) -> list[Organisation]:
        with self._sessions() as session:
            rows = session.scalars(select(OrganisationRow).order_by(OrganisationRow.id))
            return [organisation_from_row(r) for r in rows]

    # --- users ---------------------------------------------------------------------------------

    def create_user(self, org_id: int, username: str, password_hash: str, roles: frozenset[Role]) -> User:
        with self._sessions.begin() as session:
            key = username_key(username)
            taken = select(UserRow.id).where(or_(UserRow.username == username, UserRow.username_key == key))
            if session.scalar(taken) is not None:
                raise Conflict(f"a user called {username!r} already exists (names differ by more than case)")
            row = UserRow(
                org_id=org_id, username=username, username_key=key, password_hash=password_hash, roles=sorted(roles)
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError as exc:
                raise Conflict(f"a user called {username!r} already exists (names differ by more than case)") from exc
            session.refresh(row)
            return _user(row)

    def user(self, user_id: int) -> User:
        with self._sessions() as session:
            row = session.get(UserRow, user_id) if is_row_id(user_id) else None
            if row is None:
                raise NotFound(f"no user with id {user_id}")
            return _user(row)

    def user_by_name(self, username: str) -> User | None:
        """The user of this name, in any case ("ADMIN" logs in as "admin"); an exact match first, for
        two names that differed only in case before the key existed (migration 0011)."""
        with self._sessions() as session:
            row = session.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                row = session.scalar(select(UserRow).where(UserRow.username_key == username_key(username)))
            return _user(row) if row else None

    def users(self, org_id: int | None = None, after: int = 0, limit: int | None = None) -> list[User]:
        """By id; from the one after `after`, at most `limit` (a page)."""
        query = select(UserRow).where(UserRow.id > after).order_by(UserRow.id).limit(limit)
        if org_id is not None:
            query = query.where(UserRow.org_id == org_id)
        with self._sessions() as session:
            return [_user(r) for r in session.scalars(query)]

    def set_user_disabled(self, user_id: int, disabled: bool) -> User:
        """Disabling ends the user's sessions and tells replicas to forget the keys acting for them."""
        with self._sessions.begin() as session:
            lock_change_log(session)
            row = self._user_row(session, user_id)
            row.disabled = disabled
            if disabled:
                session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
            session.add(ChangeRow(kind=USER_DISABLED, bank_id=NO_BANK))
            session.flush()
            return _user(row)

    def set_password(self, user_id: int, password_hash: str, must_change: bool) -> User:
        """A reset (`must_change`) ends every session; a change by the user keeps them."""
        with self._sessions.begin() as session:
            row = self._user_row(session, user_id)
            row.password_hash, row.must_change_password = password_hash, must_change
            if must_change:
                session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
            session.flush()
            return _user(row)

    def end_sessions(self, user_id: int) -> int:
        """Delete every session of a user; returns how many. Sessions are read from the store on
        every request, so this takes effect on every replica at once."""
        with self._sessions.begin() as session:
            self._user_row(session, user_id)
            result = session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
            return int(getattr(result, "rowcount", 0) or 0)

    @staticmethod
    def _user_row(session: OrmSession, user_id: int) -> UserRow:
        row = session.get(UserRow, user_id) if is_row_id(user_id) else None
        if row is None:
            raise NotFound(f"no user with id {user_id}")
        return row

    # --- API keys ------------------------------------------------------------------------------

    def create_key(
        self,
        org_id: int,
        name: str,
        prefix: str,
        secret_hash: str,
        roles: frozenset[Role],
        scopes: frozenset[Scope],
        expires_at: datetime | None,
        created_by: str,
        user_id: int | None = None,
    ) -> ApiKey:
        with self._sessions.begin() as session:
            row = ApiKeyRow(
                org_id=org_id,
                name=name,
                prefix=prefix,
                secret_hash=secret_hash,
                roles=sorted(roles),
                scopes=sorted(scopes),
                expires_at=expires_at,
                created_by=created_by,
                user_id=user_id,
            )
            session.add(row)
            session.flush()
            session.refresh(row)
            return _key(row)

    def key_by_prefix(self, prefix: str) -> ApiKey | None:
        with self._sessions() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
            return _key(row) if row else None

    def key(self, key_id: int) -> ApiKey:
        with self._sessions() as session:
            row = session.get(ApiKeyRow, key_id) if is_row_id(key_id) else None
            if row is None:
                raise NotFound(f"no API key with id {key_id}")
            return _key(row)

    def keys(self, org_id: int | None = None, after: int = 0, limit: int | None = None) -> list[ApiKey]:
        """By id; from the one after `after`, at most `limit` (a page)."""
        query = select(ApiKeyRow).where(ApiKeyRow.id > after).order_by(ApiKeyRow.id).limit(limit)
        if org_id is not None:
            query = query.where(ApiKeyRow.org_id == org_id)
        with self._sessions() as session:
            return [_key(r) for r in session.scalars(query)]

    def revoke_key(self, key_id: int) -> ApiKey:
        with self._sessions.begin() as session:
            lock_change_log(session)  # its change must not commit out of sequence order
            row = session.get(ApiKeyRow, key_id) if is_row_id(key_id) else None
            if row is None:
                raise NotFound(f"no API key with id {key_id}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                session.add(ChangeRow(kind=KEY_REVOKED, bank_id=NO_BANK))  # other replicas drop their cached keys
            session.flush()
            return _key(row)

    def rotate_key(self, key_id: int, secret_hash: str, previous_valid_until: datetime) -> ApiKey:
        """A new secret for the key; the old one stays valid until `previous_valid_until`."""
        with self._sessions.begin() as session:
            lock_change_log(session)
            row = session.get(ApiKeyRow, key_id) if is_row_id(key_id) else None
            if row is None:
                raise NotFound(f"no API key with id {key_id}")
            row.previous_secret_hash, row.previous_valid_until = row.secret_hash, previous_valid_until
            row.secret_hash = secret_hash
            session.add(ChangeRow(kind=KEY_ROTATED, bank_id=NO_BANK))  # replicas cache the old secret only
            session.flush()
            return _key(row)

    # --- sessions ------------------------------------------------------------------------------

    def create_session(self, user_id: int, token_hash: str, csrf_hash: str, expires_at: datetime) -> None:
        """`csrf_hash` goes in the `csrf_token` column: a digest, like `token_hash`."""
        with self._sessions.begin() as session:
            session.add(SessionRow(user_id=user_id, token_hash=token_hash, csrf_token=csrf_hash, expires_at=expires_at))

    def purge_sessions(self, now: datetime) -> int:
        """Delete the sessions expired by `now`; returns how many."""
        with self._sessions.begin() as session:
            result = session.execute(delete(SessionRow).where(SessionRow.expires_at <= now))
            return int(getattr(result, "rowcount", 0) or 0)

    def session_by_token(self, token_hash: str) -> Session | None:
        with self._sessions() as session:
            row = session.scalar(select(SessionRow).where(SessionRow.token_hash == token_hash))
            if row is None:
                return None
            user = session.get(UserRow, row.user_id)
            if user is None:
                return None
            return Session(_user(user), row.csrf_token, aware(row.expires_at))

    def delete_session(self, token_hash: str) -> None:
        with self._sessions.begin() as session:
            row = session.scalar(select(SessionRow).where(SessionRow.token_hash == token_hash))
            if row is not None:
                session.delete(row)


def _user(row: UserRow) -> User:
    return User(
        row.id,
        organisation_from_row(row.org),
        row.username,
        frozenset(Role(r) for r in row.roles),
        row.disabled,
        row.password_hash,
        row.must_change_password,
    )


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        org=organisation_from_row(row.org),
        name=row.name,
        prefix=row.prefix,
        secret_hash=row.secret_hash,
        roles=frozenset(Role(r) for r in row.roles),
        scopes=frozenset(Scope(s) for s in row.scopes),
        expires_at=aware(row.expires_at) if row.expires_at else None,
        revoked_at=aware(row.revoked_at) if row.revoked_at else None,
        created_by=row.created_by,
        created_at=aware(row.created_at),
        user=row.user.username if row.user else None,
        user_disabled=bool(row.user and row.user.disabled),
        previous_secret_hash=row.previous_secret_hash,
        previous_valid_until=aware(row.previous_valid_until) if row.previous_valid_until else None,
    )
