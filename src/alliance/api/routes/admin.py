"""Organisations, users and API keys: node admins for every organisation, org admins for their own."""

from __future__ import annotations

from fastapi import APIRouter

from alliance.api.deps import NodeDep, PrincipalDep
from alliance.api.schemas import (
    IssuedKeyOut,
    KeyIn,
    KeyOut,
    KeyRotateIn,
    OrganisationIn,
    OrganisationOut,
    OrganisationUpdate,
    PasswordResetIn,
    PasswordResetOut,
    RowId,
    SessionsEndedOut,
    UserIn,
    UserOut,
)
from alliance.core.banks import Organisation
from alliance.store.accounts import ApiKey, User

router = APIRouter(prefix="/v1", tags=["administration"])


def _key(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        organisation=key.org.id,
        roles=sorted(key.roles),
        scopes=sorted(key.scopes),
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        created_by=key.created_by,
        user=key.user,
        previous_secret_valid_until=key.previous_valid_until,
    )


def _organisation(org: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=org.id, name=org.name, country=org.country, kind=org.kind, allowed_roles=sorted(org.allowed_roles)
    )


def _user(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        organisation=user.org.id,
        roles=sorted(user.roles),
        disabled=user.disabled,
        must_change_password=user.must_change_password,
    )


@router.get("/organisations", response_model=list[OrganisationOut])
def list_organisations(node: NodeDep, principal: PrincipalDep) -> list[OrganisationOut]:
    """Every organisation for a node admin; your own otherwise."""
    return [_organisation(o) for o in node.accounts.organisations(principal)]


@router.post("/organisations", response_model=OrganisationOut, status_code=201)
def create_organisation(node: NodeDep, principal: PrincipalDep, body: OrganisationIn) -> OrganisationOut:
    """Node admins: a new organisation of a kind (hotline, law_enforcement, platform, ...), which
    bounds the roles its users and keys may ever hold."""
    roles = frozenset(body.allowed_roles) if body.allowed_roles is not None else None
    return _organisation(node.accounts.create_organisation(principal, body.name, body.country, body.kind, roles))


@router.patch("/organisations/{org_id}", response_model=OrganisationOut)
def update_organisation(
    node: NodeDep, principal: PrincipalDep, org_id: RowId, body: OrganisationUpdate
) -> OrganisationOut:
    """Node admins: classify an organisation or change the roles it may hold."""
    roles = frozenset(body.allowed_roles) if body.allowed_roles is not None else None
    return _organisation(node.accounts.update_organisation(principal, org_id, body.kind, roles))


@router.get("/organisations/{org_id}/users", response_model=list[UserOut])
def list_users(node: NodeDep, principal: PrincipalDep, org_id: RowId) -> list[UserOut]:
    return [_user(u) for u in node.accounts.users(principal, org_id)]


@router.post("/organisations/{org_id}/users", response_model=UserOut, status_code=201)
def create_user(node: NodeDep, principal: PrincipalDep, org_id: RowId, body: UserIn) -> UserOut:
    return _user(node.accounts.create_user(principal, org_id, body.username, body.password, frozenset(body.roles)))


@router.get("/organisations/{org_id}/keys", response_model=list[KeyOut])
def list_keys(node: NodeDep, principal: PrincipalDep, org_id: RowId) -> list[KeyOut]:
    """API keys of an organisation: prefixes and metadata, never the keys themselves."""
    return [_key(k) for k in node.accounts.keys(principal, org_id)]


@router.post("/organisations/{org_id}/keys", response_model=IssuedKeyOut, status_code=201)
def create_key(node: NodeDep, principal: PrincipalDep, org_id: RowId, body: KeyIn) -> IssuedKeyOut:
    """Issue an API key. The response holds the key itself, shown this once."""
    issued = node.accounts.create_key(
        principal,
        org_id,
        body.name,
        frozenset(body.roles),
        frozenset(body.scopes),
        body.expires_in_days,
        body.for_user,
    )
    return IssuedKeyOut(**_key(issued.key).model_dump(), token=issued.token)


@router.post("/keys/{key_id}/revoke", response_model=KeyOut)
def revoke_key(node: NodeDep, principal: PrincipalDep, key_id: RowId) -> KeyOut:
    """Revoke an API key: it stops working at once."""
    return _key(node.accounts.revoke_key(principal, key_id))


@router.post("/keys/{key_id}/rotate", response_model=IssuedKeyOut)
def rotate_key(node: NodeDep, principal: PrincipalDep, key_id: RowId, body: KeyRotateIn) -> IssuedKeyOut:
    """A new secret for an API key, shown this once; the old one works for `grace_hours` more."""
    issued = node.accounts.rotate_key(principal, key_id, body.grace_hours)
    return IssuedKeyOut(**_key(issued.key).model_dump(), token=issued.token)


@router.post("/users/{user_id}/disable", response_model=UserOut)
def disable_user(node: NodeDep, principal: PrincipalDep, user_id: RowId) -> UserOut:
    """Disable a user: their sessions end and the keys acting for them stop working at once."""
    return _user(node.accounts.set_user_disabled(principal, user_id, True))


@router.post("/users/{user_id}/enable", response_model=UserOut)
def enable_user(node: NodeDep, principal: PrincipalDep, user_id: RowId) -> UserOut:
    """Enable a disabled user again (and the keys acting for them)."""
    return _user(node.accounts.set_user_disabled(principal, user_id, False))


@router.post("/users/{user_id}/reset-password", response_model=PasswordResetOut)
def reset_password(node: NodeDep, principal: PrincipalDep, user_id: RowId, body: PasswordResetIn) -> PasswordResetOut:
    """A new password the user must change at their next login; their sessions end."""
    user, password = node.accounts.reset_password(principal, user_id, body.password)
    return PasswordResetOut(user=_user(user), password=password)


@router.delete("/users/{user_id}/sessions", response_model=SessionsEndedOut)
def end_sessions(node: NodeDep, principal: PrincipalDep, user_id: RowId) -> SessionsEndedOut:
    """Log a user out everywhere."""
    return SessionsEndedOut(ended=node.accounts.end_sessions(principal, user_id))
