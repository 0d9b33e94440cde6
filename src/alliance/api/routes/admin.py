"""Organisations, users and API keys: node admins for every organisation, org admins for their own."""

from __future__ import annotations

from fastapi import APIRouter

from alliance.api.deps import NodeDep, PrincipalDep
from alliance.api.schemas import (
    IssuedKeyOut,
    KeyIn,
    KeyOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationUpdate,
    RowId,
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
    )


def _organisation(org: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=org.id, name=org.name, country=org.country, kind=org.kind, allowed_roles=sorted(org.allowed_roles)
    )


def _user(user: User) -> UserOut:
    return UserOut(
        id=user.id, username=user.username, organisation=user.org.id, roles=sorted(user.roles), disabled=user.disabled
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
