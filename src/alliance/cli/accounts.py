"""Operator commands for organisations, users, API keys and the audit log.

These are how a node gets its first admin: the command line acts as the node operator.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from alliance.cli.context import Node, err, out
from alliance.cli.output import OutputFormat, print_rows, shown
from alliance.core.access import SYSTEM, Scope, parse_roles
from alliance.core.errors import InvalidRequest

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


@org_app.command("create")
def org_create(ctx: typer.Context, name: str, country: Annotated[str, typer.Option(help="ISO 3166 code.")]) -> None:
    node: Node = ctx.obj
    org = node.accounts.create_organisation(SYSTEM, name, country)
    out.print(f"created organisation {shown(org.name)} (id {org.id}, {shown(org.country)})")


@org_app.command("list")
def org_list(ctx: typer.Context) -> None:
    node: Node = ctx.obj
    rows = [{"id": o.id, "name": o.name, "country": o.country} for o in node.accounts.organisations(SYSTEM)]
    print_rows(rows, ["id", "name", "country"], OutputFormat.TABLE)


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    username: str,
    org: Annotated[str, typer.Option(help="Organisation name.")],
    role: RolesOpt,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Create a user; the password is asked for (or read from stdin), never passed as an argument."""
    node: Node = ctx.obj
    organisation = node.accounts.store.organisation_by_name(org)
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("password", hide_input=True, confirmation_prompt=True)
    )
    user = node.accounts.create_user(SYSTEM, organisation.id, username, password, parse_roles(role))
    out.print(f"created user {shown(user.username)} (id {user.id}) in {shown(organisation.name)}")


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
) -> None:
    """Issue an API key and print it: it is shown this once."""
    node: Node = ctx.obj
    organisation = node.accounts.store.organisation_by_name(org)
    try:
        scopes = frozenset(Scope(s) for s in scope) if scope else frozenset(Scope)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc
    issued = node.accounts.create_key(SYSTEM, organisation.id, name, parse_roles(role), scopes, expires_in_days)
    err.print(f"key {issued.key.prefix} for {shown(organisation.name)}; store it now, it is not shown again:")
    out.print(issued.token, markup=False)


@key_app.command("revoke")
def key_revoke(ctx: typer.Context, key_id: int) -> None:
    node: Node = ctx.obj
    key = node.accounts.revoke_key(SYSTEM, key_id)
    out.print(f"revoked key {key.prefix} ({shown(key.name)})")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Walk the chain: exit 6 if any event was edited, deleted or reordered. Prints the head hash."""
    node: Node = ctx.obj
    count, head, problems = node.audit.verify()
    for problem in problems:
        err.print(f"problem: {shown(problem)}")
    if problems:
        raise typer.Exit(6)
    out.print(f"audit log intact: {count} events, head {head or '(empty)'}", markup=False)


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")
    ] = None,
) -> None:
    """Write every audit event as JSON lines."""
    node: Node = ctx.obj
    if output is None:
        sys.stdout.writelines(node.audit.export_lines())
        return
    with output.open("w", encoding="utf-8") as f:
        f.writelines(node.audit.export_lines())
    err.print(f"wrote {output}", markup=False)
