"""`alliance serve`: run the node's HTTP API; `--demo` first loads demo organisations, logins and a bank."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from alliance.cli.context import node_of, out
from alliance.core.errors import NotFound

if TYPE_CHECKING:
    from alliance.cli.node import Node
    from alliance.services.demo import DemoLogin

API_APP = "alliance.asgi:app_from_env"
API_PROTOCOL = "alliance.api.server:HeadLimitedProtocol"
"""The app (the API and the web pages) by name: uvicorn imports it in each worker process. The CLI
starts the server and never imports the API or the pages itself (adapters do not import each
other; `make lint` checks it)."""


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: Annotated[str | None, typer.Option(help="Address to listen on (default ALLIANCE_HOST).")] = None,
        port: Annotated[int | None, typer.Option(help="Port (default ALLIANCE_PORT).")] = None,
        workers: Annotated[int | None, typer.Option(min=1, help="Server processes (default ALLIANCE_WORKERS).")] = None,
        demo: Annotated[bool, typer.Option("--demo", help="Load demo organisations, logins and a bank first.")] = False,
    ) -> None:
        """Serve the API. Each process loads the PDQ index and follows the store's change log."""
        import uvicorn

        from alliance.services.alliance_demo import load_alliance_demo
        from alliance.services.demo import seed_demo_node

        node = node_of(ctx)
        settings = node.settings
        overrides = {"HOST": host, "PORT": port, "WORKERS": workers}
        for name, value in overrides.items():
            if value is not None:
                os.environ[f"ALLIANCE_{name}"] = str(value)
        os.environ["ALLIANCE_HOME"] = str(settings.home.resolve())
        host, port, workers = host or settings.host, port or settings.port, workers or settings.workers
        if demo:
            logins = seed_demo_node(node.accounts, node.banks_for, settings.home / "demo-credentials.json")
            # The Alliance's facts, and illustrative commitments, reports and figures; the demo
            # secretariat organisation holds the secretariat.
            load_alliance_demo(node.alliance, node.figures, {"United States authorities": "Alliance Secretariat"})
            _print_demo(f"http://{host}:{port}", logins)
        node.matcher.index.save()  # one index file for every worker to load, instead of each rebuilding
        _metrics_dir(settings.home, workers)
        node.close()
        checkpoints = _start_checkpoints(node)
        out.print(
            f"Alliance node on http://{host}:{port} with {workers} worker(s); Ctrl-C stops\n"
            f"  web pages:  http://{host}:{port}/login\n  API docs:   http://{host}:{port}/docs",
            markup=False,
        )
        uvicorn.run(
            API_APP,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,  # the audit log says who asked; uvicorn would build a line per request to drop it
            # Bounds a client without a credential could otherwise push: idle and half-sent requests,
            # the size of a request's head, connections at once (503 beyond), and the accept queue.
            http=API_PROTOCOL,
            timeout_keep_alive=settings.http_keep_alive_seconds,
            h11_max_incomplete_event_size=settings.http_max_header_bytes,
            limit_concurrency=settings.http_max_connections,
            backlog=settings.http_backlog,
        )
        if checkpoints is not None:
            checkpoints.set()


def _metrics_dir(home: Path, workers: int) -> None:
    """With several workers, /metrics sums every worker's counters (prometheus-client's multiprocess
    mode: each worker writes its own files here). Emptied at start: counters restart with the server,
    as they do with one worker."""
    if workers <= 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    folder = home.resolve() / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _start_checkpoints(node: Node) -> threading.Event | None:
    """Audit checkpoints from this process, not from each worker: one per interval, whatever the workers.

    The key is loaded now, so that an unsafe key file stops the start with its error."""
    from alliance.services.checkpoints import checkpoint_every

    settings = node.settings
    if settings.audit_checkpoint_seconds == 0:
        return None
    return checkpoint_every(
        settings.audit_checkpoint_seconds, node.audit, node.audit_key, node.identity, settings.audit_checkpoint_path
    )


def register_credentials(app: typer.Typer) -> None:
    @app.command("demo-credentials")
    def demo_credentials(
        ctx: typer.Context,
        user: Annotated[str | None, typer.Argument(help="One demo user, e.g. us-platform.")] = None,
        key: Annotated[bool, typer.Option("--key", help="Print only the user's API key (for scripts).")] = False,
    ) -> None:
        """Print the demo logins that `alliance serve --demo` created."""
        from alliance.services.demo import DemoLogin

        node = node_of(ctx)
        path = node.settings.home / "demo-credentials.json"
        if not path.exists():
            raise NotFound(f"no demo credentials in {path}; run `make run` (alliance serve --demo) first")
        logins = [DemoLogin(**row) for row in json.loads(path.read_text())]
        if user is not None:
            logins = [login for login in logins if login.username == user]
            if not logins:
                raise NotFound(f"no demo user called {user!r}")
        if key:
            out.print("\n".join(login.api_key for login in logins), markup=False)
            return
        _print_logins(logins)


def _print_logins(logins: list[DemoLogin]) -> None:
    for login in logins:
        out.print(
            f"  {login.username:<16} {', '.join(login.roles):<13} {login.organisation}\n"
            f"      password {login.password}\n      API key  {login.api_key}",
            markup=False,
        )


def _print_demo(url: str, logins: list[DemoLogin]) -> None:
    """Plain lines, not a table: keys must survive a narrow terminal whole, to be copied."""
    from alliance.services.demo import SHARED_BANK

    out.print(f"Log in at {url}/login with one of the demo logins", markup=False)
    out.print("Demo logins (`alliance demo-credentials` prints them again):", markup=False)
    _print_logins(logins)
    platform = next(login for login in logins if login.username == "us-platform")
    analyst = next(login for login in logins if login.username == "uk-analyst")
    photo = "src/alliance/demo/photos/coffee_cup.jpg"
    out.print(
        f"\nTry it (bank {SHARED_BANK} is shared for matching with DE and US, for reading with DE police):",
        markup=False,
    )
    out.print(
        "  .venv/bin/alliance report alliance --year 2014 --out var/report   # the Alliance report, as HTML\n"
        f"  curl -s {url}/readyz\n"
        f"  curl -s -H 'Authorization: Bearer {platform.api_key}' --data-binary @{photo} {url}/v1/match/upload\n"
        f"  curl -s -H 'Authorization: Bearer {analyst.api_key}' '{url}/v1/banks/{SHARED_BANK}/entries?limit=2'",
        markup=False,
    )


def install(root: typer.Typer) -> None:
    register(root)
    register_credentials(root)
