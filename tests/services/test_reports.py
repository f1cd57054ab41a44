"""What the operator reads back: each patient at a glance, each dosing session's monitoring
record as a REMS form asks for it, and the audit trail as exported."""

import json
from datetime import datetime, timedelta

from sqlmodel import select

from kapbot.clock import ManualClock
from kapbot.services import Services, reports
from kapbot.store import audit
from kapbot.store.models import Clinician, VitalSigns
from tests.clinic import (
    ADMIN,
    CODE,
    DISCHARGE,
    OTHER_THERAPIST,
    PRESCRIBER,
    THERAPIST,
    Clinic,
    accepted,
    plan_form,
)

NEXT_CODE = "KAP-0043"


def at_minute(clinic: Clinic, started: datetime, minute: int) -> None:
    clinic.clock.set(started + timedelta(minutes=minute))


def vitals(clinic: Clinic, session_id: int, bp: tuple[int, int], sedation: int | None = None,
           dissociation: int | None = None) -> None:
    accepted(clinic.services.record_vitals(THERAPIST, session_id, bp[0], bp[1], 76, 97,
                                           sedation, dissociation))


def discharge_vitals(clinic: Clinic, session_id: int, bp: tuple[int, int]) -> None:
    """The reading before discharge (written as the discharge form will record it)."""
    with clinic.services.db.transaction() as tx:
        therapist = tx.exec(select(Clinician.id).where(Clinician.slack_user_id == THERAPIST)
                            ).one()
        tx.add(VitalSigns(session_id=session_id, by_id=therapist, at=clinic.clock.now(),
                          phase="pre_discharge", systolic=bp[0], diastolic=bp[1],
                          heart_rate=70, spo2=98))


def a_monitored_session(clinic: Clinic) -> tuple[int, datetime]:
    """A first session: BP 120/80 before, readings at +20, +38 and +45 min, a mild adverse
    event, discharge at +125 min, and the prescriber's acknowledgement an hour later."""
    session_id = clinic.schedule()
    clinic.prepare(session_id)
    accepted(clinic.start(session_id))
    started = clinic.clock.now()
    at_minute(clinic, started, 20)
    vitals(clinic, session_id, (132, 86), sedation=4, dissociation=1)
    at_minute(clinic, started, 38)
    vitals(clinic, session_id, (138, 88), sedation=3, dissociation=3)
    at_minute(clinic, started, 45)
    vitals(clinic, session_id, (145, 92), sedation=4, dissociation=2)
    at_minute(clinic, started, 115)
    discharge_vitals(clinic, session_id, (124, 82))
    at_minute(clinic, started, 125)
    accepted(clinic.services.end_session(THERAPIST, session_id, DISCHARGE,
                                         "Nausea at 30 min, settled", "mild"))
    at_minute(clinic, started, 185)
    accepted(clinic.services.acknowledge_summary(PRESCRIBER, session_id))
    return session_id, started


def records(services: Services, since: datetime, until: datetime, code: str | None = None
            ) -> tuple[reports.SessionRecord, ...]:
    with services.db.reading() as tx:
        return reports.session_records(tx, since, until, code)


def test_a_session_reads_back_as_its_monitoring_record(clinic: Clinic) -> None:
    clinic.post_plan()
    session_id, started = a_monitored_session(clinic)

    [record] = records(clinic.services, started - timedelta(days=1), started + timedelta(days=1))

    assert (record.session_id, record.patient_code, record.state) == (session_id, CODE,
                                                                      "completed")
    assert (record.prescriber.slack_user_id, record.prescriber.display_name) == (PRESCRIBER,
                                                                                 "Dr Rowe")
    assert record.therapist.label == f"Sam Lee ({THERAPIST})"
    assert record.first_session
    assert (record.dose_mg, record.route, record.formulation) == (100, "sublingual", "rdt")
    assert (record.started_at, record.monitoring_minutes) == (started, 125)
    assert record.bp_pre_dose is not None and record.bp_40_min is not None
    assert record.bp_pre_discharge is not None
    assert (record.bp_pre_dose.systolic, record.bp_pre_dose.diastolic) == (120, 80)
    assert record.bp_pre_dose.minutes_after_start is None  # taken before the dose
    assert (record.bp_40_min.systolic, record.bp_40_min.diastolic,
            record.bp_40_min.minutes_after_start) == (138, 88, 38)  # nearest to +40
    assert (record.bp_pre_discharge.systolic, record.bp_pre_discharge.diastolic) == (124, 82)
    assert (record.sedation_lowest, record.dissociation_highest) == (3, 3)
    assert [(e.description, e.severity) for e in record.adverse_events] == [
        ("Nausea at 30 min, settled", "mild")]
    assert record.worst_severity == "mild"
    assert record.summary_acknowledged_at == started + timedelta(minutes=185)
    assert record.summary_acknowledged_by is not None
    assert record.summary_acknowledged_by.slack_user_id == PRESCRIBER


