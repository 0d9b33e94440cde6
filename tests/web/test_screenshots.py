"""Screenshots of each role's home page at 1280 px into docs/screenshots/ (`make screenshots`).

Skipped unless ALLIANCE_SCREENSHOTS=1, so the suite never rewrites the documentation by itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.web.conftest import Visit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("ALLIANCE_SCREENSHOTS") != "1", reason="`make screenshots` regenerates them"),
]
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ROLES = {
    "analyst": "uk-analyst",
    "investigator": "de-investigator",
    "platform": "us-platform",
    "org-admin": "uk-admin",
    "auditor": "uk-auditor",
    "node-admin": "admin",
    "secretariat": "secretariat",
}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_home_page_screenshot(visit: Visit, role: str):
    visit.login(ROLES[role])
    OUT.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(OUT / f"{role}.png"), full_page=True)
    assert (OUT / f"{role}.png").stat().st_size > 0
