"""`kapbot patients`: each patient's care pair, plan, next session and open follow-ups."""

import json
from datetime import timedelta
from pathlib import Path

from tests.cli.conftest import Run
from tests.clinic import (
    ADMIN,
    CODE,
    OTHER_THERAPIST,
    PRESCRIBER,
    THERAPIST,
    Clinic,
    accepted,
)
from tests.test_cli import one_line_error

NEXT_CODE = "KAP-0043"


def a_clinic_after_its_first_session(clinic: Clinic) -> None:
    """KAP-0042 dosed once (two follow-ups open) with the next session booked; KAP-0043 new."""
    accepted(clinic.services.add_patient(ADMIN, NEXT_CODE, PRESCRIBER, OTHER_THERAPIST,
                                         "C0PAIR43"))
    clinic.post_plan()
    clinic.run_session()
    clinic.clock.set(clinic.clock.now().replace(hour=9, minute=0) + timedelta(days=7))
    clinic.schedule(timedelta(hours=3))  # 12:00 UTC, 13:00 in Berlin


def test_the_administrator_sees_every_patient_at_a_glance(clinic: Clinic, run: Run,
                                                          berlin_policy: Path) -> None:
    a_clinic_after_its_first_session(clinic)

    result = run("patients", KAPBOT_POLICY=str(berlin_policy))

    assert result.returncode == 0, result.stderr
    assert "Patients: 2 (times in Europe/Berlin)" in result.stdout
    ours, theirs = (line for line in result.stdout.splitlines()
                    if CODE in line or NEXT_CODE in line)
    for shown in (CODE, f"Dr Rowe ({PRESCRIBER})", f"Sam Lee ({THERAPIST})",
                  "v1: 100 mg sublingual", "2026-03-09 13:00 (scheduled)", " 2 "):
        assert shown in ours, shown
    for shown in (NEXT_CODE, f"Ari Chen ({OTHER_THERAPIST})", "no active plan",
                  "none scheduled", " 0 "):
        assert shown in theirs, shown


def test_a_script_gets_the_same_overview_as_json_in_clinic_time(clinic: Clinic, run: Run,
                                                                 berlin_policy: Path) -> None:
    a_clinic_after_its_first_session(clinic)

    result = run("patients", "--json", KAPBOT_POLICY=str(berlin_policy))

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["timezone"] == "Europe/Berlin"
    ours, theirs = shown["patients"]
    assert ours["code"] == CODE
    assert ours["prescriber"] == {"slack_user_id": PRESCRIBER, "display_name": "Dr Rowe"}
    assert ours["therapist"] == {"slack_user_id": THERAPIST, "display_name": "Sam Lee"}
    assert ours["plan"] == {"version": 1, "dose_mg": 100, "max_dose_mg": 150,
                            "formulation": "rdt", "route": "sublingual"}
    assert ours["next_session"]["scheduled_at"] == "2026-03-09T13:00:00+01:00"
    assert ours["next_session"]["state"] == "scheduled"
    assert ours["open_follow_ups"] == 2
    assert (theirs["code"], theirs["plan"], theirs["next_session"],
            theirs["open_follow_ups"]) == (NEXT_CODE, None, None, 0)


def test_one_patient_by_code(clinic: Clinic, run: Run) -> None:
    a_clinic_after_its_first_session(clinic)

    result = run("patients", NEXT_CODE, "--json")

    assert result.returncode == 0, result.stderr
    assert [p["code"] for p in json.loads(result.stdout)["patients"]] == [NEXT_CODE]


def test_an_unknown_patient_code_is_one_line_naming_the_database(clinic: Clinic,
                                                                 run: Run) -> None:
    line = one_line_error(run("patients", "KAP-9999"))

    assert "no patient with code KAP-9999 in database " in line


def test_a_name_typed_for_a_code_is_one_line_saying_what_codes_look_like(clinic: Clinic,
                                                                         run: Run) -> None:
    line = one_line_error(run("patients", "Jane Doe"))

    assert "'Jane Doe' is not a patient code" in line
    assert "^KAP-[0-9]{4}$" in line
