"""Vitals and scores as LOINC-coded Observations; sedation and dissociation as text codes."""

from tests.clinic import THERAPIST
from tests.fhir.story import Json, Story, codes_of, of_type, resolve

LOINC = "http://loinc.org"


def coded(bundle: Json, code: str) -> list[Json]:
    return [o for o in of_type(bundle, "Observation") if (LOINC, code) in codes_of(o["code"])]


def test_blood_pressure_is_a_panel_with_systolic_and_diastolic_components(bundle: Json) -> None:
    panels = coded(bundle, "85354-9")

    readings = [{codes_of(c["code"]).pop()[1]: c["valueQuantity"]["value"]
                 for c in p["component"]} for p in panels]

    assert readings == [{"8480-6": 120, "8462-4": 80},  # pre-dose, first session
                        {"8480-6": 138, "8462-4": 86},  # at +40 min
                        {"8480-6": 120, "8462-4": 80}]  # pre-dose, aborted session
    assert panels[1]["component"][0]["valueQuantity"]["code"] == "mm[Hg]"
    assert all(p["category"][0]["coding"][0]["code"] == "vital-signs" for p in panels)
    assert all("value" not in key for p in panels for key in p)


def test_heart_rate_and_spo2_carry_their_loinc_codes_and_ucum_units(bundle: Json) -> None:
    during = coded(bundle, "8867-4")[1], coded(bundle, "59408-5")[1]

    assert [(o["valueQuantity"]["value"], o["valueQuantity"]["code"]) for o in during] == [
        (82, "/min"), (96, "%")]
    assert (LOINC, "2708-6") in codes_of(during[1]["code"])
    assert during[0]["effectiveDateTime"] == "2026-03-02T12:30:00Z"
    assert resolve(bundle, during[0]["performer"][0])["identifier"][0]["value"] == THERAPIST
    assert resolve(bundle, during[0]["encounter"])["resourceType"] == "Encounter"


def test_sedation_and_dissociation_are_observations_with_text_codes(bundle: Json) -> None:
    by_text = {o["code"].get("text"): o for o in of_type(bundle, "Observation")}

    assert by_text["Sedation (MOAA/S, 0-5)"]["valueInteger"] == 4
    assert by_text["Dissociation (clinician's rating, 0-4)"]["valueInteger"] == 2
    assert "coding" not in by_text["Sedation (MOAA/S, 0-5)"]["code"]


def test_phq9_and_gad7_from_the_follow_up_are_loinc_survey_observations(
        bundle: Json, story: Story) -> None:
    [phq9], [gad7] = coded(bundle, "44261-6"), coded(bundle, "70274-6")

    assert (phq9["valueInteger"], gad7["valueInteger"]) == (12, 9)
    assert phq9["category"][0]["coding"][0]["code"] == "survey"
    assert phq9["effectiveDateTime"] == "2026-03-03T13:55:00Z"
    assert resolve(bundle, gad7["performer"][0])["identifier"][0]["value"] == THERAPIST
