"""Dose plans as MedicationRequests, and each dose taken as a MedicationAdministration.

A plan is never edited: a new version supersedes it. So every version is its own
MedicationRequest, the newer pointing back through `priorPrescription`, the older one
`stopped` — the EHR sees what was authorised when, as the gate did.
"""

from typing import Any

from kapbot.care.values import SessionState
from kapbot.fhir import codes
from kapbot.fhir.ids import Resource, ref, resource, when
from kapbot.fhir.notes import annotation
from kapbot.fhir.people import patient_ref, practitioner_ref
from kapbot.fhir.record import PatientRecord
from kapbot.store import models as m

ADMINISTRATION_STATUS = {SessionState.IN_PROGRESS.value: "in-progress",
                         SessionState.COMPLETED.value: "completed",
                         SessionState.ABORTED.value: "stopped"}


def request_ref(plan_id: int | None) -> dict[str, str]:
    return ref("MedicationRequest", plan_id)


def administration_ref(session_id: int) -> dict[str, str]:
    return ref("MedicationAdministration", session_id)


def medication_request(record: PatientRecord, plan: m.DosePlan,
                       previous: m.DosePlan | None) -> Resource:
    superseded = plan.superseded_at is not None
    dosage = {
        "text": f"{plan.dose_mg} mg {plan.route}, taken only in a supervised session",
        "timing": {"repeat": {"count": plan.sessions_authorised}},
        "route": codes.route(plan.route),
        "doseAndRate": [{"doseQuantity": codes.mg(plan.dose_mg)}],
        "maxDosePerAdministration": codes.mg(plan.max_dose_mg),
    }
    return resource(
        "MedicationRequest", plan.id,
        identifier=[{"system": codes.DOSE_PLAN, "value": f"{record.code}/v{plan.version}"}],
        status="stopped" if superseded else "active",
        statusReason=codes.text_only("Superseded by a newer dose plan") if superseded else None,
        intent="order", category=[codes.OUTPATIENT],
        medicationCodeableConcept=codes.ketamine(plan.formulation),
        subject=patient_ref(record), authoredOn=when(plan.created_at),
        requester=practitioner_ref(record, plan.prescriber_id),
        note=annotation(record, plan.notes, plan.prescriber_id, plan.created_at),
        dosageInstruction=[dosage],
        dispenseRequest={"validityPeriod": {"start": when(plan.created_at),
                                            "end": when(plan.valid_until)}},
        priorPrescription=request_ref(previous.id) if previous else None,
    )


def medication_requests(record: PatientRecord) -> list[Resource]:
    """Each version after the first names the one it replaced."""
    return [medication_request(record, plan, before)
            for before, plan in zip((None, *record.plans), record.plans, strict=False)]


def _formulation(record: PatientRecord, plan_id: int | None) -> str:
    return next((p.formulation for p in record.plans if p.id == plan_id), "")


def medication_administration(record: PatientRecord, session: m.DosingSession) -> Resource:
    """A started session is a dose taken, even if it was aborted: the gate counts it so."""
    assert session.started_at is not None and session.id is not None
    dose = session.administered_mg if session.administered_mg is not None else session.dose_mg
    dosage: dict[str, Any] = {}
    if session.route:
        dosage["route"] = codes.route(session.route)
    if dose is not None:
        dosage["dose"] = codes.mg(dose)
    aborted = session.state == SessionState.ABORTED.value
    said = session.end_reason if aborted else session.prescriber_notes
    return resource(
        "MedicationAdministration", session.id,
        status=ADMINISTRATION_STATUS.get(session.state, "unknown"),
        medicationCodeableConcept=codes.ketamine(_formulation(record, session.plan_id)),
        subject=patient_ref(record), context=ref("Encounter", session.id),
        effectiveDateTime=when(session.started_at),
        performer=([{"actor": practitioner_ref(record, session.started_by)}]
                   if session.started_by is not None else None),
        request=request_ref(session.plan_id) if session.plan_id is not None else None,
        note=annotation(record, said, session.ended_by, session.ended_at),
        dosage=dosage,
    )


def medication_administrations(record: PatientRecord) -> list[Resource]:
    return [medication_administration(record, s) for s in record.sessions
            if s.started_at is not None]
