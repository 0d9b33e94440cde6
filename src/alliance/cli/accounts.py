"""Operator commands for organisations, users, API keys and the audit log.

These are how a node gets its first admin: the command line acts as the node operator.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.context import err, node_of, out
from alliance.cli.output import JsonOpt, OutputFormat, print_rows, shown
from alliance.core.access import SYSTEM, OrgKind, Scope, parse_roles
from alliance.core.errors import InvalidRequest, NotFound

if TYPE_CHECKING:
    from alliance.store.accounts import ApiKey

org_app = typer.Typer(help="Organisations (members of the node, each in a country).", no_args_is_help=True)
user_app = typer.Typer(help="Users (people who log in).", no_args_is_help=True)
key_app = typer.Typer(help="API keys (for machines; shown once, stored hashed).", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)

RolesOpt = Annotated[
    list[str],
    typer.Option(
        "--role",
        "-r",
        help="A role (repeatable): node_admin, org_admin, analyst, investigator, platform, secretariat, auditor.",
    ),
]


KindOpt = Annotated[
    OrgKind,
    typer.Option(help="What it is; bounds the roles its people and keys may hold."),
]
AllowedRolesOpt = Annotated[
    list[str] | None,
    typer.Option("--allow-role", help="A role it may hold (repeatable), instead of its kind's."),
]


@org_app.command("create")
def org_create(
    ctx: typer.Context,
    name: str,
    country: Annotated[str, typer.Option(help="ISO 3166 code.")],
    kind: KindOpt,
    allow_role: AllowedRolesOpt = None,
) -> None:
    node = node_of(ctx)
    roles = parse_roles(allow_role) if allow_role else None
    org = node.accounts.create_organisation(SYSTEM, name, country, kind, roles)
    out.print(
        f"created organisation {shown(org.name)} (id {org.id}, {shown(org.country)}, {org.kind.value}: "
        f"{', '.join(sorted(org.allowed_roles))})"
    )


@org_app.command("update")
def org_update(
    ctx: typer.Context,
    name: str,
    kind: Annotated[OrgKind | None, typer.Option(help="Classify it (its roles become the kind's).")] = None,
    allow_role: AllowedRolesOpt = None,
) -> None:
    """Classify an organisation or set the roles it may hold."""
    node = node_of(ctx)
    org = node.accounts.store.organisation_by_name(name)
    roles = parse_roles(allow_role) if allow_role else None
    org = node.accounts.update_organisation(SYSTEM, org.id, kind, roles)
    out.print(f"{shown(org.name)}: {org.kind.value}, may hold {', '.join(sorted(org.allowed_roles))}")


@org_app.command("list")
def org_list(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    node = node_of(ctx)
    rows = [
        {
            "id": o.id,
            "name": o.name,
            "country": o.country,
            "kind": o.kind.value,
            "roles": " ".join(sorted(o.allowed_roles)),
        }
        for o in node.accounts.organisations(SYSTEM)
    ]
    print_rows(rows, ["id", "name", "country", "kind", "roles"], OutputFormat.of(json_out))


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    username: str,
    org: Annotated[str, typer.Option(help="Organisation name.")],
    role: RolesOpt,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Create a user; the password is asked for (or read from stdin), never passed as an argument."""
    node = node_of(ctx)
    organisation = node.accounts.store.organisation_by_name(org)
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("password", hide_input=True, confirmation_prompt=True)
    )
    user = node.accounts.create_user(SYSTEM, organisation.id, username, password, parse_roles(role))
    out.print(f"created user {shown(user.username)} (id {user.id}) in {shown(organisation.name)}")


OrgOpt = Annotated[str, typer.Option(help="Organisation name.")]
USER_COLUMNS = ["id", "username", "roles", "disabled", "must_change_password"]
KEY_COLUMNS = ["id", "prefix", "name", "roles", "scopes", "acts_for", "expires_at", "revoked_at", "old_secret_until"]
KEY_TABLE = ["id", "prefix", "name", "roles", "acts_for", "state"]  # what fits 80 columns; --json has all


def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


