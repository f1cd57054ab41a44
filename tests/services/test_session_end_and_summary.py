"""How a session ends: adverse events, notes for the prescriber, and the acknowledged summary."""

from datetime import timedelta

from kapbot.store.models import AdverseEvent, AuditEntry, DosingSession, VitalSigns
from tests.clinic import DISCHARGE, PRESCRIBER, THERAPIST, Clinic, accepted, rows


def started_session(clinic: Clinic) -> int:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    accepted(clinic.start(session))
    clinic.clock.advance(timedelta(minutes=121))
    return session


def test_an_adverse_event_and_notes_are_recorded_at_the_end(clinic: Clinic) -> None:
    session = started_session(clinic)
    accepted(clinic.services.end_session(THERAPIST, session, DISCHARGE,
                                         adverse_events="Transient nausea", severity="moderate",
                                         notes="Tearful at +60, settled by +90"))
    [event] = rows(clinic.services, AdverseEvent)
    assert (event.description, event.severity) == ("Transient nausea", "moderate")
    [row] = rows(clinic.services, DosingSession)
    assert row.prescriber_notes == "Tearful at +60, settled by +90"
    texts = [str(e.reasons) + e.subject for e in rows(clinic.services, AuditEntry)]
    assert not any("nausea" in t or "Tearful" in t for t in texts)


def test_an_adverse_event_needs_both_a_description_and_a_severity(clinic: Clinic) -> None:
    session = started_session(clinic)
    end = clinic.services.end_session
    assert end(THERAPIST, session, DISCHARGE, adverse_events="Dizzy").reasons == (
        "Choose the adverse event's severity (mild, moderate or severe).",)
    assert end(THERAPIST, session, DISCHARGE, severity="severe").reasons == (
        "Describe the adverse event, or set its severity to none.",)
    assert end(THERAPIST, session, DISCHARGE, adverse_events="x", severity="awful").reasons == (
        "Severity must be one of none, mild, moderate, severe.",)
    assert end(THERAPIST, session, DISCHARGE, notes="n" * 3001).reasons == (
        "Notes for the prescriber is longer than 3000 characters.",)
    assert rows(clinic.services, DosingSession)[0].state == "in_progress"
    assert rows(clinic.services, AdverseEvent) == []


def test_the_prescriber_acknowledges_the_summary_once(clinic: Clinic) -> None:
    session = started_session(clinic)
    s = clinic.services
    assert s.acknowledge_summary(PRESCRIBER, session).reasons == (
        "The session has not ended: there is no summary yet.",)
    accepted(s.end_session(THERAPIST, session, DISCHARGE))
    assert s.acknowledge_summary(THERAPIST, session).reasons == (
        "Only KAP-0042's prescriber may acknowledge the summary.",)
    accepted(s.acknowledge_summary(PRESCRIBER, session))
    [row] = rows(s, DosingSession)
    assert row.summary_acknowledged_at == clinic.clock.now()
    assert s.acknowledge_summary(PRESCRIBER, session).reasons == (
        "The summary was already acknowledged.",)


def test_pre_discharge_vitals_are_recorded_for_the_monitoring_record(clinic: Clinic) -> None:
    session = started_session(clinic)
    accepted(clinic.services.end_session(THERAPIST, session, DISCHARGE,
                                         vitals=("124", "80", "70", "98")))
    [reading] = [v for v in rows(clinic.services, VitalSigns) if v.phase == "pre_discharge"]
    assert (reading.systolic, reading.diastolic, reading.heart_rate, reading.spo2) == (
        124, 80, 70, 98)


def test_pre_discharge_vitals_are_all_four_or_none(clinic: Clinic) -> None:
    session = started_session(clinic)
    refused = clinic.services.end_session(THERAPIST, session, DISCHARGE,
                                          vitals=("124", "", "", "98"))
    assert refused.refused and any(r.startswith("Diastolic BP") for r in refused.reasons)
    assert [r.state for r in rows(clinic.services, DosingSession)] == ["in_progress"]
    accepted(clinic.services.end_session(THERAPIST, session, DISCHARGE, vitals=("", "", "", "")))
    assert not [v for v in rows(clinic.services, VitalSigns) if v.phase == "pre_discharge"]
