"""Each dosing session as the Appointment that was booked and the Encounter that happened.

Both exist for every session, so a cancelled one still shows in the EHR as booked and
called off. An aborted session did take place (the dose counts as taken): its Encounter
is finished and its MedicationAdministration is `stopped`, with the reason as a note.
"""

from datetime import timedelta

from kapbot.care.values import SessionState
from kapbot.fhir import codes
from kapbot.fhir.ids import Resource, ref, resource, when
from kapbot.fhir.people import patient_ref, practitioner_ref
from kapbot.fhir.record import PatientRecord
from kapbot.store import models as m

S = SessionState
APPOINTMENT_STATUS = {S.SCHEDULED.value: "booked", S.IN_PROGRESS.value: "arrived",
                      S.COMPLETED.value: "fulfilled", S.ABORTED.value: "fulfilled",
                      S.CANCELLED.value: "cancelled"}
ENCOUNTER_STATUS = {S.SCHEDULED.value: "planned", S.IN_PROGRESS.value: "in-progress",
                    S.COMPLETED.value: "finished", S.ABORTED.value: "finished",
                    S.CANCELLED.value: "cancelled"}
SESSION_TYPE = codes.text_only("Ketamine-assisted psychotherapy dosing session")


def encounter_ref(session_id: int) -> dict[str, str]:
    return ref("Encounter", session_id)


def appointment(record: PatientRecord, session: m.DosingSession,
                planned_length: timedelta) -> Resource:
    """Booked for the policy's minimum monitoring time: FHIR wants a booked end."""
    cancelled = session.state == S.CANCELLED.value
    return resource(
        "Appointment", session.id,
        status=APPOINTMENT_STATUS.get(session.state, "booked"),
        cancelationReason=(codes.text_only(session.end_reason)
                           if cancelled and session.end_reason else None),
        description=SESSION_TYPE["text"],
        start=when(session.scheduled_at), end=when(session.scheduled_at + planned_length),
        created=when(session.created_at),
        participant=[
            {"actor": patient_ref(record), "status": "accepted"},
            {"actor": practitioner_ref(record, record.patient.therapist_id),
             "type": [codes.PRIMARY_PERFORMER], "status": "accepted"},
        ],
    )


def encounter(record: PatientRecord, session: m.DosingSession) -> Resource:
    period = None
    if session.started_at is not None:
        period = {"start": when(session.started_at)}
        if session.ended_at is not None:
            period["end"] = when(session.ended_at)
    pair = record.patient
    return resource(
        "Encounter", session.id,
        status=ENCOUNTER_STATUS.get(session.state, "unknown"),
        class_=codes.AMBULATORY, type=[SESSION_TYPE], subject=patient_ref(record),
        participant=[
            {"type": [codes.PRIMARY_PERFORMER],
             "individual": practitioner_ref(record, pair.therapist_id)},
            {"type": [codes.ATTENDER],
             "individual": practitioner_ref(record, pair.prescriber_id)},
        ],
        appointment=[ref("Appointment", session.id)],
        period=period,
    )


def appointments_and_encounters(record: PatientRecord,
                                planned_length: timedelta) -> list[Resource]:
    return [r for s in record.sessions
            for r in (appointment(record, s, planned_length), encounter(record, s))]
