"""Vital signs and scores as Observations, coded so an EHR can chart them next to its own.

One reading of the session's vitals form becomes up to five Observations: the blood
pressure panel (systolic and diastolic as components, as FHIR's vital-signs profile
wants), heart rate, SpO2, and the sedation and dissociation ratings when given.
"""

from typing import Any

from kapbot.fhir import codes
from kapbot.fhir.ids import Resource, ref, resource, when
from kapbot.fhir.people import patient_ref, practitioner_ref
from kapbot.fhir.record import PatientRecord
from kapbot.fhir.sessions import encounter_ref
from kapbot.store import models as m

VITAL_PARTS = ("blood-pressure", "heart-rate", "spo2")


def _vital_key(vitals_id: int | None, part: str) -> str:
    return f"{vitals_id}/{part}"


def _score_key(follow_up_id: int | None, score: str) -> str:
    return f"follow-up/{follow_up_id}/{score}"


def vital_refs(vitals_id: int) -> list[dict[str, str]]:
    """The three Observations every reading has (the pre-session checklist points at them)."""
    return [ref("Observation", _vital_key(vitals_id, part)) for part in VITAL_PARTS]


def score_ref(follow_up_id: int, score: str) -> dict[str, str]:
    return ref("Observation", _score_key(follow_up_id, score))


def _observation(record: PatientRecord, key: str, category: dict[str, Any],
                 code: dict[str, Any], by: int | None, at: Any, encounter: int | None,
                 **value: Any) -> Resource:
    return resource(
        "Observation", key, status="final", category=[category], code=code,
        subject=patient_ref(record),
        encounter=encounter_ref(encounter) if encounter is not None else None,
        effectiveDateTime=when(at),
        performer=[practitioner_ref(record, by)] if by is not None else None, **value)


def vital_signs(record: PatientRecord, row: m.VitalSigns) -> list[Resource]:
    def observe(part: str, category: dict[str, Any], code: dict[str, Any],
                **value: Any) -> Resource:
        return _observation(record, _vital_key(row.id, part), category, code, row.by_id, row.at,
                            row.session_id, **value)

    pressure = [{"code": codes.SYSTOLIC,
                 "valueQuantity": codes.quantity(row.systolic, "mmHg", "mm[Hg]")},
                {"code": codes.DIASTOLIC,
                 "valueQuantity": codes.quantity(row.diastolic, "mmHg", "mm[Hg]")}]
    found = [
        observe("blood-pressure", codes.VITAL_SIGNS, codes.BP_PANEL, component=pressure),
        observe("heart-rate", codes.VITAL_SIGNS, codes.HEART_RATE,
                valueQuantity=codes.quantity(row.heart_rate, "beats/minute", "/min")),
        observe("spo2", codes.VITAL_SIGNS, codes.SPO2,
                valueQuantity=codes.quantity(row.spo2, "%", "%")),
    ]
    if row.sedation_moaas is not None:
        found.append(observe("sedation", codes.SURVEY, codes.SEDATION,
                             valueInteger=row.sedation_moaas))
    if row.dissociation is not None:
        found.append(observe("dissociation", codes.SURVEY, codes.DISSOCIATION,
                             valueInteger=row.dissociation))
    return found


def recorded_scores(row: m.FollowUp) -> list[tuple[str, codes.Concept, int]]:
    """The PHQ-9 and GAD-7 totals a completed follow-up holds (each is optional)."""
    if row.completed_at is None:
        return []
    found = (("phq9", codes.PHQ9, row.phq9), ("gad7", codes.GAD7, row.gad7))
    return [(name, code, value) for name, code, value in found if value is not None]


def scores(record: PatientRecord, row: m.FollowUp) -> list[Resource]:
    return [_observation(record, _score_key(row.id, name), codes.SURVEY, code,
                         row.completed_by, row.completed_at, None, valueInteger=value)
            for name, code, value in recorded_scores(row)]


def observations(record: PatientRecord) -> list[Resource]:
    return [o for row in record.vitals for o in vital_signs(record, row)]


def score_observations(record: PatientRecord) -> list[Resource]:
    return [o for row in record.follow_ups for o in scores(record, row)]
