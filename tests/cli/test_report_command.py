"""`kapbot report sessions`: each dosing session's monitoring record, for the clinic's files."""

import csv
import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from kapbot.cli.report import CSV_COLUMNS
from tests.cli.conftest import Run
from tests.clinic import CODE, DISCHARGE, PRESCRIBER, THERAPIST, Clinic, accepted
from tests.services.test_reports import a_monitored_session
from tests.test_cli import kapbot, one_line_error

MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")


def a_month_of_sessions(clinic: Clinic) -> None:
    """KAP-0042's first session on 2 March (started 11:50 UTC, monitored and acknowledged),
    and a second on 10 March, aborted after 50 minutes."""
    clinic.post_plan()
    _, started = a_monitored_session(clinic)
    clinic.clock.set(started + timedelta(days=8))
    aborted = clinic.schedule()
    clinic.prepare(aborted)
    accepted(clinic.start(aborted))
    clinic.clock.advance(timedelta(minutes=50))
    accepted(clinic.services.abort_session(PRESCRIBER, aborted, "Panic"))


def test_the_report_shows_each_sessions_monitoring_record(clinic: Clinic, run: Run) -> None:
    a_month_of_sessions(clinic)

    result = run("report", "sessions", *MARCH)

    assert result.returncode == 0, result.stderr
    assert "Dosing sessions 2026-03-01 to 2026-03-31 (UTC): 2" in result.stdout
    for shown in (CODE, "2026-03-02 11:50", "2026-03-10 14:40", "completed", "aborted",
                  f"Dr Rowe ({PRESCRIBER})", f"Sam Lee ({THERAPIST})", "100 mg sublingual",
                  "first session", "not the first", "125 min", "50 min", "pre-dose 120/80",
                  "+38 min 138/88", "discharge 124/82", "discharge —", "MOAA/S 3",
                  "dissociation 3", "Nausea at 30 min, settled (mild)", "by Dr Rowe",
                  "not yet"):
        assert shown in result.stdout, shown


def test_a_script_gets_every_field_of_the_record_as_json(clinic: Clinic, run: Run) -> None:
    a_month_of_sessions(clinic)

    result = run("report", "sessions", *MARCH, "--json")

    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)["sessions"]
    assert set(first) == set(CSV_COLUMNS)
    assert {k: first[k] for k in (
        "patient_code", "date", "state", "prescriber", "prescriber_slack_id", "therapist",
        "therapist_slack_id", "first_session", "dose_mg", "route", "formulation",
        "minutes_dose_to_end", "bp_pre_dose", "bp_40_min", "bp_40_min_minutes_after_dose",
        "bp_pre_discharge", "sedation_moaas_lowest", "dissociation_highest",
        "adverse_event_severity", "summary_acknowledged_by",
        "summary_acknowledged_by_slack_id")} == {
        "patient_code": CODE, "date": "2026-03-02", "state": "completed",
        "prescriber": "Dr Rowe", "prescriber_slack_id": PRESCRIBER, "therapist": "Sam Lee",
        "therapist_slack_id": THERAPIST, "first_session": True, "dose_mg": 100,
        "route": "sublingual", "formulation": "rdt", "minutes_dose_to_end": 125,
        "bp_pre_dose": "120/80", "bp_40_min": "138/88", "bp_40_min_minutes_after_dose": 38,
        "bp_pre_discharge": "124/82", "sedation_moaas_lowest": 3, "dissociation_highest": 3,
        "adverse_event_severity": "mild", "summary_acknowledged_by": "Dr Rowe",
        "summary_acknowledged_by_slack_id": PRESCRIBER}
    assert first["adverse_events"] == [{"description": "Nausea at 30 min, settled",
                                        "severity": "mild"}]
    assert first["started_at"] == "2026-03-02T11:50:00+00:00"
    assert first["summary_acknowledged_at"] == "2026-03-02T14:55:00+00:00"
    assert (second["state"], second["first_session"], second["minutes_dose_to_end"],
            second["summary_acknowledged_at"]) == ("aborted", False, 50, None)


def test_the_report_is_written_to_a_csv_file_whole(clinic: Clinic, run: Run,
                                                   tmp_path: Path) -> None:
    a_month_of_sessions(clinic)
    out = tmp_path / "march.csv"

    result = run("report", "sessions", *MARCH, "--csv", str(out))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 2 sessions (2026-03-01 to 2026-03-31) to {out}"
    with out.open(encoding="utf-8", newline="") as f:
        first, second = list(csv.DictReader(f))
    assert list(first) == list(CSV_COLUMNS)
    assert (first["patient_code"], first["first_session"], first["bp_40_min"],
            first["adverse_events"], first["summary_acknowledged_by"]) == (
        CODE, "yes", "138/88", "Nausea at 30 min, settled (mild)", "Dr Rowe")
    assert (second["state"], second["first_session"], second["bp_pre_discharge"],
            second["adverse_events"], second["adverse_event_severity"]) == (
        "aborted", "no", "", "", "none")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # clinical records: the operator's only


