"""Entry point of `alliance`. Exit codes, the same for every command:

 0  success (for `match`: at least one match)
 1  `match` found nothing
 2  usage error: unknown option, missing argument
 3  not found: unknown bank or entry
 4  invalid input: a malformed hash or file, media that cannot be hashed, a bad request
 5  conflict: a duplicate bank or entry
 6  the store or a saved index cannot be used
70  a bug: please report it with the traceback
"""

from __future__ import annotations

import logging
import sys
import traceback

import typer

from alliance.cli import accounts, admin, alliance, banks, hashing, matching, review, serve
from alliance.cli.context import err
from alliance.cli.output import shown
from alliance.core.errors import AllianceError

EXIT_NO_MATCH = 1

app = typer.Typer(
    name="alliance",
    help="Alliance: hash banks and matching for the Global Alliance against Child Sexual Abuse Online. "
    "Stores hashes, never media.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(banks.app, name="bank")
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.config_app, name="config")
app.add_typer(admin.index_app, name="index")
app.add_typer(accounts.org_app, name="org")
app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.key_app, name="key")
app.add_typer(accounts.audit_app, name="audit")
app.add_typer(alliance.alliance_app, name="alliance")
app.add_typer(alliance.report_app, name="report")
app.add_typer(review.app, name="review")
hashing.register(app)
matching.register(app)
admin.register(app)
serve.register(app)
serve.register_credentials(app)


@app.callback()
def _settings(ctx: typer.Context) -> None:
    """Read the settings; the node is built by the first command that needs it (`context.node_of`)."""
    from alliance.settings import Settings

    ctx.obj = Settings()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error is one line on stderr and a documented exit code."""
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    try:
        app(args=argv, prog_name="alliance")  # Typer's standalone mode exits via SystemExit
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except AllianceError as exc:
        err.print(f"error: {shown(exc)}")
        return exc.exit_code
    except Exception:  # a bug: keep the traceback, it is what a report needs
        traceback.print_exc()
        return 70
    return 0


def run() -> None:
    sys.exit(main())
