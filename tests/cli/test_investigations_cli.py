"""`alliance series` and `alliance case` as an investigator runs them, from files and from pictures."""

from __future__ import annotations

import io
import json

from tests.cli.test_cli import home, run  # noqa: F401 (a fixture)


def test_an_investigator_imports_scans_and_exports_a_case(capsys, home, photos, monkeypatch, tmp_path):  # noqa: F811
    assert run(capsys, "org", "create", "DE Police", "--country", "DE", "--kind", "law_enforcement")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert run(capsys, "user", "create", "kim", "--org", "DE Police", "-r", "investigator", "--password-stdin")[0] == 0

    def as_kim() -> list[str]:
        monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
        return ["--as", "kim", "--password-stdin"]

    code, out, _ = run(capsys, "case", "open", "DE-2026-5", "--contact-point", "LKA desk", *as_kim())
    assert code == 0 and "case 1" in out
    listing = tmp_path / "seized.csv"
    listing.write_text("signal_type,signal_value\nmd5,00000000000000000000000000000001\n")
    priority = tmp_path / "priority.csv"
    code, out, _ = run(
        capsys, "case", "import", "1", str(listing), "-f", "te-csv", "--priority-list", str(priority), *as_kim()
    )
    assert code == 0 and "unknown            1" in out
    assert "00000000000000000000000000000001" in priority.read_text()
    code, out, _ = run(capsys, "case", "scan", "1", str(photos[0]), str(photos[1]), *as_kim())
    assert code == 0 and "2 items" in out
    export = tmp_path / "case.json"
    assert run(capsys, "case", "export", "1", "-o", str(export), *as_kim())[0] == 0
    document = json.loads(export.read_text())
    assert document["value"][0]["CaseNumber"] == "DE-2026-5" and len(document["value"][0]["Media"]) == 3
    # The operator at the console is not police: the case does not exist for it.
    code, _, err = run(capsys, "case", "list", "--as", "nobody", "--password-stdin")
    assert code == 4
    code, _, err = run(capsys, "series", "victim", "1", "Anna Schmidt", *as_kim())
    assert code == 3  # no series 1 yet: nothing to add to, and nothing was written
    assert run(capsys, "series", "create", "Beach", *as_kim())[0] == 0
    code, _, err = run(capsys, "series", "victim", "1", "Anna Schmidt", *as_kim())
    assert code == 4 and "pseudonym" in err
