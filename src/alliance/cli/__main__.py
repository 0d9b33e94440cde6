"""`python -m alliance.cli`: the same as the `alliance` command."""

from alliance.cli.main import run

run()
