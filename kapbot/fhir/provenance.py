"""The two people's sign-offs as Provenance: who vouched for what, and when.

The prescriber's dose sign-off attests the MedicationRequest (the plan version it was
made under) and rests on the checklist it followed. The therapist's presence
confirmation verifies the Encounter (in the room) and, by the dose and route read off
the tablets, the MedicationRequest in force then. The sign-off and the confirmation a
session started on also target its MedicationAdministration — the gate reads only the
latest of each, so those are the ones the dose was given on.
"""

from typing import Any

from kapbot.fhir import codes
from kapbot.fhir.ids import Resource, ref, resource, when
from kapbot.fhir.medication import administration_ref, request_ref
from kapbot.fhir.people import practitioner_ref
from kapbot.fhir.record import PatientRecord
from kapbot.fhir.sessions import encounter_ref
from kapbot.store import models as m

SignOff = m.DoseSignOff | m.PresenceConfirmation


def _given_on(record: PatientRecord, rows: tuple[SignOff, ...], row: SignOff
              ) -> list[dict[str, str]]:
    """The administration, when `row` is the latest of its kind in a session that started."""
    session = record.session(row.session_id)
    latest = max(r.id or 0 for r in rows if r.session_id == row.session_id)
    if session.started_at is None or row.id != latest:
        return []
    return [administration_ref(row.session_id)]


def _provenance(record: PatientRecord, key: str, targets: list[dict[str, str]], at: Any,
                role: dict[str, Any], by: int, activity: str,
                entity: list[dict[str, Any]] | None = None) -> Resource:
    return resource("Provenance", key, target=targets, occurredDateTime=when(at),
                    recorded=when(at), activity=codes.text_only(activity),
                    agent=[{"type": role, "who": practitioner_ref(record, by)}], entity=entity)


def dose_sign_off(record: PatientRecord, row: m.DoseSignOff) -> Resource:
    return _provenance(
        record, f"sign-off/{row.id}",
        [request_ref(row.plan_id), *_given_on(record, record.sign_offs, row)],
        row.at, codes.ATTESTER, row.by_id, f"Dose sign-off: {row.dose_mg} mg",
        entity=[{"role": "source", "what": ref("QuestionnaireResponse", row.checklist_id)}])


def presence(record: PatientRecord, row: m.PresenceConfirmation) -> Resource:
    plan = record.plan_at(row.at)
    checked = [request_ref(plan.id)] if plan is not None else []
    return _provenance(
        record, f"presence/{row.id}",
        [*checked, encounter_ref(row.session_id), *_given_on(record, record.presences, row)],
        row.at, codes.VERIFIER, row.by_id,
        f"Presence in the room confirmed; independent double check read {row.dose_mg} mg "
        f"{row.route} off the dispensed tablets")


def provenances(record: PatientRecord) -> list[Resource]:
    return ([dose_sign_off(record, r) for r in record.sign_offs]
            + [presence(record, r) for r in record.presences])
