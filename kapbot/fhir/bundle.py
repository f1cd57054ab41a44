"""The patient's whole record as one FHIR R4 Bundle, validated before anyone sees it.

A `collection`: the entries are a set of resources with no single author or signature
(that would be a `document`, which needs a Composition) and no server operation to run
(a `transaction`, which would make the EHR's import behaviour ours to decide). Every
reference is a `urn:uuid:` fullUrl of another entry, so the Bundle stands alone.

Models come from `fhir.resources.R4B`: that package's maintained FHIR 4.x line (its pure
R4 models only exist in releases built on pydantic 1). R4B changed none of the resources
used here, so the JSON is R4 as well.
"""

from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from kapbot.fhir import (
    adverse_events,
    checklists,
    follow_ups,
    medication,
    observations,
    people,
    provenance,
    sessions,
)
from kapbot.fhir.ids import Resource, full_url, resource_id
from kapbot.fhir.record import PatientRecord, load
from kapbot.policy import Policy
from kapbot.store.db import Database


class InvalidBundleError(ValueError):
    """The export failed FHIR validation — a mapping bug, not the clinic's data.

    The message names the element and the rule, never the value: values may be notes.
    """


def resources(record: PatientRecord, policy: Policy) -> list[Resource]:
    """Who first, then what was ordered, then each session's events, then what followed."""
    return [
        people.patient(record), *people.practitioners(record), people.care_team(record),
        *medication.medication_requests(record),
        *sessions.appointments_and_encounters(record, policy.min_monitoring),
        *checklists.questionnaire_responses(record, policy),
        *observations.observations(record),
        *medication.medication_administrations(record),
        *provenance.provenances(record),
        *adverse_events.adverse_events(record),
        *follow_ups.tasks(record),
        *observations.score_observations(record),
    ]


def build(record: PatientRecord, policy: Policy) -> Bundle:
    data: dict[str, Any] = {
        "resourceType": "Bundle", "id": resource_id("Bundle", record.code),
        "type": "collection",
        "entry": [{"fullUrl": full_url(r), "resource": r} for r in resources(record, policy)],
    }
    try:
        return Bundle.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidBundleError(f"{where}: {first['msg']}") from None


def patient_bundle_json(db: Database, code: str, policy: Policy) -> str | None:
    """The patient's Bundle as FHIR JSON, or None when no patient has this code."""
    record = load(db, code)
    if record is None:
        return None
    return build(record, policy).model_dump_json(indent=2)