@user_app.command("list")
def user_list(ctx: typer.Context, org: OrgOpt, json_out: JsonOpt = False) -> None:
    """The organisation's users, with the ids the other commands and the API take."""
    node = node_of(ctx)
    organisation = node.accounts.store.organisation_by_name(org)
    rows = [
        {
            "id": u.id,
            "username": u.username,
            "roles": " ".join(sorted(u.roles)),
            "disabled": u.disabled,
            "must_change_password": u.must_change_password,
        }
        for u in node.accounts.users(SYSTEM, organisation.id)
    ]
    print_rows(rows, USER_COLUMNS, OutputFormat.JSON if json_out else OutputFormat.TABLE)


def _user_id(ctx: typer.Context, username: str) -> int:
    user = node_of(ctx).accounts.store.user_by_name(username)
    if user is None:
        raise NotFound(f"no user called {username!r}")
    return user.id


@user_app.command("disable")
def user_disable(ctx: typer.Context, username: str) -> None:
    """Disable a user: their sessions end and the keys acting for them stop working at once."""
    user = node_of(ctx).accounts.set_user_disabled(SYSTEM, _user_id(ctx, username), True)
    out.print(f"disabled {shown(user.username)} (id {user.id}): sessions ended, their keys refused")


@user_app.command("enable")
def user_enable(ctx: typer.Context, username: str) -> None:
    """Enable a disabled user again."""
    user = node_of(ctx).accounts.set_user_disabled(SYSTEM, _user_id(ctx, username), False)
    out.print(f"enabled {shown(user.username)} (id {user.id})")


@user_app.command("reset-password")
def user_reset_password(
    ctx: typer.Context,
    username: str,
    password_stdin: Annotated[bool, typer.Option(help="Read the new password from standard input.")] = False,
) -> None:
    """Give a user a new password (generated, or read from stdin) that they must change at their
    next login; their sessions end. A generated one is printed this once."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    user, issued = node_of(ctx).accounts.reset_password(SYSTEM, _user_id(ctx, username), password)
    err.print(f"reset the password of {shown(user.username)}; they must change it at their next login")
    if password is None:
        out.print(issued, markup=False)


@user_app.command("end-sessions")
def user_end_sessions(ctx: typer.Context, username: str) -> None:
    """Log a user out everywhere."""
    ended = node_of(ctx).accounts.end_sessions(SYSTEM, _user_id(ctx, username))
    out.print(f"ended {ended} session(s) of {shown(username)}")


@key_app.command("list")
def key_list(ctx: typer.Context, org: OrgOpt, json_out: JsonOpt = False) -> None:
    """The organisation's API keys (prefixes and metadata, never the keys), with their ids."""
    node = node_of(ctx)
    organisation = node.accounts.store.organisation_by_name(org)
    rows = [
        {
            "id": k.id,
            "prefix": k.prefix,
            "name": k.name,
            "roles": " ".join(sorted(k.roles)),
            "scopes": " ".join(sorted(k.scopes)),
            "acts_for": k.user,
            "expires_at": _when(k.expires_at),
            "revoked_at": _when(k.revoked_at),
            "old_secret_until": _when(k.previous_valid_until),
            "state": _key_state(k),
        }
        for k in node.accounts.keys(SYSTEM, organisation.id)
    ]
    print_rows(rows, KEY_COLUMNS if json_out else KEY_TABLE, OutputFormat.JSON if json_out else OutputFormat.TABLE)


def _key_state(key: ApiKey) -> str:
    if key.revoked_at is not None:
        return f"revoked {key.revoked_at:%Y-%m-%d}"
    if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
        return "expired"
    if key.previous_valid_until is not None and key.previous_valid_until > datetime.now(UTC):
        return f"rotated; old until {key.previous_valid_until:%Y-%m-%d %H:%M}"
    return f"expires {key.expires_at:%Y-%m-%d}" if key.expires_at else "active"


@key_app.command("rotate")
def key_rotate(
    ctx: typer.Context,
    key_id: int,
    grace_hours: Annotated[int, typer.Option(min=0, max=168, help="How long the old secret keeps working.")] = 24,
) -> None:
    """A new secret for a key, printed this once; the old one works for --grace-hours more."""
    issued = node_of(ctx).accounts.rotate_key(SYSTEM, key_id, grace_hours)
    err.print(
        f"key {issued.key.prefix} rotated; the old secret works until {_when(issued.key.previous_valid_until)}. "
        "Store the new one now, it is not shown again:"
    )
    out.print(issued.token, markup=False)


