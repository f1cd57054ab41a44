"""A patient's whole story, told through the real services, and its export as plain JSON.

Two plan versions (buccal, then sublingual); a session that ran its two hours with vitals,
an adverse event and notes for the prescriber; its integration follow-up completed with
PHQ-9 and GAD-7 a day later; a second session, a week on, started at 125 mg and aborted;
and a third scheduled and cancelled.
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kapbot.fhir import build, load
from kapbot.policy import Policy
from kapbot.services import Services
from kapbot.store import models as m
from tests.clinic import CODE, DISCHARGE, THERAPIST, Clinic, accepted, rows

PLAN_NOTE = "Start low; review after session 2."
FOR_PRESCRIBER = "Tearful at +60, settled by +90; keen to continue."
EVENT = "Nausea at +30 min, settled without treatment."
ABORT_REASON = "Patient asked to stop: panic rising at +15."
CANCEL_REASON = "Patient unwell with a fever."
FOLLOW_UP_NOTE = "Sleeping better; integrating the session well."

Json = dict[str, Any]


@dataclass(frozen=True)
class Story:
    ended: int
    aborted: int
    cancelled: int
    integration: int
    check_in: int


def tell(clinic: Clinic) -> Story:
    services = clinic.services
    clinic.post_plan(route="buccal", notes="Start low.")
    clinic.post_plan(notes=PLAN_NOTE)

    ended = clinic.schedule()
    clinic.prepare(ended)
    accepted(clinic.start(ended))
    clinic.clock.advance(timedelta(minutes=40))
    accepted(services.record_vitals(THERAPIST, ended, 138, 86, 82, 96, sedation=4,
                                    dissociation=2))
    clinic.clock.advance(timedelta(minutes=85))
    accepted(services.end_session(THERAPIST, ended, DISCHARGE, adverse_events=EVENT,
                                  severity="mild", notes=FOR_PRESCRIBER))

    follow_ups = {f.kind: f.id for f in rows(services, m.FollowUp)}
    clinic.clock.advance(timedelta(days=1))
    accepted(services.complete_follow_up(THERAPIST, follow_ups["integration_session"],
                                         phq9=12, gad7=9, notes=FOLLOW_UP_NOTE))

    clinic.clock.advance(timedelta(days=7))
    aborted = clinic.schedule()
    clinic.prepare(aborted, dose=125)
    accepted(clinic.start(aborted))
    clinic.clock.advance(timedelta(minutes=15))
    accepted(services.abort_session(THERAPIST, aborted, ABORT_REASON))

    cancelled = clinic.schedule()
    accepted(services.cancel_session(THERAPIST, cancelled, CANCEL_REASON))
    return Story(ended, aborted, cancelled, follow_ups["integration_session"],
                 follow_ups["check_in"])


def export(services: Services, policy: Policy) -> Json:
    """The Bundle exactly as the command prints it, read back as JSON."""
    record = load(services.db, CODE)
    assert record is not None
    return json.loads(build(record, policy).model_dump_json())


def of_type(bundle: Json, resource_type: str) -> list[Json]:
    return [e["resource"] for e in bundle["entry"]
            if e["resource"]["resourceType"] == resource_type]


def resolve(bundle: Json, reference: Json) -> Json:
    return next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == reference["reference"])


def codes_of(concept: Json) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in concept.get("coding", [])}
