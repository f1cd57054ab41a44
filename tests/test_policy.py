"""The clinic's policy file: the packaged default is PROTOCOL.md's table; a bad file says why."""

from pathlib import Path

import pytest

from kapbot.policy import PolicyError, load_policy, parse_policy

DEFAULT = (Path(__file__).parents[1] / "kapbot" / "default_policy.toml").read_text()


def test_the_packaged_default_is_the_protocols_table() -> None:
    p = load_policy()
    assert p.medication.formulations == ("rdt", "troche")
    assert p.medication.routes == ("sublingual", "buccal")
    assert (p.dose.min_mg, p.dose.max_mg, p.dose.first_session_max_mg,
            p.dose.titration_step_mg, p.dose.min_days_between_sessions) == (25, 300, 150, 50, 7)
    bp = p.blood_pressure
    assert (bp.hold_systolic, bp.hold_diastolic, bp.caution_systolic,
            bp.caution_diastolic) == (160, 100, 140, 90)
    assert (p.fasting.food_hours, p.fasting.liquids_minutes) == (2, 30)
    w = p.windows
    assert (w.checklist_valid_minutes, w.dose_signoff_valid_minutes, w.presence_valid_minutes,
            w.earliest_start_minutes) == (120, 720, 15, 30)
    s = p.session
    assert (s.check_in_interval_minutes, s.check_in_grace_minutes, s.vitals_reminder_minutes,
            s.min_monitoring_minutes) == (20, 5, 40, 120)
    assert (p.summary.reminder_hours, p.summary.overdue_days) == (24, 7)
    assert [i.id for i in p.checklist] == ["consent", "fasting", "no_substances", "transport",
                                           "emergency_contact"]
    assert [i.id for i in p.discharge] == ["alert_oriented", "vitals_within_limits",
                                           "escort_present"]
    assert [(f.kind, f.due_days, f.window_days) for f in p.follow_ups] == [
        ("integration_session", 1, 3), ("check_in", 7, 3)]
    assert p.vitals.spo2_flag_below == 92
    assert p.code_is_valid("KAP-0042") and not p.code_is_valid("Jane Doe")


@pytest.mark.parametrize(("change", "message"), [
    (("[vitals]", "[vitals]\ncolour = 1"), "vitals.colour: unknown key"),
    (("max_mg = 300", 'max_mg = "300"'), "dose.max_mg: Input should be a valid integer"),
    (("min_mg = 25", "min_mg = 400"), "dose: min_mg (400) is greater than max_mg (300)"),
    (('routes = ["sublingual", "buccal"]', 'routes = ["sublingual", "intravenous"]'),
     "medication.routes.1: 'intravenous' is not allowed"),
    (('timezone = "UTC"', 'timezone = "Mars/Olympus"'), "timezone: unknown timezone"),
    (("hold_systolic = 160", "hold_systolic = 130"),
     "blood_pressure: caution_systolic must be below hold_systolic"),
    (('patient_code_pattern = "^KAP-[0-9]{4}$"', 'patient_code_pattern = "^KAP-("'),
     "patient_code_pattern: not a valid regular expression"),
    (('id = "fasting"', 'id = "consent"'), "checklist: repeats consent"),
])
def test_a_bad_policy_names_the_key_and_the_reason(change: tuple[str, str], message: str) -> None:
    assert change[0] in DEFAULT
    with pytest.raises(PolicyError, match=None) as caught:
        parse_policy(DEFAULT.replace(*change, 1), "clinic.toml")
    assert str(caught.value).startswith("clinic.toml: ")
    assert message in str(caught.value)


def test_a_missing_section_is_named() -> None:
    without = DEFAULT.replace("[fasting]\nfood_hours = 2\nliquids_minutes = 30\n", "")
    with pytest.raises(PolicyError, match="fasting: required key is missing"):
        parse_policy(without)


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.toml")
