"""Both people's sign-offs as Provenance, pointing at what each vouched for."""

from kapbot.fhir.ids import resource_id
from kapbot.policy import Policy
from tests.clinic import PRESCRIBER, THERAPIST, Clinic, accepted
from tests.fhir.story import Json, Story, export, of_type, resolve


def agent(bundle: Json, provenance: Json) -> tuple[str, str]:
    [who] = provenance["agent"]
    return who["type"]["coding"][0]["code"], resolve(bundle, who["who"])["identifier"][0]["value"]


def targets(bundle: Json, provenance: Json) -> list[str]:
    return [resolve(bundle, t)["resourceType"] for t in provenance["target"]]


def test_the_dose_sign_off_is_the_prescribers_provenance_of_the_plan_and_the_dose(
        bundle: Json, story: Story) -> None:
    sign_offs = [p for p in of_type(bundle, "Provenance")
                 if p["activity"]["text"].startswith("Dose sign-off")]
    first = sign_offs[0]

    assert [p["activity"]["text"] for p in sign_offs] == ["Dose sign-off: 100 mg",
                                                          "Dose sign-off: 125 mg"]
    assert agent(bundle, first) == ("attester", PRESCRIBER)
    assert targets(bundle, first) == ["MedicationRequest", "MedicationAdministration"]
    assert resolve(bundle, first["target"][1])["id"] == resource_id("MedicationAdministration",
                                                                     story.ended)
    assert resolve(bundle, first["entity"][0]["what"])["item"][0]["linkId"] == "pre_session"
    assert first["recorded"] == "2026-03-02T11:50:00Z"


def test_the_presence_confirmation_is_the_therapists_provenance_of_the_room_and_the_plan(
        bundle: Json) -> None:
    presences = [p for p in of_type(bundle, "Provenance")
                 if p["activity"]["text"].startswith("Presence")]

    assert len(presences) == 2
    assert agent(bundle, presences[0]) == ("verifier", THERAPIST)
    assert targets(bundle, presences[0]) == [
        "MedicationRequest", "Encounter", "MedicationAdministration"]
    assert "read 100 mg sublingual" in presences[0]["activity"]["text"]
    checked = resolve(bundle, presences[0]["target"][0])
    assert checked["identifier"][0]["value"] == "KAP-0042/v2", "the plan in force then"


def test_a_sign_off_made_again_leaves_only_the_later_one_claiming_the_dose(
        clinic: Clinic, policy: Policy) -> None:
    """The gate reads only a session's latest sign-off: that is the one the dose was given on."""
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session)
    accepted(clinic.sign_off(session, 90))
    accepted(clinic.presence(session, 90))
    accepted(clinic.start(session))

    bundle = export(clinic.services, policy)
    sign_offs = [p for p in of_type(bundle, "Provenance")
                 if p["activity"]["text"].startswith("Dose sign-off")]

    assert [targets(bundle, p) for p in sign_offs] == [
        ["MedicationRequest"], ["MedicationRequest", "MedicationAdministration"]]
    given = of_type(bundle, "MedicationAdministration")[0]
    assert given["dosage"]["dose"]["value"] == 90
