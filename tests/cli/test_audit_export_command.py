"""`kapbot audit export`: the audit trail as JSON Lines, a copy an auditor can check alone.

(`kapbot audit verify` naming the first edited, deleted or reordered entry is proven in
tests/store/test_audit_chain.py, through the real command on both databases.)
"""

import json
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from kapbot.store import audit
from tests.cli.conftest import Run
from tests.clinic import CODE, THERAPIST, Clinic, plan_form
from tests.test_cli import one_line_error

FIELDS = ["seq", "at", "actor", "action", "subject", "outcome", "reasons", "prev_hash",
          "entry_hash"]


def a_week_of_records(clinic: Clinic) -> None:
    """Entries 1–4 (the roster and KAP-0042) on 2 March at 09:00 UTC; 5 and 6 (a plan, and
    a therapist's refused plan) on 9 March at 23:30 UTC, which is 10 March in Berlin."""
    clinic.clock.advance(timedelta(days=7, hours=14, minutes=30))
    clinic.post_plan()
    assert clinic.services.post_plan(THERAPIST, CODE, plan_form()).refused


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def rehashes(entry: dict[str, Any]) -> bool:
    hashed = {k: v for k, v in entry.items() if k not in ("prev_hash", "entry_hash")}
    canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return audit.chain_hash(entry["prev_hash"], canonical) == entry["entry_hash"]


def test_the_export_is_one_checkable_entry_per_line(clinic: Clinic, run: Run) -> None:
    a_week_of_records(clinic)

    result = run("audit", "export", "--since", "2026-03-01")

    assert result.returncode == 0, result.stderr
    entries = lines(result.stdout)
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6]
    assert all(list(e) == FIELDS for e in entries)
    assert entries[0]["prev_hash"] == audit.GENESIS
    assert all(rehashes(e) for e in entries)
    assert all(later["prev_hash"] == earlier["entry_hash"]
               for earlier, later in pairwise(entries))
    assert (entries[5]["actor"], entries[5]["action"], entries[5]["outcome"]) == (
        THERAPIST, "post_plan", "refused")
    assert entries[5]["reasons"]
    assert entries[4]["at"] == "2026-03-09T23:30:00.000000+00:00"


def test_since_is_a_day_in_the_clinics_timezone(clinic: Clinic, run: Run,
                                                berlin_policy: Path) -> None:
    a_week_of_records(clinic)

    in_utc = run("audit", "export", "--since", "2026-03-10")
    in_berlin = run("audit", "export", "--since", "2026-03-10",
                    KAPBOT_POLICY=str(berlin_policy))

    assert in_utc.stdout == ""
    assert [e["seq"] for e in lines(in_berlin.stdout)] == [5, 6]


def test_the_export_is_written_to_a_file_whole(clinic: Clinic, run: Run,
                                               tmp_path: Path) -> None:
    a_week_of_records(clinic)
    out = tmp_path / "audit-march.jsonl"

    result = run("audit", "export", "--since", "2026-03-09", "--out", str(out))
    as_json = run("audit", "export", "--since", "2026-03-01", "--out", str(out), "--json")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 2 audit entries since 2026-03-09 to {out}"
    assert json.loads(as_json.stdout) == {"file": str(out), "since": "2026-03-01",
                                          "entries": 6}
    assert [e["seq"] for e in lines(out.read_text("utf-8"))] == [1, 2, 3, 4, 5, 6]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".audit")] == []


@pytest.mark.parametrize(("args", "said"), [
    pytest.param(("--since", "9 March"), "--since '9 March' is not a date", id="words"),
    pytest.param(("--since", "2026-03-32"), "--since '2026-03-32' is not a date",
                 id="no such day"),
    pytest.param(("--since", "20260301"), "--since '20260301' is not a date", id="compact"),
    pytest.param((), "--since is required", id="missing"),
])
def test_a_since_date_that_does_not_parse_is_one_line(run: Run, args: tuple[str, ...],
                                                      said: str) -> None:
    line = one_line_error(run("audit", "export", *args))

    assert said in line
    assert "YYYY-MM-DD" in line


def test_an_export_file_that_cannot_be_written_is_one_line(run: Run, tmp_path: Path) -> None:
    line = one_line_error(run("audit", "export", "--since", "2026-03-01", "--out",
                              str(tmp_path)))

    assert f"cannot write {tmp_path}" in line
