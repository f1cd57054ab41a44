"""Integration follow-ups as Tasks owned by the pair's therapist.

kapbot's own state always travels as `businessStatus`; FHIR's `status` is derived from
it. A state this code does not know (a newer kapbot, or one added later) must neither
stop the export nor hide work: it maps to `completed` when the follow-up was completed,
and otherwise to `requested` — still asking for action, which is the safe reading.
"""

from typing import Any

from kapbot.care.values import FollowUpState
from kapbot.fhir import codes
from kapbot.fhir.ids import Resource, resource, when
from kapbot.fhir.notes import annotation
from kapbot.fhir.observations import recorded_scores, score_ref
from kapbot.fhir.people import patient_ref, practitioner_ref
from kapbot.fhir.record import PatientRecord
from kapbot.fhir.sessions import encounter_ref
from kapbot.store import models as m

TASK_STATUS = {FollowUpState.OPEN.value: "ready", FollowUpState.DONE.value: "completed",
               FollowUpState.MISSED.value: "failed"}
STATUS_REASON = {FollowUpState.MISSED.value: "Not done within its window"}


def task_status(row: m.FollowUp) -> str:
    if row.state in TASK_STATUS:
        return TASK_STATUS[row.state]
    return "completed" if row.completed_at is not None else "requested"


def task(record: PatientRecord, row: m.FollowUp) -> Resource:
    assert row.id is not None
    session = record.session(row.session_id)
    outputs: list[dict[str, Any]] = [{"type": code, "valueReference": score_ref(row.id, name)}
                                     for name, code, _ in recorded_scores(row)]
    reason = STATUS_REASON.get(row.state)
    return resource(
        "Task", row.id, status=task_status(row),
        statusReason=codes.text_only(reason) if reason else None,
        businessStatus=codes.text_only(row.state), intent="order",
        code=codes.text_only(row.label),
        for_=patient_ref(record), encounter=encounter_ref(row.session_id),
        authoredOn=when(session.ended_at) if session.ended_at is not None else None,
        lastModified=when(row.completed_at) if row.completed_at is not None else None,
        owner=practitioner_ref(record, record.patient.therapist_id),
        restriction={"period": {"start": when(row.due_at), "end": when(row.window_ends_at)}},
        executionPeriod=({"end": when(row.completed_at)}
                         if row.completed_at is not None else None),
        note=annotation(record, row.notes, row.completed_by, row.completed_at),
        output=outputs or None,
    )


def tasks(record: PatientRecord) -> list[Resource]:
    return [task(record, row) for row in record.follow_ups]
