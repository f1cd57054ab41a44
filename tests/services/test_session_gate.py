"""A dosing session through the real services and database, as the care pair lives it."""

from datetime import timedelta

from kapbot.store.models import AuditEntry, DosingSession, FollowUp, VitalSigns
from tests.clinic import (
    ADMIN,
    CODE,
    DISCHARGE,
    OTHER_THERAPIST,
    PRESCRIBER,
    STRANGER,
    THERAPIST,
    Clinic,
    accepted,
    rows,
)


def session_row(clinic: Clinic, session_id: int) -> DosingSession:
    [row] = [r for r in rows(clinic.services, DosingSession) if r.id == session_id]
    return row


def test_start_is_refused_until_the_prescriber_signs_off(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.at_scheduled_time(session)
    accepted(clinic.checklist(session))
    accepted(clinic.presence(session))
    assert clinic.start(session).reasons == (
        "The prescriber has not signed off the dose for this session.",)
    accepted(clinic.sign_off(session))
    accepted(clinic.presence(session))
    started = accepted(clinic.start(session))
    assert started.id == session
    row = session_row(clinic, session)
    assert (row.state, row.dose_mg, row.route, row.started_at) == (
        "in_progress", 100, "sublingual", clinic.clock.now())


def test_an_unprepared_session_lists_every_missing_requirement(clinic: Clinic) -> None:
    session = clinic.schedule()
    clinic.at_scheduled_time(session)
    assert clinic.start(session).reasons == (
        "There is no active dose plan: the prescriber must post one.",
        "The therapist has not completed the pre-session checklist.",
        "The prescriber has not signed off the dose for this session.",
        "The therapist has not confirmed being in the room with the patient.",
    )
    assert session_row(clinic, session).state == "scheduled"


def test_a_new_plan_version_voids_the_prescribers_sign_off(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    clinic.post_plan(dose=120)
    assert clinic.start(session).reasons == (
        "The dose sign-off was voided by a new dose plan: the prescriber must sign off again.",)


def test_a_redone_checklist_voids_the_prescribers_sign_off(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    clinic.clock.advance(timedelta(minutes=1))
    accepted(clinic.checklist(session))
    assert clinic.start(session).reasons == (
        "The dose sign-off was voided by a re-done checklist: the prescriber must sign off "
        "again.",)


def test_the_double_check_catches_a_dose_misread_off_the_tablets(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    accepted(clinic.presence(session, dose=150))
    assert clinic.start(session).reasons == (
        "Double check failed: the dose read off the dispensed tablets does not match the "
        "prescriber's sign-off.",)


def test_the_prescriber_cannot_sign_off_before_the_checklist(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.at_scheduled_time(session)
    assert clinic.sign_off(session).reasons == (
        "The therapist has not completed the pre-session checklist.",)


def test_sign_off_is_refused_for_a_dose_outside_plan_and_policy(clinic: Clinic) -> None:
    clinic.post_plan(maximum=300)
    session = clinic.schedule()
    clinic.at_scheduled_time(session)
    accepted(clinic.checklist(session))
    assert clinic.sign_off(session, dose=200).reasons == (
        "The dose of 200 mg is above the first-session maximum of 150 mg.",)
    assert clinic.sign_off(session, dose="lots").reasons == (
        "Dose for this session must be a whole number, not 'lots'.",)


def test_sign_off_is_refused_after_a_checklist_with_a_hold_level_bp(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.at_scheduled_time(session)
    recorded = accepted(clinic.checklist(session, bp=(172, 96)))
    assert recorded.warnings == ("Pre-dose BP 172/96 is at or above the hold limit (160/100).",)
    assert clinic.sign_off(session).reasons == (
        "Pre-dose BP 172/96 is at or above the hold limit (160/100).",)


def test_only_the_pair_acts_on_its_session(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    s = clinic.services
    assert s.complete_checklist(OTHER_THERAPIST, session, [], 120, 80, 70, 98).reasons == (
        "Only KAP-0042's therapist may complete the checklist.",)
    assert s.sign_off_dose(THERAPIST, session, 100).reasons == (
        "Only KAP-0042's prescriber may sign off the dose.",)
    assert s.confirm_presence(PRESCRIBER, session, True, 100, "sublingual").reasons == (
        "Only KAP-0042's therapist may confirm presence.",)
    assert s.start_session(STRANGER, session).reasons == (
        "You are not an active clinician on kapbot's roster.",)
    assert s.start_session(ADMIN, session).reasons == (
        "You are not an active clinician on kapbot's roster.",)
    assert session_row(clinic, session).state == "scheduled"


def test_a_double_click_starts_the_session_once(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    accepted(clinic.start(session))
    again = clinic.services.start_session(PRESCRIBER, session)
    assert again.reasons == ("The session is in progress, not scheduled.",)


def test_the_session_ends_only_after_two_hours_of_monitoring(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    accepted(clinic.start(session))
    clinic.clock.advance(timedelta(minutes=95))
    early = clinic.services.end_session(THERAPIST, session, DISCHARGE)
    assert early.reasons == ("Monitoring has lasted 1 h 35 min: the session may end after 2 h, "
                             "from 2026-03-02 13:50.",)
    clinic.clock.advance(timedelta(minutes=25))
    missing = clinic.services.end_session(THERAPIST, session, ["alert_oriented"])
    assert missing.reasons == ("Discharge item not affirmed: Vitals are back within limits.",
                               "Discharge item not affirmed: Escort is present.")
    accepted(clinic.services.end_session(THERAPIST, session, DISCHARGE))
    row = session_row(clinic, session)
    assert (row.state, row.administered_mg) == ("completed", 100)


def test_ending_creates_the_integration_follow_ups(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.run_session()
    ended = session_row(clinic, session).ended_at
    assert ended is not None
    follow_ups = sorted(rows(clinic.services, FollowUp), key=lambda f: f.due_at)
    assert [(f.kind, f.due_at - ended, f.window_ends_at - ended, f.state) for f in follow_ups] == [
        ("integration_session", timedelta(days=1), timedelta(days=4), "open"),
        ("check_in", timedelta(days=7), timedelta(days=10), "open"),
    ]


def test_the_next_session_waits_seven_days_and_titrates_by_fifty_mg(clinic: Clinic) -> None:
    clinic.post_plan(maximum=300)
    clinic.run_session(dose=100)
    second = clinic.schedule(in_=timedelta(days=3))
    clinic.at_scheduled_time(second)
    accepted(clinic.checklist(second))
    assert clinic.sign_off(second, dose=175).reasons == (
        "The dose of 175 mg is more than 50 mg above the previous dose of 100 mg.",)
    accepted(clinic.sign_off(second, dose=150))
    accepted(clinic.presence(second, dose=150))
    [reason] = clinic.start(second).reasons
    assert reason.startswith("The last dose was on 2026-03-02 11:50: at least 7 days must pass")


def test_vitals_and_check_ins_are_recorded_during_the_session(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    s = clinic.services
    assert s.check_in(THERAPIST, session).reasons == (
        "Cannot check in: the session is scheduled, not in progress.",)
    assert s.check_in(THERAPIST, session + 1000).reasons == (f"No session {session + 1000}.",)
    assert s.record_vitals(THERAPIST, session + 1000, 120, 80, 70, 98).reasons == (
        f"No session {session + 1000}.",)
    accepted(clinic.start(session))
    accepted(s.check_in(THERAPIST, session))
    flagged = accepted(s.record_vitals(PRESCRIBER, session, 150, 85, 88, 90, sedation=4,
                                       dissociation=2))
    assert flagged.warnings == ("Caution: current BP 150/85 is above 140/90.",
                                "Caution: SpO2 90% is below 92% (possible respiratory "
                                "depression).")
    refused = s.record_vitals(THERAPIST, session, 0, 0, 70, 98, sedation=9)
    assert refused.reasons == ("Systolic BP must be between 60 and 260 mmHg (got 0 mmHg).",
                               "Diastolic BP must be between 30 and 160 mmHg (got 0 mmHg).",
                               "Sedation (MOAA/S) must be between 0 and 5 (got 9).")
    assert [v.phase for v in rows(s, VitalSigns)] == ["pre_dose", "during"]


def test_a_session_is_aborted_with_a_reason(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    accepted(clinic.start(session))
    assert clinic.services.abort_session(THERAPIST, session, "  ").reasons == (
        "Reason for aborting is required.",)
    accepted(clinic.services.abort_session(PRESCRIBER, session, "Patient vomited the tablets"))
    row = session_row(clinic, session)
    assert (row.state, row.administered_mg) == ("aborted", 100)
    assert all("vomited" not in str(e.reasons) for e in rows(clinic.services, AuditEntry))


def test_a_scheduled_session_can_be_cancelled_but_not_started_afterwards(clinic: Clinic) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    accepted(clinic.services.cancel_session(THERAPIST, session, "Patient unwell"))
    assert clinic.start(session).reasons == ("The session is cancelled, not scheduled.",)


def test_a_session_cannot_be_scheduled_in_the_past(clinic: Clinic) -> None:
    yesterday = clinic.clock.now() - timedelta(days=1)
    outcome = clinic.services.schedule_session(THERAPIST, CODE, yesterday)
    assert outcome.reasons == ("The session time 2026-03-01 09:00 is in the past.",)
    assert rows(clinic.services, DosingSession) == []


def test_the_therapist_completes_a_follow_up_with_bounded_scores(clinic: Clinic) -> None:
    clinic.post_plan()
    clinic.run_session()
    follow_up = min(rows(clinic.services, FollowUp), key=lambda f: f.due_at)
    s = clinic.services
    assert s.complete_follow_up(THERAPIST, follow_up.id, phq9=30, gad7=-1).reasons == (
        "PHQ-9 must be between 0 and 27 (got 30).", "GAD-7 must be between 0 and 21 (got -1).")
    assert s.complete_follow_up(PRESCRIBER, follow_up.id).reasons == (
        "Only KAP-0042's therapist may complete this follow-up.",)
    accepted(s.complete_follow_up(THERAPIST, follow_up.id, phq9="12", gad7=9, notes="Calmer"))
    [done] = [f for f in rows(s, FollowUp) if f.id == follow_up.id]
    assert (done.state, done.phq9, done.gad7) == ("done", 12, 9)
    assert s.complete_follow_up(THERAPIST, follow_up.id).reasons == (
        "This follow-up is already done.",)


def test_every_action_accepted_or_refused_leaves_one_audit_entry(clinic: Clinic) -> None:
    before = len(rows(clinic.services, AuditEntry))
    clinic.services.start_session(THERAPIST, 999)
    clinic.post_plan()
    entries = rows(clinic.services, AuditEntry)[before:]
    assert [(e.action, e.subject, e.outcome, e.reasons) for e in entries] == [
        ("start_session", "session:999", "refused", ["No session 999."]),
        ("post_plan", f"patient:{CODE}", "accepted", []),
    ]
