"""Who the record is about and who cared for them: a code, and two clinicians."""

from kapbot.fhir import codes
from tests.clinic import CODE, PRESCRIBER, THERAPIST
from tests.fhir.story import Json, of_type, resolve


def test_the_patient_is_identified_only_by_the_opaque_patient_code(bundle: Json) -> None:
    [patient] = of_type(bundle, "Patient")

    assert set(patient) == {"resourceType", "id", "identifier"}
    assert patient["identifier"] == [{"system": codes.PATIENT_CODE, "value": CODE}]


def test_the_care_pair_is_a_care_team_of_the_prescriber_and_the_therapist(bundle: Json) -> None:
    [team] = of_type(bundle, "CareTeam")
    [patient] = of_type(bundle, "Patient")

    members = {p["role"][0]["text"]: resolve(bundle, p["member"]) for p in team["participant"]}

    assert team["status"] == "active"
    assert resolve(bundle, team["subject"]) == patient
    assert {role: m["identifier"][0]["value"] for role, m in members.items()} == {
        "Prescriber": PRESCRIBER, "Therapist": THERAPIST}
    assert members["Prescriber"]["name"] == [{"text": "Dr Rowe"}]
    assert members["Therapist"]["name"] == [{"text": "Sam Lee"}]


def test_practitioners_are_identified_by_slack_user_id_and_only_those_in_the_record(
        bundle: Json) -> None:
    practitioners = of_type(bundle, "Practitioner")

    assert sorted((p["identifier"][0]["system"], p["identifier"][0]["value"], p["active"])
                  for p in practitioners) == [
        (codes.SLACK_USER, PRESCRIBER, True), (codes.SLACK_USER, THERAPIST, True)]
