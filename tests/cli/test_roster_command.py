"""`kapbot roster import|list`: the clinic's roster from its spreadsheet, all of it or none."""

import json
from pathlib import Path

import pytest
from sqlmodel import select

from kapbot.store.db import Database
from kapbot.store.models import AuditEntry, Clinician
from tests.cli.conftest import Run
from tests.clinic import PRESCRIBER, THERAPIST, Clinic
from tests.test_cli import one_line_error

HEADER = "slack_user_id,roles,display_name\n"


def roster_file(tmp_path: Path, text: str, name: str = "roster.csv",
                encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding)
    return path


def clinicians(db: Database) -> dict[str, Clinician]:
    with db.reading() as tx:
        return {c.slack_user_id: c for c in tx.exec(select(Clinician))}


def audit_trail(db: Database) -> list[AuditEntry]:
    with db.reading() as tx:
        return list(tx.exec(select(AuditEntry).order_by(AuditEntry.seq)))


def problem_lines(stderr: str) -> list[str]:
    lines = stderr.strip().splitlines()
    assert all(line.startswith("kapbot: error: ") for line in lines), stderr
    return [line.removeprefix("kapbot: error: ") for line in lines]


def test_the_administrator_imports_the_roster_exported_from_a_spreadsheet(
        run: Run, db: Database, tmp_path: Path) -> None:
    path = roster_file(tmp_path, "Slack User ID,Roles,Display Name\r\n"
                                 "U012AB3CD,prescriber;admin,Dr Rowe\r\n"
                                 "U045EF6GH,therapist | admin,\"Lee, Sam\"\r\n"
                                 "\r\n"
                                 "U078IJ9KL,Therapist,Ari Chen\r\n", encoding="utf-8-sig")

    result = run("roster", "import", str(path))

    assert result.returncode == 0, result.stderr
    assert f"Imported 3 clinicians from {path} (3 new, 0 updated, 0 unchanged)" in result.stdout
    assert "prescriber, admin" in result.stdout
    people = clinicians(db)
    assert {uid: (c.display_name, c.is_prescriber, c.is_therapist, c.is_admin)
            for uid, c in people.items()} == {
        "U012AB3CD": ("Dr Rowe", True, False, True),
        "U045EF6GH": ("Lee, Sam", False, True, True),
        "U078IJ9KL": ("Ari Chen", False, True, False)}
    trail = audit_trail(db)
    assert [e.action for e in trail] == ["add_clinician"] * 3 + ["import_roster"]
    assert all(e.actor.startswith("cli") for e in trail)  # the operator, never a Slack ID


def test_the_import_tells_a_script_what_changed_for_each_clinician(
        clinic: Clinic, run: Run, tmp_path: Path) -> None:
    path = roster_file(tmp_path, HEADER + f"{PRESCRIBER},admin,\n{THERAPIST},therapist,"
                                          "Sam Lee\nU012AB3CD,therapist,Jo Park\n")

    result = run("roster", "import", str(path), "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["imported"], report["new"], report["updated"], report["unchanged"]) == (
        3, 1, 1, 1)
    assert [(c["line"], c["slack_user_id"], c["roles"], c["change"])
            for c in report["clinicians"]] == [
        (2, PRESCRIBER, ["prescriber", "admin"], "updated"),
        (3, THERAPIST, ["therapist"], "unchanged"),
        (4, "U012AB3CD", ["therapist"], "new")]


