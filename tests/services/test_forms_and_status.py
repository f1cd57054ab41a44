"""Opening a form and asking for status are checked and audited like any action."""

from kapbot.store.models import AuditEntry
from tests.clinic import (
    ADMIN,
    CODE,
    OTHER_THERAPIST,
    PRESCRIBER,
    THERAPIST,
    Clinic,
    accepted,
    rows,
)


def test_only_the_prescriber_opens_the_dose_plan_form(clinic: Clinic) -> None:
    s = clinic.services
    assert accepted(s.open_plan_form(PRESCRIBER, CODE)).data == {"code": CODE}
    assert s.open_plan_form(THERAPIST, CODE).reasons == (
        "Only KAP-0042's prescriber may post a dose plan.",)
    entry = rows(s, AuditEntry)[-1]
    assert (entry.action, entry.outcome) == ("open_form:plan", "refused")


def test_the_sign_off_form_shows_the_checklists_vitals_and_the_plan_dose(clinic: Clinic) -> None:
    clinic.post_plan(dose=125)
    session = clinic.schedule()
    s = clinic.services
    assert s.open_session_form(PRESCRIBER, "sign_off", session).reasons == (
        "The therapist has not completed the pre-session checklist.",)
    clinic.at_scheduled_time(session)
    accepted(clinic.checklist(session, bp=(150, 85)))
    opened = accepted(s.open_session_form(PRESCRIBER, "sign_off", session))
    assert opened.data["plan_dose_mg"] == 125
    assert opened.data["vitals"] == ["Pre-dose BP 150/85 mmHg, HR 72 bpm, SpO2 98%",
                                     "Caution: pre-dose BP 150/85 is above 140/90."]


def test_the_presence_form_carries_no_dose(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    opened = accepted(clinic.services.open_session_form(THERAPIST, "presence", session))
    assert "plan_dose_mg" not in opened.data
    assert clinic.services.open_session_form(OTHER_THERAPIST, "presence", session).reasons == (
        "Only KAP-0042's therapist may confirm presence.",)


def test_status_is_for_the_pair_and_admins(clinic: Clinic) -> None:
    clinic.post_plan()
    clinic.schedule()
    s = clinic.services
    lines = accepted(s.status(THERAPIST, CODE)).data["lines"]
    assert lines[0] == "*KAP-0042*"
    assert lines[1].startswith("Dose plan v1: 100 mg sublingual (max 150 mg), 0 of 6")
    assert lines[2] == "Next session: 2026-03-02 12:00 (scheduled)"
    assert "• Prescriber's dose sign-off: The prescriber has not signed off the dose for this " \
           "session." in lines
    assert accepted(s.status(ADMIN, CODE))
    assert s.status(OTHER_THERAPIST, CODE).reasons == (
        "Only KAP-0042's prescriber or therapist, or an administrator, may see this status.",)


def test_the_roster_is_for_admins(clinic: Clinic) -> None:
    s = clinic.services
    assert accepted(s.roster(ADMIN)).data["lines"][0] == f"<@{PRESCRIBER}> — prescriber"
    assert s.roster(THERAPIST).reasons == ("Only an administrator may see the roster.",)
    assert s.roles_of(PRESCRIBER) == (frozenset({"prescriber"}), False)
    assert s.roles_of(ADMIN) == (frozenset(), True)
