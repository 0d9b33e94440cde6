"""What every command needs: the settings, the node (built on first use), and consoles.

The CLI starts light: a command module imports the store, the services and the hashing code inside
the commands that use them, so that `alliance --help` and `config show` load none of them
(tests/cli/test_import_budget.py counts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from alliance.cli.node import Node
    from alliance.settings import Settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root command read (`main._settings`)."""
    settings: Settings = ctx.find_root().obj
    return settings


def node_of(ctx: typer.Context) -> Node:
    """The node, acting as the operator at the command line; built once per run, on first use."""
    from alliance.cli.node import Node

    root = ctx.find_root()
    if "alliance.node" not in root.meta:
        root.meta["alliance.node"] = Node(settings_of(ctx))
    node: Node = root.meta["alliance.node"]
    return node
