"""A session in which every requirement holds, to be spoiled one detail at a time."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from kapbot.care.values import (
    Actor,
    CarePair,
    Checklist,
    DoseSignOff,
    Plan,
    Presence,
    Role,
    SessionSnapshot,
    SessionState,
    Vitals,
)

NOW = datetime(2026, 3, 2, 9, 50, tzinfo=UTC)
SCHEDULED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PRESCRIBER_ID, THERAPIST_ID, OTHER_ID = 1, 2, 3
PAIR = CarePair(patient_id=7, code="KAP-0042", prescriber_id=PRESCRIBER_ID,
                therapist_id=THERAPIST_ID)
ITEMS = frozenset({"consent", "fasting", "no_substances", "transport", "emergency_contact"})

prescriber = Actor("UPRESCRIB", PRESCRIBER_ID, frozenset({Role.PRESCRIBER}), True)
therapist = Actor("UTHERAPST", THERAPIST_ID, frozenset({Role.THERAPIST}), True)
other_therapist = Actor("UOTHERTHR", OTHER_ID, frozenset({Role.THERAPIST}), True)
stranger = Actor("USTRANGER")


def ready(**changes: object) -> SessionSnapshot:
    plan = Plan(id=11, version=1, prescriber_id=PRESCRIBER_ID, formulation="rdt",
                route="sublingual", dose_mg=100, max_dose_mg=150, sessions_authorised=6,
                sessions_used=0, valid_until=date(2026, 12, 31))
    checklist = Checklist(21, THERAPIST_ID, NOW - timedelta(minutes=20), ITEMS,
                          Vitals(120, 80, 72, 98))
    sign_off = DoseSignOff(31, PRESCRIBER_ID, NOW - timedelta(minutes=10), 100, plan.id,
                           checklist.id)
    presence = Presence(41, THERAPIST_ID, NOW - timedelta(minutes=2), True, 100, "sublingual")
    snap = SessionSnapshot(id=5, pair=PAIR, state=SessionState.SCHEDULED, scheduled_at=SCHEDULED,
                           plan=plan, checklist=checklist, sign_off=sign_off, presence=presence)
    return replace(snap, **changes)  # type: ignore[arg-type]
