"""The pre-session and discharge checklists as QuestionnaireResponses.

Only what was affirmed is recorded (a box left unticked was never answered), each item
worded as the clinic's policy words it. The pre-session checklist's answer about vitals
points at the very Observations recorded with it, so the EHR sees one reading, not two.
"""

from typing import Any

from kapbot.fhir.ids import Resource, resource, when
from kapbot.fhir.observations import vital_refs
from kapbot.fhir.people import patient_ref, practitioner_ref
from kapbot.fhir.record import PatientRecord
from kapbot.fhir.sessions import encounter_ref
from kapbot.policy import Policy
from kapbot.store import models as m

TITLES = {"pre_session": "Pre-session checklist", "discharge": "Discharge checklist"}


def _wording(policy: Policy, kind: str) -> dict[str, str]:
    items = policy.checklist if kind == "pre_session" else policy.discharge
    return {item.id: item.text for item in items}


def questionnaire_response(record: PatientRecord, row: m.ChecklistResponse,
                           policy: Policy) -> Resource:
    wording = _wording(policy, row.kind)
    items: list[dict[str, Any]] = [
        {"linkId": item, "text": wording.get(item, item), "answer": [{"valueBoolean": True}]}
        for item in row.affirmed]
    if row.vitals_id is not None:
        items.append({"linkId": "pre_dose_vitals", "text": "Pre-dose BP, heart rate and SpO2",
                      "answer": [{"valueReference": r} for r in vital_refs(row.vitals_id)]})
    return resource(
        "QuestionnaireResponse", row.id,
        status="completed", subject=patient_ref(record), encounter=encounter_ref(row.session_id),
        authored=when(row.at), author=practitioner_ref(record, row.by_id),
        item=[{"linkId": row.kind, "text": TITLES.get(row.kind, row.kind), "item": items}]
        if items else None,
    )


def questionnaire_responses(record: PatientRecord, policy: Policy) -> list[Resource]:
    return [questionnaire_response(record, row, policy) for row in record.checklists]