@key_app.command("create")
def key_create(
    ctx: typer.Context,
    name: str,
    org: Annotated[str, typer.Option(help="Organisation name.")],
    role: RolesOpt,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", "-s", help="Limit the key (repeatable): hash, match, read, write, admin, audit."),
    ] = None,
    expires_in_days: Annotated[int | None, typer.Option(min=1, max=3650)] = None,
    for_user: Annotated[
        str | None, typer.Option("--for", help="The user it acts for (needed to grade); none: a machine's key.")
    ] = None,
) -> None:
    """Issue an API key and print it: it is shown this once."""
    node = node_of(ctx)
    organisation = node.accounts.store.organisation_by_name(org)
    try:
        scopes = frozenset(Scope(s) for s in scope) if scope else frozenset(Scope)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc
    issued = node.accounts.create_key(
        SYSTEM, organisation.id, name, parse_roles(role), scopes, expires_in_days, for_user
    )
    err.print(f"key {issued.key.prefix} for {shown(organisation.name)}; store it now, it is not shown again:")
    out.print(issued.token, markup=False)


@key_app.command("revoke")
def key_revoke(ctx: typer.Context, key_id: int) -> None:
    node = node_of(ctx)
    key = node.accounts.revoke_key(SYSTEM, key_id)
    out.print(f"revoked key {key.prefix} ({shown(key.name)})")


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    against: Annotated[
        list[Path] | None,
        typer.Option(
            "--against",
            exists=True,
            help="A checkpoint file, or a directory of them (repeatable): each must be signed with this "
            "node's key, and the chain must still reach its head.",
        ),
    ] = None,
) -> None:
    """Walk the chain: exit 6 if any event was edited, deleted or reordered. Prints the head hash.

    Against checkpoints, also exit 6 if one's HMAC does not check, or the chain was re-computed or
    cut short before it: what a plain walk cannot see.
    """
    from alliance.services.checkpoints import load_key, read_checkpoints, verify_against

    node = node_of(ctx)
    if against:
        files = [entry for path in against for entry in read_checkpoints(path)]
        key = load_key(node.settings.audit_key_path, create=False)
        count, head, problems = verify_against(node.audit, key, files)
    else:
        count, head, problems = node.audit.verify()
    for problem in problems:
        err.print(f"problem: {shown(problem)}")
    if problems:
        raise typer.Exit(6)
    checked = f"; matches {len(files)} checkpoint(s)" if against else ""
    out.print(f"audit log intact: {count} events, head {head or '(empty)'}{checked}", markup=False)


@audit_app.command("checkpoint")
def audit_checkpoint(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="A file, or a directory to hold one file per checkpoint named by sequence "
            "(default: ALLIANCE_AUDIT_CHECKPOINT_DIR).",
        ),
    ] = None,
) -> None:
    """Sign the chain's head with the audit key (outside the database) and write it: keep it off
    the machine, and `audit verify --against` it later."""
    from alliance.services.checkpoints import write_checkpoint

    node = node_of(ctx)
    if output is None:
        output = node.settings.audit_checkpoint_path
        output.mkdir(parents=True, exist_ok=True)
    checkpoint = node.audit.checkpoint(node.audit_key, node.identity)
    path = write_checkpoint(checkpoint, output)
    out.print(f"checkpoint at event {checkpoint.seq}, head {checkpoint.head}: {path}", markup=False)


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")
    ] = None,
) -> None:
    """Write every audit event as JSON lines."""
    node = node_of(ctx)
    if output is None:
        sys.stdout.writelines(node.audit.export_lines())
        return
    with output.open("w", encoding="utf-8") as f:
        f.writelines(node.audit.export_lines())
    err.print(f"wrote {output}", markup=False)


def install(root: typer.Typer) -> None:
    root.add_typer(org_app, name="org")
    root.add_typer(user_app, name="user")
    root.add_typer(key_app, name="key")
    root.add_typer(audit_app, name="audit")
