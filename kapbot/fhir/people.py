"""The patient (by code alone), the clinicians (by Slack user ID) and the care pair.

kapbot never holds a patient's name, birth date or diagnosis, so none can leak into the
export: the clinic's EHR joins the Bundle to its own chart through the patient code.
"""

from kapbot.fhir import codes
from kapbot.fhir.ids import Resource, ref, resource, when
from kapbot.fhir.record import PatientRecord


def patient_ref(record: PatientRecord) -> dict[str, str]:
    return ref("Patient", record.code)


def practitioner_ref(record: PatientRecord, clinician_id: int) -> dict[str, str]:
    return ref("Practitioner", record.slack_id(clinician_id))


def patient(record: PatientRecord) -> Resource:
    return resource("Patient", record.code,
                    identifier=[{"system": codes.PATIENT_CODE, "value": record.code}])


def practitioners(record: PatientRecord) -> list[Resource]:
    return [resource("Practitioner", c.slack_user_id,
                     identifier=[{"system": codes.SLACK_USER, "value": c.slack_user_id}],
                     active=c.active,
                     name=[{"text": c.display_name}] if c.display_name.strip() else None)
            for c in record.clinicians.values()]


def care_team(record: PatientRecord) -> Resource:
    pair = record.patient
    return resource(
        "CareTeam", record.code, status="active", name="KAP care pair",
        subject=patient_ref(record), period={"start": when(pair.created_at)},
        participant=[
            {"role": [codes.text_only("Prescriber")],
             "member": practitioner_ref(record, pair.prescriber_id)},
            {"role": [codes.text_only("Therapist")],
             "member": practitioner_ref(record, pair.therapist_id)},
        ])