def test_of_two_readings_as_near_to_forty_minutes_the_earlier_counts(clinic: Clinic) -> None:
    clinic.post_plan()
    session_id = clinic.schedule()
    clinic.prepare(session_id)
    accepted(clinic.start(session_id))
    started = clinic.clock.now()
    at_minute(clinic, started, 35)
    vitals(clinic, session_id, (130, 84))
    at_minute(clinic, started, 45)
    vitals(clinic, session_id, (150, 95))

    [record] = records(clinic.services, started, started + timedelta(hours=3))

    assert record.state == "in_progress"
    assert record.bp_40_min is not None
    assert (record.bp_40_min.systolic, record.bp_40_min.minutes_after_start) == (130, 35)
    assert (record.ended_at, record.monitoring_minutes, record.bp_pre_discharge) == (
        None, None, None)
    assert (record.adverse_events, record.worst_severity) == ((), "none")
    assert record.summary_acknowledged_at is None


def test_only_the_first_dose_is_flagged_first_and_an_aborted_dose_still_has_a_record(
        clinic: Clinic) -> None:
    services = clinic.services
    clinic.post_plan()
    first, started = a_monitored_session(clinic)
    clinic.clock.set(started + timedelta(days=8))
    cancelled = clinic.schedule()
    accepted(services.cancel_session(THERAPIST, cancelled, "Patient unwell"))
    aborted = clinic.schedule()
    clinic.prepare(aborted)
    accepted(clinic.start(aborted))
    clinic.clock.advance(timedelta(minutes=50))
    accepted(services.abort_session(PRESCRIBER, aborted, "Panic, BP rising"))

    found = records(services, started - timedelta(days=1), started + timedelta(days=30))

    assert [(r.session_id, r.state, r.first_session) for r in found] == [
        (first, "completed", True), (aborted, "aborted", False)]
    assert (found[1].dose_mg, found[1].monitoring_minutes) == (100, 50)


def test_the_period_holds_sessions_dosed_from_its_start_up_to_its_end(clinic: Clinic) -> None:
    clinic.post_plan()
    session_id, started = a_monitored_session(clinic)

    assert [r.session_id for r in records(clinic.services, started, started + timedelta(
        seconds=1))] == [session_id]
    assert records(clinic.services, started - timedelta(days=1), started) == ()
    assert records(clinic.services, started - timedelta(days=1), started + timedelta(days=1),
                   code=NEXT_CODE) == ()


def test_each_patient_at_a_glance(clinic: Clinic, clock: ManualClock) -> None:
    services = clinic.services
    accepted(services.add_patient(ADMIN, NEXT_CODE, PRESCRIBER, OTHER_THERAPIST, "C0PAIR43"))
    clinic.post_plan()
    clinic.post_plan(dose=125)
    a_monitored_session(clinic)
    clock.advance(timedelta(days=8))
    later = clinic.schedule(timedelta(days=2))
    clinic.schedule(timedelta(hours=2))  # the nearer one comes first
    with services.db.reading() as tx:
        glance = reports.patients(tx)
        just_one = reports.patients(tx, NEXT_CODE)

    assert [p.code for p in glance] == [CODE, NEXT_CODE]
    ours, theirs = glance
    assert (ours.prescriber.label, ours.therapist.label) == (f"Dr Rowe ({PRESCRIBER})",
                                                             f"Sam Lee ({THERAPIST})")
    assert ours.plan is not None
    assert (ours.plan.version, ours.plan.dose_mg, ours.plan.route) == (2, 125, "sublingual")
    assert ours.next_session is not None
    assert ours.next_session.id != later
    assert (ours.next_session.scheduled_at, ours.next_session.state) == (
        clock.now() + timedelta(hours=2), "scheduled")
    assert ours.open_follow_ups == 2
    assert (theirs.plan, theirs.next_session, theirs.open_follow_ups) == (None, None, 0)
    assert theirs.therapist.slack_user_id == OTHER_THERAPIST
    assert just_one == (theirs,)


def test_the_exported_audit_trail_can_be_rehashed_line_by_line(clinic: Clinic,
                                                               clock: ManualClock) -> None:
    services = clinic.services
    clock.advance(timedelta(days=1))
    since = clock.now()
    clinic.post_plan()
    assert services.post_plan(THERAPIST, CODE, plan_form()).refused

    with services.db.reading() as tx:
        exported = list(reports.audit_entries(tx, since))

    assert [(e["seq"], e["action"], e["outcome"]) for e in exported] == [
        (5, "post_plan", "accepted"), (6, "post_plan", "refused")]
    assert list(exported[0]) == ["seq", "at", "actor", "action", "subject", "outcome",
                                 "reasons", "prev_hash", "entry_hash"]
    assert exported[1]["prev_hash"] == exported[0]["entry_hash"]
    for entry in exported:
        hashed = {k: v for k, v in entry.items() if k not in ("prev_hash", "entry_hash")}
        canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        assert audit.chain_hash(entry["prev_hash"], canonical) == entry["entry_hash"]
