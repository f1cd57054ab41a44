"""Each session as an Appointment and an Encounter; its checklists as QuestionnaireResponses."""

from kapbot.fhir.ids import resource_id
from kapbot.policy import Policy
from tests.clinic import ALL_ITEMS, DISCHARGE, THERAPIST, Clinic, accepted
from tests.fhir.story import CANCEL_REASON, Json, Story, codes_of, export, of_type, resolve

LOINC = "http://loinc.org"


def by_id(bundle: Json, resource_type: str, key: int) -> Json:
    wanted = resource_id(resource_type, key)
    return next(r for r in of_type(bundle, resource_type) if r["id"] == wanted)


def test_every_session_is_an_appointment_and_an_encounter_with_its_outcome(
        bundle: Json, story: Story) -> None:
    outcome = {key: (by_id(bundle, "Appointment", key)["status"],
                     by_id(bundle, "Encounter", key)["status"])
               for key in (story.ended, story.aborted, story.cancelled)}

    assert len(of_type(bundle, "Appointment")) == len(of_type(bundle, "Encounter")) == 3
    assert outcome == {story.ended: ("fulfilled", "finished"),
                       story.aborted: ("fulfilled", "finished"),
                       story.cancelled: ("cancelled", "cancelled")}


def test_the_appointment_is_booked_for_the_minimum_monitoring_and_the_encounter_is_what_ran(
        bundle: Json, story: Story) -> None:
    booked = by_id(bundle, "Appointment", story.ended)
    ran = by_id(bundle, "Encounter", story.ended)

    assert (booked["start"], booked["end"]) == ("2026-03-02T12:00:00Z", "2026-03-02T14:00:00Z")
    assert ran["period"] == {"start": "2026-03-02T11:50:00Z", "end": "2026-03-02T13:55:00Z"}
    assert resolve(bundle, ran["appointment"][0]) == booked
    assert ran["class"]["code"] == "AMB"
    therapist = resolve(bundle, ran["participant"][0]["individual"])
    assert therapist["identifier"][0]["value"] == THERAPIST


def test_a_cancelled_session_keeps_its_reason_and_never_ran(bundle: Json, story: Story) -> None:
    booked = by_id(bundle, "Appointment", story.cancelled)

    assert booked["cancelationReason"] == {"text": CANCEL_REASON}
    assert "period" not in by_id(bundle, "Encounter", story.cancelled)


def test_the_checklists_are_questionnaire_responses_of_what_the_therapist_affirmed(
        bundle: Json, story: Story) -> None:
    answers = {}
    for response in of_type(bundle, "QuestionnaireResponse"):
        if resolve(bundle, response["encounter"])["id"] == resource_id("Encounter", story.ended):
            [group] = response["item"]
            answers[group["linkId"]] = {i["linkId"]: i["answer"] for i in group["item"]}
            assert response["status"] == "completed"
            assert resolve(bundle, response["author"])["identifier"][0]["value"] == THERAPIST

    assert set(answers) == {"pre_session", "discharge"}
    assert set(answers["discharge"]) == set(DISCHARGE)
    assert set(answers["pre_session"]) == {*ALL_ITEMS, "pre_dose_vitals"}
    assert answers["pre_session"]["consent"] == [{"valueBoolean": True}]


def test_the_pre_session_checklist_points_at_the_pre_dose_vitals_observations(
        bundle: Json, story: Story) -> None:
    pre_session = next(r for r in of_type(bundle, "QuestionnaireResponse")
                       if r["item"][0]["linkId"] == "pre_session")
    vitals = next(i for i in pre_session["item"][0]["item"] if i["linkId"] == "pre_dose_vitals")

    readings = [resolve(bundle, a["valueReference"]) for a in vitals["answer"]]

    assert [codes_of(r["code"]) & {(LOINC, c) for c in ("85354-9", "8867-4", "59408-5")}
            for r in readings] == [{(LOINC, "85354-9")}, {(LOINC, "8867-4")},
                                   {(LOINC, "59408-5")}]
    assert readings[1]["valueQuantity"]["value"] == 72
    assert {r["effectiveDateTime"] for r in readings} == {pre_session["authored"]}


def test_a_session_under_way_is_an_arrived_appointment_and_a_dose_in_progress(
        clinic: Clinic, policy: Policy) -> None:
    clinic.post_plan()
    session = clinic.schedule()
    clinic.prepare(session, dose=75)
    accepted(clinic.start(session))

    bundle = export(clinic.services, policy)
    [given] = of_type(bundle, "MedicationAdministration")

    assert by_id(bundle, "Appointment", session)["status"] == "arrived"
    assert by_id(bundle, "Encounter", session)["status"] == "in-progress"
    assert by_id(bundle, "Encounter", session)["period"] == {"start": "2026-03-02T11:50:00Z"}
    assert (given["status"], given["dosage"]["dose"]["value"]) == ("in-progress", 75)
    assert "note" not in given
