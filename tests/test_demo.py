"""`kapbot demo`, as a newcomer runs it: the whole pathway, then a verified audit chain."""

import os
import subprocess
import sys
from pathlib import Path

KAPBOT = Path(sys.executable).parent / "kapbot"


def test_the_demo_plays_the_pathway_and_leaves_a_database_to_explore(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAPBOT_", "SLACK_"))}
    env["KAPBOT_DATABASE_URL"] = "sqlite:////nonexistent/clinic.db"  # never touched by a demo
    done = subprocess.run([str(KAPBOT), "demo"], cwd=tmp_path, env={**env, "COLUMNS": "100"},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "Too early: this session may start from" in out
    assert ("Double check failed: the dose read off the dispensed tablets does not" in out)
    assert "Post-session summary · KAP-0042" in out
    assert "Acknowledged by @rowe" in out
    read = " ".join(line.strip("│ ") for line in out.splitlines())  # as one reads the panels
    assert read.count("pre-session checklist is not done") == 2  # 24 h and 2 h before
    assert "sign-off is still missing" in read
    assert "Missed presence check-in:* *KAP-0042* — check-in 2" in read
    assert "Missed presence check-in (reminder 1)" in read
    assert "Integration session is due" in read
    assert "it is marked *missed*" in read
    assert "Audit chain intact:" in out
    assert (tmp_path / "kapbot-demo.db").exists()
    verify = subprocess.run([str(KAPBOT), "audit", "verify"], cwd=tmp_path, text=True,
                            capture_output=True, timeout=60, check=False,
                            env={**env, "KAPBOT_DATABASE_URL": "sqlite:///kapbot-demo.db"})
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("audit chain intact:")
