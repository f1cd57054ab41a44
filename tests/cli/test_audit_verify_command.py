"""`kapbot audit verify` starts as fast as it can: it loads its own command and what that
needs, never the FHIR models or the other commands' modules (its verdicts are tested in
tests/store/test_audit_chain.py). `kapbot --help` still lists every command."""

import json
import subprocess
import sys
from pathlib import Path

from kapbot.cli import COMMANDS
from kapbot.store.db import Database
from tests.test_cli import kapbot

LOADED = """
import json, sys
from kapbot.cli import main
try:
    main(["audit", "verify", "--json"])
except SystemExit as exit:
    print(json.dumps({"code": exit.code, "modules": sorted(sys.modules)}))
"""


def test_audit_verify_loads_no_other_command(db: Database, tmp_path: Path) -> None:
    url = db.url.render_as_string(hide_password=False)
    done = subprocess.run([sys.executable, "-c", LOADED], capture_output=True, text=True,
                          cwd=tmp_path, env={"KAPBOT_DATABASE_URL": url, "PATH": ""},
                          timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    verdict, loaded = done.stdout.strip().splitlines()
    assert json.loads(verdict)["whole"] is True
    modules = set(json.loads(loaded)["modules"])
    assert json.loads(loaded)["code"] == 0
    commands = {m for m in modules if m.startswith("kapbot.cli.")}
    assert commands == {"kapbot.cli.audit", "kapbot.cli.common"}
    assert not {m for m in modules if m.split(".")[0] == "fhir" or m.startswith("kapbot.fhir")}
    assert "kapbot.app" not in modules


def test_kapbot_help_lists_every_command_with_its_help(tmp_path: Path) -> None:
    result = kapbot("--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("Commands:", 1)[1].splitlines()
    rows = dict(line.split(maxsplit=1) for line in listed if line.strip())
    assert sorted(rows) == sorted(COMMANDS)
    assert rows["audit"] == "Prove the audit trail has not been altered, and export it."
    assert rows["export"] == "Export the clinic's records for other systems."
    assert all(rows.values())


def test_audit_verify_help_is_its_own(tmp_path: Path) -> None:
    result = kapbot("audit", "verify", "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Recompute the hash chain; exit 1 naming the first bad entry." in result.stdout
