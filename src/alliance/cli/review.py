"""`alliance review ...`: the trust queues from the command line.

The operator acts as the node (a node admin) by default; `--as USERNAME` acts as one of the
node's users instead, proven by that user's password (asked for, or read from standard input):
grades belong to people, so the operator cannot grade in someone else's name. Every action is
audited under the user's name.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import click
import typer

from alliance.cli.context import node_of, out
from alliance.cli.output import JsonOpt, OutputFormat, print_rows
from alliance.core.access import SYSTEM, Principal
from alliance.core.errors import InvalidRequest
from alliance.core.trust import DisputeOutcome, Grade, Queue

if TYPE_CHECKING:
    from alliance.cli.node import Node

app = typer.Typer(help="Grade entries, settle reviews and disputes, lift quarantines.", no_args_is_help=True)

AsOpt = Annotated[str | None, typer.Option("--as", help="Act as this user of the node (asks for their password).")]
PasswordStdinOpt = Annotated[bool, typer.Option(help="Read the --as user's password from standard input.")]
EntryArg = Annotated[int, typer.Argument(help="Entry id.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (kept with the entry's history).")]


def _principal(node: Node, username: str | None, password_stdin: bool = False) -> Principal:
    if username is None:
        return SYSTEM
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not sys.stdin.isatty():  # nowhere to type it without echoing it
        raise InvalidRequest("no terminal to type the password on: pipe it in with --password-stdin")
    else:
        try:
            password = typer.prompt("password", hide_input=True, err=True)
        except click.exceptions.Abort:
            raise InvalidRequest("no password given: type it, or pipe it in with --password-stdin") from None
    return node.accounts.verify_user(username, password)


def _grade(illegal: bool, age_band: str, severity: int | None, baseline: bool) -> Grade:
    return Grade.from_json(
        {"illegal": illegal, "age_band": age_band, "severity": severity, "baseline": baseline}
        if illegal
        else {"illegal": False, "age_band": age_band}
    )


IllegalOpt = Annotated[bool, typer.Option("--illegal/--not-illegal", help="Whether the material is illegal.")]
AgeOpt = Annotated[str, typer.Option(help="infant, prepubescent, pubescent, adult or none.")]
SeverityOpt = Annotated[int | None, typer.Option(min=1, max=3, help="1 (most severe) to 3, for illegal material.")]
BaselineOpt = Annotated[bool, typer.Option(help="INTERPOL Baseline: illegal in any country.")]


@app.command("queue")
def queue(
    ctx: typer.Context,
    kind: Annotated[Queue, typer.Option(help="grading, review, disputes or quarantine.")] = Queue.GRADING,
    as_user: AsOpt = None,
    password_stdin: PasswordStdinOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Entries waiting: to grade, or to settle."""
    node = node_of(ctx)
    trust = node.trust_for(_principal(node, as_user, password_stdin))
    columns = ["entry", "bank", "status", "source"]
    if kind is Queue.DISPUTES:  # the curators decide on the reasons: show who disputes and why
        rows = [
            {"entry": e.id, "bank": e.bank_id, "status": e.status.value, "source": e.source}
            | {
                "organisation": d.organisation,
                "reason": d.reason,
                "disputed": d.created_at.isoformat(timespec="seconds"),
            }
            for e, disputes in trust.disputes_queue()
            for d in disputes
        ]
        columns += ["organisation", "reason", "disputed"]
    else:
        rows = [
            {"entry": e.id, "bank": e.bank_id, "status": e.status.value, "source": e.source} for e in trust.queue(kind)
        ]
    print_rows(rows, columns, OutputFormat.of(json_out))


@app.command("grade")
def grade(
    ctx: typer.Context,
    entry_id: EntryArg,
    illegal: IllegalOpt,
    age_band: AgeOpt,
    as_user: Annotated[str, typer.Option("--as", help="The grader: a user of the node (asks for their password).")],
    password_stdin: PasswordStdinOpt = False,
    severity: SeverityOpt = None,
    baseline: BaselineOpt = False,
) -> None:
    """Grade a proposed entry (once per grader)."""
    node = node_of(ctx)
    entry, verdict = node.trust_for(_principal(node, as_user, password_stdin)).grade(
        entry_id, _grade(illegal, age_band, severity, baseline)
    )
    out.print(f"entry {entry.id}: {verdict.value} ({entry.status.value})", markup=False)


@app.command("settle")
def settle(
    ctx: typer.Context,
    entry_id: EntryArg,
    illegal: IllegalOpt,
    age_band: AgeOpt,
    reason: ReasonOpt,
    severity: SeverityOpt = None,
    baseline: BaselineOpt = False,
    as_user: AsOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Settle graders' disagreement with the grade that stands."""
    node = node_of(ctx)
    entry = node.trust_for(_principal(node, as_user, password_stdin)).resolve_review(
        entry_id, _grade(illegal, age_band, severity, baseline), reason
    )
    out.print(f"entry {entry.id}: {entry.status.value}", markup=False)


@app.command("resolve-dispute")
def resolve_dispute(
    ctx: typer.Context,
    entry_id: EntryArg,
    outcome: Annotated[DisputeOutcome, typer.Option(help="entry_stands or false_positive.")],
    reason: ReasonOpt,
    as_user: AsOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    node = node_of(ctx)
    entry = node.trust_for(_principal(node, as_user, password_stdin)).resolve_dispute(entry_id, outcome, reason)
    out.print(f"entry {entry.id}: {entry.status.value}", markup=False)


@app.command("lift")
def lift(
    ctx: typer.Context,
    entry_id: EntryArg,
    reason: ReasonOpt,
    as_user: AsOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Lift a flood quarantine after review."""
    node = node_of(ctx)
    entry = node.trust_for(_principal(node, as_user, password_stdin)).lift_quarantine(entry_id, reason)
    out.print(f"entry {entry.id}: {entry.status.value}", markup=False)


@app.command("history")
def history(
    ctx: typer.Context,
    entry_id: EntryArg,
    as_user: AsOpt = None,
    password_stdin: PasswordStdinOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Every status change of an entry: who, why, and the numbers."""
    node = node_of(ctx)
    rows = [
        {
            "at": t.at.isoformat(timespec="seconds"),
            "from": t.from_status,
            "to": t.to_status,
            "by": t.actor,
            "reason": t.reason,
            "details": t.details,
        }
        for t in node.trust_for(_principal(node, as_user, password_stdin)).history(entry_id)
    ]
    print_rows(rows, ["at", "from", "to", "by", "reason", "details"], OutputFormat.of(json_out))


def install(root: typer.Typer) -> None:
    root.add_typer(app, name="review")