def test_free_text_never_runs_as_a_spreadsheet_formula(clinic: Clinic, run: Run,
                                                       tmp_path: Path) -> None:
    clinic.post_plan()
    session_id = clinic.schedule()
    clinic.prepare(session_id)
    accepted(clinic.start(session_id))
    clinic.clock.advance(timedelta(minutes=125))
    accepted(clinic.services.end_session(THERAPIST, session_id, DISCHARGE,
                                         '=HYPERLINK("http://x","y")', "moderate"))
    out = tmp_path / "report.csv"

    assert run("report", "sessions", *MARCH, "--csv", str(out)).returncode == 0

    [row] = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert row["adverse_events"] == "'=HYPERLINK(\"http://x\",\"y\") (moderate)"


def test_the_days_are_the_clinics_days(clinic: Clinic, run: Run, berlin_policy: Path) -> None:
    """A dose at 23:20 UTC on 2 March is taken at 00:20 on 3 March in Berlin."""
    clinic.post_plan()
    session_id = clinic.schedule(timedelta(hours=14, minutes=30))
    clinic.prepare(session_id)
    accepted(clinic.start(session_id))
    berlin = {"KAPBOT_POLICY": str(berlin_policy)}

    on_the_3rd = run("report", "sessions", "--from", "2026-03-03", "--to", "2026-03-03",
                     "--json", **berlin)
    on_the_2nd = run("report", "sessions", "--from", "2026-03-02", "--to", "2026-03-02",
                     "--json", **berlin)

    [record] = json.loads(on_the_3rd.stdout)["sessions"]
    assert (record["date"], record["started_at"]) == ("2026-03-03",
                                                      "2026-03-03T00:20:00+01:00")
    assert json.loads(on_the_2nd.stdout)["sessions"] == []


def test_one_patients_sessions_and_an_unknown_patient(clinic: Clinic, run: Run) -> None:
    a_month_of_sessions(clinic)

    ours = run("report", "sessions", *MARCH, "--patient", CODE, "--json")
    line = one_line_error(run("report", "sessions", *MARCH, "--patient", "KAP-0999"))

    assert len(json.loads(ours.stdout)["sessions"]) == 2
    assert "no patient with code KAP-0999" in line


@pytest.mark.parametrize(("args", "said"), [
    pytest.param(("--from", "2026-3-1", "--to", "2026-03-31"), "--from '2026-3-1' is not a date",
                 id="unpadded"),
    pytest.param(("--from", "03/01/2026", "--to", "2026-03-31"), "--from '03/01/2026'",
                 id="us order"),
    pytest.param(("--from", "2026-03-01", "--to", "2026-02-30"), "--to '2026-02-30'",
                 id="no such day"),
    pytest.param(("--from", "2026-03-01", "--to", "next week"), "--to 'next week'",
                 id="words"),
    pytest.param(("--to", "2026-03-31"), "--from is required", id="no from"),
    pytest.param(("--from", "2026-03-01"), "--to is required", id="no to"),
])
def test_a_date_that_does_not_parse_is_one_line_saying_the_format(
        run: Run, args: tuple[str, ...], said: str) -> None:
    line = one_line_error(run("report", "sessions", *args))

    assert said in line
    assert "YYYY-MM-DD" in line


def test_a_period_that_ends_before_it_starts_is_one_line(run: Run) -> None:
    line = one_line_error(run("report", "sessions", "--from", "2026-03-31", "--to",
                              "2026-03-01"))

    assert "--to 2026-03-01 is before --from 2026-03-31" in line


def test_a_csv_file_that_cannot_be_written_is_one_line(run: Run, tmp_path: Path) -> None:
    line = one_line_error(run("report", "sessions", *MARCH, "--csv",
                              str(tmp_path / "no-such-folder" / "march.csv")))

    assert "cannot write" in line
    assert "No such file or directory" in line


def test_a_failed_report_leaves_the_earlier_file_as_it_was(fresh_database_url: str,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "march.csv"
    out.write_text("last month's report\n", "utf-8")

    line = one_line_error(kapbot("report", "sessions", *MARCH, "--csv", str(out),
                                 cwd=tmp_path, KAPBOT_DATABASE_URL=fresh_database_url))

    assert "kapbot db upgrade" in line
    assert out.read_text("utf-8") == "last month's report\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".march.csv")] == []
