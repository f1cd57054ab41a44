"""Follow-ups as Tasks (whatever state kapbot gives them) and adverse events as AdverseEvent."""

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import update
from sqlmodel import col

from kapbot.fhir.ids import resource_id
from kapbot.policy import Policy
from kapbot.services import Services
from kapbot.store import models as m
from tests.clinic import THERAPIST
from tests.fhir.story import EVENT, FOLLOW_UP_NOTE, Json, Story, export, of_type, resolve


def task_of(bundle: Json, follow_up_id: int) -> Json:
    return next(t for t in of_type(bundle, "Task")
                if t["id"] == resource_id("Task", follow_up_id))


def test_the_completed_follow_up_is_a_completed_task_with_its_scores_and_note(
        bundle: Json, story: Story) -> None:
    done = task_of(bundle, story.integration)

    assert (done["status"], done["businessStatus"]["text"]) == ("completed", "done")
    assert done["code"]["text"] == "Integration session"
    assert done["restriction"]["period"] == {"start": "2026-03-03T13:55:00Z",
                                             "end": "2026-03-06T13:55:00Z"}
    assert done["executionPeriod"] == {"end": "2026-03-03T13:55:00Z"}
    assert done["note"][0]["text"] == FOLLOW_UP_NOTE
    assert [(o["type"]["text"], resolve(bundle, o["valueReference"])["valueInteger"])
            for o in done["output"]] == [("PHQ-9", 12), ("GAD-7", 9)]


def test_the_open_follow_up_is_a_task_ready_for_the_therapist(bundle: Json,
                                                               story: Story) -> None:
    waiting = task_of(bundle, story.check_in)

    assert (waiting["status"], waiting["businessStatus"]["text"]) == ("ready", "open")
    assert resolve(bundle, waiting["owner"])["identifier"][0]["value"] == THERAPIST
    assert resolve(bundle, waiting["encounter"])["id"] == resource_id("Encounter", story.ended)
    assert "output" not in waiting
    assert "executionPeriod" not in waiting


@pytest.mark.parametrize(("state", "status"), [
    pytest.param("missed", "failed", id="missed"),
    pytest.param("snoozed", "requested", id="a state this kapbot does not know yet"),
])
def test_a_follow_up_in_another_state_still_exports_and_keeps_kapbots_word_for_it(
        story: Story, services: Services, policy: Policy, state: str, status: str) -> None:
    with services.db.transaction() as tx:
        tx.exec(update(m.FollowUp).where(col(m.FollowUp.id) == story.check_in)  # type: ignore[call-overload]
                .values(state=state))

    bundle = export(services, policy)
    Bundle.model_validate(bundle)
    task = task_of(bundle, story.check_in)

    assert (task["status"], task["businessStatus"]["text"]) == (status, state)


def test_the_adverse_event_carries_the_therapists_words_and_its_severity(
        bundle: Json, story: Story) -> None:
    [event] = of_type(bundle, "AdverseEvent")

    assert event["event"] == {"text": EVENT}
    assert event["severity"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
        "code": "mild", "display": "Mild"}
    assert event["actuality"] == "actual"
    assert event["date"] == "2026-03-02T13:55:00Z"
    assert resolve(bundle, event["recorder"])["identifier"][0]["value"] == THERAPIST
    assert resolve(bundle, event["suspectEntity"][0]["instance"])["id"] == resource_id(
        "MedicationAdministration", story.ended)
