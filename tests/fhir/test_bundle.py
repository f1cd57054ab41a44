"""The Bundle as a whole: valid FHIR, self-contained, reproducible, and only this patient."""

import logging
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from kapbot.fhir import load, patient_bundle_json
from kapbot.policy import Policy
from kapbot.services import Services
from tests.clinic import ADMIN, OTHER_THERAPIST, PRESCRIBER, Clinic, accepted, plan_form
from tests.fhir.story import (
    ABORT_REASON,
    CANCEL_REASON,
    EVENT,
    FOLLOW_UP_NOTE,
    FOR_PRESCRIBER,
    PLAN_NOTE,
    Json,
    Story,
    export,
)


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for value in node.values() for r in references(value)]
    if isinstance(node, list):
        return [r for item in node for r in references(item)]
    return []


def test_the_whole_story_validates_as_a_fhir_r4_collection(bundle: Json) -> None:
    parsed = Bundle.model_validate(bundle)

    assert parsed.type == "collection"
    assert len(parsed.entry or ()) == len(bundle["entry"])
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {
        "Patient", "Practitioner", "CareTeam", "MedicationRequest", "Appointment", "Encounter",
        "QuestionnaireResponse", "Observation", "MedicationAdministration", "Provenance",
        "AdverseEvent", "Task"}


def test_every_reference_resolves_to_an_entry_of_the_same_bundle(bundle: Json) -> None:
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    found = references(bundle)

    assert len(full_urls) == len(set(full_urls)), "two entries share a fullUrl"
    assert all(u == f"urn:uuid:{e['resource']['id']}" for u, e in zip(full_urls, bundle["entry"],
                                                                       strict=True))
    assert len(found) > 100
    assert set(found) <= set(full_urls), set(found) - set(full_urls)


def test_exporting_twice_gives_the_same_bytes(story: Story, services: Services,
                                              policy: Policy) -> None:
    first = patient_bundle_json(services.db, "KAP-0042", policy)
    second = patient_bundle_json(services.db, "KAP-0042", policy)

    assert first is not None
    assert first == second


def test_an_unknown_patient_code_exports_nothing(services: Services, policy: Policy) -> None:
    assert load(services.db, "KAP-9999") is None
    assert patient_bundle_json(services.db, "KAP-9999", policy) is None


def test_a_patient_with_no_plan_yet_is_still_a_valid_bundle_of_the_pair(
        clinic: Clinic, services: Services, policy: Policy) -> None:
    bundle = export(services, policy)

    Bundle.model_validate(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "Patient", "Practitioner", "Practitioner", "CareTeam"]


def test_another_patients_record_stays_out(story: Story, clinic: Clinic, services: Services,
                                           policy: Policy) -> None:
    accepted(services.add_patient(ADMIN, "KAP-0043", PRESCRIBER, OTHER_THERAPIST, "C0PAIR43"))
    accepted(services.post_plan(PRESCRIBER, "KAP-0043",
                                plan_form(notes="Another patient's plan.")))

    bundle = export(services, policy)

    assert "Another patient's plan." not in str(bundle)
    assert "KAP-0043" not in str(bundle)
    assert "UOTHERTHR" not in str(bundle)


def test_the_clinical_notes_reach_the_bundle_but_never_a_log(
        story: Story, services: Services, policy: Policy,
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="kapbot"):
        text = patient_bundle_json(services.db, "KAP-0042", policy)

    assert text is not None
    for note in (PLAN_NOTE, FOR_PRESCRIBER, EVENT, ABORT_REASON, CANCEL_REASON,
                 FOLLOW_UP_NOTE):
        assert note in text
        assert note not in caplog.text
