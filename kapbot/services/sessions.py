"""A dosing session's life: scheduled, prepared by both, started, watched, ended.

Each method is one audited transaction. Preparation (checklist, sign-off, presence) is
recorded as rows that the gate reads; the state itself only moves by compare-and-set,
so a double click, a Slack retry or a second replica can never start a session twice.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from kapbot.care import authority, dosing, gate, inputs, session_rules
from kapbot.care.values import Actor, Role, SessionSnapshot, SessionState
from kapbot.care.wording import local
from kapbot.services import notify, timers
from kapbot.services.base import Outcome, ServiceBase
from kapbot.store import models as m
from kapbot.store import snapshots

SessionBody = Callable[[Session, Actor, SessionSnapshot], Outcome]



class SessionService(ServiceBase):
    def _on_session(self, actor_id: str, action: str, session_id: int,
                    body: SessionBody, changes_shown: bool = True) -> Outcome:
        """Run `body` on the locked session's snapshot; when it is accepted, re-render what
        shows the session (an action that changes nothing shown, such as opening a form,
        says so)."""

        def run(tx: Session, actor: Actor) -> Outcome:
            snap = snapshots.session_snapshot(tx, session_id)
            if snap is None:
                return Outcome.refuse(f"No session {session_id}.")
            outcome = body(tx, actor, snap)
            if outcome.ok and changes_shown:
                notify.refresh_card(tx, snap.id, snap.pair.patient_id, self.clock.now())
                self._refresh_homes(tx, snap.pair.prescriber_id, snap.pair.therapist_id)
            return outcome

        return self._run(actor_id, action, f"session:{session_id}", run)

    def _move(self, tx: Session, session_id: int, expected: SessionState,
              **values: object) -> bool:
        """Compare-and-set the state: true only for the one caller that moved it."""
        result = tx.exec(update(m.DosingSession)  # type: ignore[call-overload]
                         .where(col(m.DosingSession.id) == session_id,
                                col(m.DosingSession.state) == expected.value)
                         .values(**values))
        return bool(result.rowcount == 1)

    def schedule_session(self, actor_id: str, code: str, at: datetime) -> Outcome:
        def body(tx: Session, actor: Actor) -> Outcome:
            patient = snapshots.locked_patient(tx, code)
            if patient is None or patient.id is None:
                return self._not_a_patient(code)
            now = self.clock.now()
            reasons = [authority.of_pair(actor, snapshots.pair(patient),
                                             "schedule a session")]
            if at.tzinfo is None:
                reasons.append("The session time has no timezone.")
            elif at <= now:
                reasons.append(f"The session time {local(at, self.policy.tz)} is in the past.")
            found = [r for r in reasons if r]
            if found:
                return Outcome.refuse(*found)
            assert actor.clinician_id is not None
            row = m.DosingSession(patient_id=patient.id, scheduled_at=at, created_at=now,
                                  created_by=actor.clinician_id)
            tx.add(row)
            tx.flush()
            assert row.id is not None
            notify.post_card(tx, row.id, patient.id, now)
            plan = snapshots.active_plan(tx, patient.id)
            timers.session_booked(tx, row.id, patient.id, at, plan.version if plan else None,
                                  now, self.policy)
            return Outcome(id=row.id)

        return self._run(actor_id, "schedule_session", self._patient_subject(code), body)

    def complete_checklist(self, actor_id: str, session_id: int, affirmed: Iterable[str],
                           systolic: object, diastolic: object, heart_rate: object,
                           spo2: object) -> Outcome:
        """The therapist's sign-in. Re-doing it voids the prescriber's dose sign-off."""
        ticked = frozenset(affirmed)

        def body(tx: Session, actor: Actor, snap: SessionSnapshot) -> Outcome:
            decision = session_rules.may_prepare(snap, actor, "complete the checklist",
                                                 Role.THERAPIST)
            vitals, reasons = inputs.vitals(systolic, diastolic, heart_rate, spo2)
            known = {item.id for item in self.policy.checklist}
            unknown = sorted(ticked - known)
            if unknown:
                reasons.append(f"Unknown checklist item {', '.join(unknown)}.")
            if decision.refused or vitals is None or unknown:
                return Outcome.refuse(*decision.reasons, *reasons)
            now = self.clock.now()
            assert actor.clinician_id is not None
            reading = m.VitalSigns(session_id=snap.id, by_id=actor.clinician_id, at=now,
                                   phase="pre_dose", systolic=vitals.systolic,
                                   diastolic=vitals.diastolic, heart_rate=vitals.heart_rate,
                                   spo2=vitals.spo2)
            tx.add(reading)
            tx.flush()
            row = m.ChecklistResponse(session_id=snap.id, kind="pre_session",
                                      by_id=actor.clinician_id, at=now,
                                      affirmed=sorted(ticked), vitals_id=reading.id)
            tx.add(row)
            tx.flush()
            after = snapshots.session_snapshot(tx, snap.id, lock=False)
            assert after is not None
            state = gate.requirement(after, now, self.policy, "checklist")
            return Outcome(warnings=state.reasons + state.warnings, id=row.id)

        return self._on_session(actor_id, "complete_checklist", session_id, body)

    def sign_off_dose(self, actor_id: str, session_id: int, dose_mg: object) -> Outcome:
        """The prescriber's go for one dose, after a passing checklist, under the active plan."""

        def body(tx: Session, actor: Actor, snap: SessionSnapshot) -> Outcome:
            decision = session_rules.may_prepare(snap, actor, "sign off the dose",
                                                 Role.PRESCRIBER)
            if decision.refused:
                return Outcome.from_decision(decision)
            now = self.clock.now()
            dose, dose_reason = inputs.positive_mg(dose_mg, "Dose for this session")
            reasons = [dose_reason] if dose_reason else []
            plan = gate.requirement(snap, now, self.policy, "plan")
            checklist = gate.requirement(snap, now, self.policy, "checklist")
            reasons += plan.reasons + checklist.reasons
            if dose is not None and snap.plan is not None:
                reasons += dosing.dose_reasons(dose, snap.plan, snap.prior_dose, self.policy)
            if reasons or dose is None or snap.plan is None or snap.checklist is None:
                return Outcome.refuse(*reasons)
            assert actor.clinician_id is not None
            row = m.DoseSignOff(session_id=snap.id, by_id=actor.clinician_id, at=now,
                                dose_mg=dose, plan_id=snap.plan.id,
                                checklist_id=snap.checklist.id)
            tx.add(row)
            tx.flush()
            return Outcome(id=row.id, warnings=checklist.warnings)

        return self._on_session(actor_id, "sign_off_dose", session_id, body)

    def confirm_presence(self, actor_id: str, session_id: int, in_room: bool, dose_mg: object,
                         route: str) -> Outcome:
        """The therapist in the room, reading dose and route off the tablets, unprompted."""

        def body(tx: Session, actor: Actor, snap: SessionSnapshot) -> Outcome:
            decision = session_rules.may_prepare(snap, actor, "confirm presence",
                                                 Role.THERAPIST)
            if decision.refused:
                return Outcome.from_decision(decision)
            dose, dose_reason = inputs.positive_mg(dose_mg, "Dose on the dispensed tablets")
            reasons = [] if in_room else ["Tick “I am in the room with the patient” to confirm "
                                          "presence."]
            if dose_reason:
                reasons.append(dose_reason)
            route_key = route.strip().lower()
            if not route_key:
                reasons.append("Route is required.")
            elif route_problem := dosing.route_reason(route_key, self.policy):
                reasons.append(route_problem)
            if reasons or dose is None:
                return Outcome.refuse(*reasons)
            assert actor.clinician_id is not None
            row = m.PresenceConfirmation(session_id=snap.id, by_id=actor.clinician_id,
                                         at=self.clock.now(), in_room=True, dose_mg=dose,
                                         route=route_key)
            tx.add(row)
            tx.flush()
            return Outcome(id=row.id)

        return self._on_session(actor_id, "confirm_presence", session_id, body)

    def start_session(self, actor_id: str, session_id: int) -> Outcome:
        """The time out: starts only if all six requirements hold at this instant."""

        def body(tx: Session, actor: Actor, snap: SessionSnapshot) -> Outcome:
            now = self.clock.now()
            decision = gate.may_start(snap, actor, now, self.policy)
            if decision.refused:
                return Outcome.from_decision(decision)
            assert snap.plan and snap.sign_off and actor.clinician_id is not None
            if not self._move(tx, snap.id, SessionState.SCHEDULED,
                              state=SessionState.IN_PROGRESS.value, started_at=now,
                              started_by=actor.clinician_id, plan_id=snap.plan.id,
                              dose_mg=snap.sign_off.dose_mg, route=snap.plan.route):
                return Outcome.refuse("The session was already started.")
            timers.session_started(tx, snap.id, snap.pair.patient_id, now, now, self.policy)
            return Outcome(warnings=decision.warnings, id=snap.id)

        return self._on_session(actor_id, "start_session", session_id, body)

