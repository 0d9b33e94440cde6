"""`alliance --help` and `alliance config show` start fast: the heavy packages (numerics, hashing,
the store, the web server) are imported where they are used, not when the CLI starts. Counted in
a fresh interpreter, not timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import alliance

HEAVY = ("numba", "numpy", "sqlalchemy", "alembic", "PIL", "fastapi", "starlette", "uvicorn", "pdqhash", "argon2")

PROBE = """
import json, sys
from alliance.cli.main import main
code = main(sys.argv[1:])
sys.stdout.flush()
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def modules_after(args: list[str], home: Path) -> set[str]:
    """The modules a fresh interpreter holds after running `alliance <args>`."""
    source = str(Path(alliance.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": source, "ALLIANCE_HOME": str(home), "COLUMNS": "100"}
    env.pop("ALLIANCE_DATABASE_URL", None)
    run = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, check=True)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, run.stderr
    return set(report["modules"])


def heavy_in(modules: set[str]) -> list[str]:
    return sorted({name.split(".")[0] for name in modules} & set(HEAVY))


@pytest.mark.parametrize("args", [["--help"], ["config", "show"], ["bank", "--help"]], ids=" ".join)
def test_the_cli_starts_without_the_heavy_packages(args: list[str], tmp_path: Path) -> None:
    assert heavy_in(modules_after(args, tmp_path)) == []


def test_a_command_that_needs_the_store_still_loads_it(tmp_path: Path) -> None:
    """The probe can see heavy packages: the budget above is not vacuous."""
    assert "sqlalchemy" in heavy_in(modules_after(["bank", "list"], tmp_path))


def test_a_command_installs_only_its_own_module_and_help_installs_all(tmp_path: Path) -> None:
    """`config show` does not import what other commands' options need (formats, the record)."""
    from alliance.cli.main import COMMAND_MODULES

    clis = {f"alliance.cli.{name}" for name in COMMAND_MODULES.values()}
    config = modules_after(["config", "show"], tmp_path)
    assert clis & config == {"alliance.cli.admin"}
    assert "alliance.formats.vics_json" not in config and "alliance.core.record" not in config
    assert clis <= modules_after(["--help"], tmp_path)
