"""Adverse events as AdverseEvent: the therapist's words as the event, with its severity.

R4's AdverseEvent has no free-text note; `event.text` is where the description belongs.
The dose given in that session is named as the suspect.
"""

from kapbot.fhir import codes
from kapbot.fhir.ids import Resource, resource, when
from kapbot.fhir.medication import administration_ref
from kapbot.fhir.people import patient_ref, practitioner_ref
from kapbot.fhir.record import PatientRecord
from kapbot.fhir.sessions import encounter_ref
from kapbot.store import models as m


def adverse_event(record: PatientRecord, row: m.AdverseEvent) -> Resource:
    given = record.session(row.session_id).started_at is not None
    return resource(
        "AdverseEvent", row.id, actuality="actual", event=codes.text_only(row.description),
        subject=patient_ref(record), encounter=encounter_ref(row.session_id),
        date=when(row.at), recordedDate=when(row.at),
        recorder=practitioner_ref(record, row.by_id), severity=codes.severity(row.severity),
        suspectEntity=[{"instance": administration_ref(row.session_id)}] if given else None,
    )


def adverse_events(record: PatientRecord) -> list[Resource]:
    return [adverse_event(record, row) for row in record.adverse_events]
