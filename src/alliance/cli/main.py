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
from importlib import import_module

import typer

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

COMMAND_MODULES = {
    "bank": "banks",
    "db": "admin",
    "config": "admin",
    "index": "admin",
    "demo": "admin",
    "org": "accounts",
    "user": "accounts",
    "key": "accounts",
    "audit": "accounts",
    "alliance": "alliance",
    "report": "alliance",
    "review": "review",
    "series": "investigations",
    "case": "investigations",
    "hash": "hashing",
    "match": "matching",
    "serve": "serve",
    "demo-credentials": "serve",
    "backup": "backup",
    "restore": "backup",
}
"""The module that installs each command. A run installs only its command's module, so that
`alliance config show` does not import what every other command's options need; `--help`, no
command or an unknown one install them all."""


def install_commands(argv: list[str]) -> None:
    """Install the modules this command line needs (each at most once per process)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    everything = list(dict.fromkeys(COMMAND_MODULES.values()))  # in the order `--help` lists them
    wanted = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else everything
    for name in wanted:
        if name not in _installed:
            import_module(f"alliance.cli.{name}").install(app)
            _installed.add(name)


_installed: set[str] = set()


@app.callback()
def _settings(ctx: typer.Context) -> None:
    """Read the settings; the node is built by the first command that needs it (`context.node_of`)."""
    from alliance.settings import Settings

    ctx.obj = Settings()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error is one line on stderr and a documented exit code."""
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    args = sys.argv[1:] if argv is None else argv
    try:
        install_commands(args)
        app(args=args, prog_name="alliance")  # Typer's standalone mode exits via SystemExit
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
