"""A small clinic for tests: an admin, a care pair, a patient, and the steps of a session.

Tests read as the clinic's story: `clinic.prepare(session)` does what a therapist and a
prescriber do before a session, each step through the real services.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from kapbot.care.dosing import PlanForm
from kapbot.clock import ManualClock
from kapbot.services import Outcome, Services

ADMIN = "UADMIN"
PRESCRIBER = "UPRESCRIB"
THERAPIST = "UTHERAPST"
OTHER_THERAPIST = "UOTHERTHR"
STRANGER = "USTRANGER"
CODE = "KAP-0042"
ALL_ITEMS = ("consent", "fasting", "no_substances", "transport", "emergency_contact")
DISCHARGE = ("alert_oriented", "vitals_within_limits", "escort_present")


def plan_form(dose: object = 100, maximum: object = 150, sessions: object = 6,
              valid_until: object = "2026-12-31", route: str = "sublingual",
              formulation: str = "rdt", notes: str = "Start low.") -> PlanForm:
    return PlanForm(formulation, route, dose, maximum, sessions, valid_until, notes)


def accepted(outcome: Outcome) -> Outcome:
    assert outcome.ok, outcome.reasons
    return outcome


@dataclass
class Clinic:
    services: Services
    clock: ManualClock

    @classmethod
    def open(cls, services: Services, clock: ManualClock) -> "Clinic":
        clinic = cls(services, clock)
        accepted(services.add_clinician(ADMIN, PRESCRIBER, ["prescriber"], "Dr Rowe"))
        accepted(services.add_clinician(ADMIN, THERAPIST, ["therapist"], "Sam Lee"))
        accepted(services.add_clinician(ADMIN, OTHER_THERAPIST, ["therapist"], "Ari Chen"))
        accepted(services.add_patient(ADMIN, CODE, PRESCRIBER, THERAPIST, "C0PAIR42"))
        return clinic

    def post_plan(self, **changes: object) -> Outcome:
        return accepted(self.services.post_plan(PRESCRIBER, CODE, plan_form(**changes)))

    def schedule(self, in_: timedelta = timedelta(hours=3)) -> int:
        outcome = accepted(self.services.schedule_session(THERAPIST, CODE,
                                                          self.clock.now() + in_))
        assert outcome.id is not None
        return outcome.id

    def checklist(self, session_id: int, items: tuple[str, ...] = ALL_ITEMS,
                  bp: tuple[int, int] = (120, 80)) -> Outcome:
        return self.services.complete_checklist(THERAPIST, session_id, items, bp[0], bp[1], 72,
                                                98)

    def sign_off(self, session_id: int, dose: object = 100) -> Outcome:
        return self.services.sign_off_dose(PRESCRIBER, session_id, dose)

    def presence(self, session_id: int, dose: object = 100, route: str = "sublingual") -> Outcome:
        return self.services.confirm_presence(THERAPIST, session_id, True, dose, route)

    def at_scheduled_time(self, session_id: int) -> datetime:
        """Move the clock to 10 minutes before the session's time: inside every window."""
        from kapbot.store.models import DosingSession
        with self.services.db.reading() as tx:
            row = tx.get(DosingSession, session_id)
            assert row is not None
            self.clock.set(row.scheduled_at - timedelta(minutes=10))
        return self.clock.now()

    def prepare(self, session_id: int, dose: int = 100) -> None:
        """Everything both clinicians do before a session, done right, just before it."""
        self.at_scheduled_time(session_id)
        accepted(self.checklist(session_id))
        accepted(self.sign_off(session_id, dose))
        accepted(self.presence(session_id, dose))

    def start(self, session_id: int) -> Outcome:
        return self.services.start_session(THERAPIST, session_id)

    def run_session(self, dose: int = 100) -> int:
        """A whole session, scheduled, prepared, started and ended after monitoring."""
        session_id = self.schedule()
        self.prepare(session_id, dose)
        accepted(self.start(session_id))
        self.clock.advance(timedelta(minutes=125))
        accepted(self.services.end_session(THERAPIST, session_id, DISCHARGE))
        return session_id


def rows(services: Services, table: type) -> list:
    """Every row of a table, for asserting what was (and was not) written."""
    from sqlmodel import select
    with services.db.reading() as tx:
        return list(tx.exec(select(table)))
