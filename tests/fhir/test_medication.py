"""Plans as MedicationRequests, doses taken as MedicationAdministrations."""

from kapbot.fhir import codes
from kapbot.fhir.ids import resource_id
from tests.fhir.story import (
    ABORT_REASON,
    FOR_PRESCRIBER,
    PLAN_NOTE,
    Json,
    Story,
    codes_of,
    of_type,
    resolve,
)

SUBLINGUAL = ("http://snomed.info/sct", "37839007")
BUCCAL = ("http://snomed.info/sct", "54471007")
KETAMINE = ("http://www.nlm.nih.gov/research/umls/rxnorm", "6130")


def mg(amount: int) -> Json:
    return {"value": amount, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}


def test_each_dose_plan_version_is_a_medication_request_the_newer_replacing_the_older(
        bundle: Json) -> None:
    first, second = of_type(bundle, "MedicationRequest")

    assert [r["identifier"][0]["value"] for r in (first, second)] == ["KAP-0042/v1",
                                                                       "KAP-0042/v2"]
    assert (first["status"], second["status"]) == ("stopped", "active")
    assert first["statusReason"] == {"text": "Superseded by a newer dose plan"}
    assert resolve(bundle, second["priorPrescription"]) == first
    assert "priorPrescription" not in first
    assert codes_of(first["dosageInstruction"][0]["route"]) == {BUCCAL}
    assert codes_of(second["dosageInstruction"][0]["route"]) == {SUBLINGUAL}


def test_the_plan_carries_dose_maximum_sessions_validity_and_the_prescribers_note(
        bundle: Json) -> None:
    plan = of_type(bundle, "MedicationRequest")[1]
    [dosage] = plan["dosageInstruction"]

    assert plan["intent"] == "order"
    assert KETAMINE in codes_of(plan["medicationCodeableConcept"])
    assert plan["medicationCodeableConcept"]["text"] == "Ketamine rapid-dissolve tablet"
    assert dosage["doseAndRate"] == [{"doseQuantity": mg(100)}]
    assert dosage["maxDosePerAdministration"] == mg(150)
    assert dosage["timing"] == {"repeat": {"count": 6}}
    assert plan["dispenseRequest"]["validityPeriod"]["end"] == "2026-12-31"
    assert plan["note"][0]["text"] == PLAN_NOTE
    assert resolve(bundle, plan["note"][0]["authorReference"])["identifier"][0]["value"] == (
        "UPRESCRIB")
    assert resolve(bundle, plan["requester"]) == resolve(bundle,
                                                         plan["note"][0]["authorReference"])


def test_the_dose_taken_is_a_medication_administration_of_100_mg_sublingual(
        bundle: Json, story: Story) -> None:
    given = next(a for a in of_type(bundle, "MedicationAdministration")
                 if a["id"] == resource_id("MedicationAdministration", story.ended))

    assert given["status"] == "completed"
    assert given["dosage"]["dose"] == mg(100)
    assert codes_of(given["dosage"]["route"]) == {SUBLINGUAL}
    assert given["effectiveDateTime"] == "2026-03-02T11:50:00Z"
    assert resolve(bundle, given["request"])["identifier"][0]["value"] == "KAP-0042/v2"
    assert resolve(bundle, given["context"])["id"] == resource_id("Encounter", story.ended)
    assert given["note"][0]["text"] == FOR_PRESCRIBER


def test_an_aborted_session_is_a_dose_taken_and_stopped_with_its_reason(
        bundle: Json, story: Story) -> None:
    administrations = of_type(bundle, "MedicationAdministration")
    aborted = next(a for a in administrations
                   if a["id"] == resource_id("MedicationAdministration", story.aborted))

    assert len(administrations) == 2, "the cancelled session gave no dose"
    assert aborted["status"] == "stopped"
    assert aborted["dosage"]["dose"] == mg(125)
    assert aborted["note"][0]["text"] == ABORT_REASON


def test_routes_map_to_their_snomed_codes_and_an_unknown_route_keeps_its_words() -> None:
    assert codes_of(codes.route("sublingual")) == {SUBLINGUAL}
    assert codes_of(codes.route("buccal")) == {BUCCAL}
    assert codes_of(codes.route("oral")) == {("http://snomed.info/sct", "26643006")}
    assert codes.route("intranasal") == {"text": "intranasal"}