def test_a_roster_with_bad_rows_is_refused_whole_naming_every_line(
        run: Run, db: Database, tmp_path: Path) -> None:
    path = roster_file(tmp_path, HEADER + "U012AB3CD,prescriber,Dr Rowe\n"
                                          "U045EF6GH,nurse,Sam Lee\n"
                                          "bob,therapist,Bob\n"
                                          "U078IJ9KL,,Ari Chen\n"
                                          "U012AB3CD,admin,Dr Rowe\n"
                                          "U099ZZ9ZZ,therapist,Rowe, Dr\n")

    result = run("roster", "import", str(path))

    assert result.returncode == 2
    assert result.stdout == ""
    assert problem_lines(result.stderr) == [
        f"{path}: nothing was imported (5 problems)",
        f"{path} line 3: Unknown role 'nurse': use prescriber, therapist or admin.",
        f"{path} line 4: Slack user ID 'bob' is not a Slack user ID (like U012AB3CD).",
        f"{path} line 5: Give at least one role: prescriber, therapist or admin.",
        f"{path} line 6: 'U012AB3CD' is already on line 2: list each clinician once, with all "
        "their roles.",
        f"{path} line 7: 4 values, but the header names 3 columns (quote a name that holds a "
        "comma)"]
    assert clinicians(db) == {}
    assert run("roster", "list", "--json").stdout.count("slack_user_id") == 0


@pytest.mark.parametrize(("text", "problem"), [
    pytest.param("slack_user_id,roles\nU012AB3CD,prescriber\n",
                 "line 1: missing column display_name", id="missing column"),
    pytest.param("slack_user_id,roles,display_name,email\nU012AB3CD,prescriber,Dr Rowe,r@x\n",
                 "line 1: unknown column 'email'", id="unknown column"),
    pytest.param("U012AB3CD,prescriber,Dr Rowe\n",
                 "line 1: no header: the first line must name the columns "
                 "slack_user_id,roles,display_name", id="no header"),
    pytest.param('{"clinicians": ["U012AB3CD"]}\n', "line 1: no header", id="json, not csv"),
    pytest.param("", ": the file is empty", id="empty file"),
    pytest.param(HEADER, ": the file lists no clinicians", id="header only"),
])
def test_a_roster_file_of_the_wrong_shape_is_one_line_and_imports_nothing(
        run: Run, db: Database, tmp_path: Path, text: str, problem: str) -> None:
    path = roster_file(tmp_path, text)

    line = one_line_error(run("roster", "import", str(path)))

    assert line.startswith(f"kapbot: error: {path}")
    assert problem in line
    assert line.endswith("; nothing was imported")
    assert clinicians(db) == {}
    assert audit_trail(db) == []


@pytest.mark.parametrize(("name", "body", "reason"), [
    pytest.param("missing.csv", None, "cannot read", id="missing"),
    pytest.param("folder", None, "Is a directory", id="a directory"),
    pytest.param("roster.csv", HEADER.encode("utf-16"), "not UTF-8 text", id="utf-16"),
    pytest.param("roster.csv", b"slack_user_id,roles,display_name\nU1\x00\x01,admin,x\n",
                 "binary data", id="binary"),
])
def test_an_unreadable_roster_file_is_one_line(run: Run, db: Database, tmp_path: Path,
                                               name: str, body: bytes | None,
                                               reason: str) -> None:
    path = tmp_path / name
    if name == "folder":
        path.mkdir()
    elif body is not None:
        path.write_bytes(body)

    line = one_line_error(run("roster", "import", str(path)))

    assert str(path) in line
    assert reason in line
    assert clinicians(db) == {}


def test_the_roster_lists_everyone_with_their_roles_active_or_not(clinic: Clinic,
                                                                  run: Run) -> None:
    clinic.services.remove_role("UADMIN", "UOTHERTHR", "therapist")

    table = run("roster", "list")
    as_json = run("roster", "list", "--json")

    assert table.returncode == 0, table.stderr
    assert "Roster: 2 active, 1 inactive" in table.stdout
    for shown in (PRESCRIBER, "Dr Rowe", "prescriber", "Ari Chen", "no roles", "inactive"):
        assert shown in table.stdout
    assert json.loads(as_json.stdout)["clinicians"] == [
        {"slack_user_id": PRESCRIBER, "display_name": "Dr Rowe", "roles": ["prescriber"],
         "active": True},
        {"slack_user_id": THERAPIST, "display_name": "Sam Lee", "roles": ["therapist"],
         "active": True},
        {"slack_user_id": "UOTHERTHR", "display_name": "Ari Chen", "roles": [],
         "active": False}]
