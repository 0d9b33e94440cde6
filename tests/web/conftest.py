"""The web pages on a served node: a demo-like node on SQLite, served by uvicorn on a free port in a
thread, and Chromium driven by Playwright.

Playwright cannot download its own browser here: the tests launch Debian's `chromium` (`make
browser` installs it). Without it the browser tests skip, saying so, unless ALLIANCE_REQUIRE_BROWSER=1
(as `.ci/run` sets), which makes a missing browser a failure. Every browser context a test opens
records its requests: a request to another origin fails the test (nothing is loaded from a CDN),
whichever page made it (`no_other_origin`); `test_every_page_axe.py` opens every page.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from alliance.asgi import create_app
from alliance.core.access import SYSTEM
from alliance.node import Node
from alliance.services.alliance_demo import load_alliance_demo
from alliance.services.demo import DemoLogin, seed_demo_node
from alliance.settings import Settings

REQUIRE_BROWSER = os.environ.get("ALLIANCE_REQUIRE_BROWSER") == "1"
NO_BROWSER = "browser tests need Debian's chromium (`make browser`, or apt-get install chromium) and playwright"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip
AXE_IMPACTS_REFUSED = frozenset({"serious", "critical"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A node served over HTTP, with the demo's logins (username -> password)."""

    url: str
    node: Node
    settings: Settings
    logins: dict[str, DemoLogin] = field(default_factory=dict)

    def password(self, username: str) -> str:
        return self.logins[username].password


def web_settings(home: Path) -> Settings:
    return Settings(home=home, database_url=None, hash_jobs=1, match_refresh_seconds=0, audit_checkpoint_seconds=0)


def seed(settings: Settings) -> dict[str, DemoLogin]:
    """What `alliance serve --demo` loads: organisations, a login per role, banks, the Alliance's record."""
    node = Node(settings)
    try:
        logins = seed_demo_node(node.accounts, node.banks_for, settings.home / "demo-credentials.json")
        load_alliance_demo(
            node.alliance_for(SYSTEM), node.figures_for(SYSTEM), {"United States authorities": "Alliance Secretariat"}
        )
    finally:
        node.close()
    return {login.username: login for login in logins}


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = web_settings(tmp_path_factory.mktemp("web") / "home")
    logins = seed(settings)
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", app.state.node, settings, logins)
    server.should_exit = True
    thread.join(timeout=10)


class GuardedBrowser:
    """Chromium, whose every context records the URLs its pages request (popups and downloads
    too) and what the Content-Security-Policy stopped them loading, so that a test can be failed
    for either (`no_other_origin`): the policy blocks a CDN's script, but the page meant to load it."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.requested: list[str] = []
        self.blocked: list[str] = []

    def new_context(self, **options: Any) -> Any:
        context = self.browser.new_context(**options)
        context.on("request", lambda request: self.requested.append(request.url))
        context.on("page", self._watch)
        return context

    def _watch(self, page: Any) -> None:
        def console(message: Any) -> None:
            if message.type == "error" and "Content Security Policy" in message.text:
                self.blocked.append(message.text)

        page.on("console", console)

    def foreign(self, origin: str) -> list[str]:
        """What was requested from anywhere but `origin` (data: URLs stay in the page), and what the
        policy refused to load."""
        elsewhere = [url for url in self.requested if not url.startswith((origin + "/", "data:", "about:", "blob:"))]
        return elsewhere + self.blocked

    def forget(self) -> None:
        self.requested.clear()
        self.blocked.clear()


@pytest.fixture(autouse=True)
def no_other_origin(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails any test that drove the browser if one of its pages, in any context it opened,
    loaded anything from another origin: every page a browser test opens is checked."""
    if "browser" not in request.fixturenames:
        yield
        return
    guard: GuardedBrowser = request.getfixturevalue("browser")
    served: Served = request.getfixturevalue("served")
    guard.forget()
    yield
    foreign = guard.foreign(served.url)
    guard.forget()
    assert foreign == [], "a page loaded (or tried to load) something from another origin"


@pytest.fixture(scope="session")
def browser() -> Iterator[GuardedBrowser]:
    executable = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        if REQUIRE_BROWSER:
            pytest.fail(NO_BROWSER)
        pytest.skip(NO_BROWSER)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield GuardedBrowser(browser)
        browser.close()


class Visit:
    """A browser tab on the served node that remembers every URL it requested."""

    def __init__(self, page: Any, served: Served) -> None:
        self.page, self.served = page, served
        self.requested: list[str] = []
        page.on("request", lambda request: self.requested.append(request.url))

    def open(self, path: str) -> Any:
        response = self.page.goto(self.served.url + path)
        return response

    def login(self, username: str, password: str | None = None) -> None:
        self.open("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password or self.served.password(username))
        self.page.locator("form[action='/login'] button[type=submit]").click()
        self.page.wait_for_load_state()

    def foreign_requests(self) -> list[str]:
        """Requests that left the node: anything not on its origin (data: URLs stay in the page)."""
        return [url for url in self.requested if not url.startswith((self.served.url + "/", "data:", "about:"))]

    def accessibility_problems(self) -> list[str]:
        """axe-core's serious and critical violations on the page as it is now."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v.get("impact") in AXE_IMPACTS_REFUSED
        ]


@pytest.fixture
def visit(browser: Any, served: Served) -> Iterator[Visit]:
    """A fresh browser context (no cookies) at 1280 px, in English; fails the test on a foreign request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    tab = Visit(context.new_page(), served)
    yield tab
    context.close()
    assert tab.foreign_requests() == [], "a page loaded something from another origin"
