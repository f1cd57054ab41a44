"""Opening a form is checked like any action: the right person, the right moment, audited.

A button's value or a modal's metadata only says which session; this decides whether
this person may open that form now, and gathers what the form shows (the checklist's
vitals for the prescriber, never the authorised dose for the therapist's double check).
"""

from sqlmodel import Session

from kapbot.care import authority, gate, session_rules
from kapbot.care.values import Actor, Decision, FollowUpState, Role, SessionSnapshot
from kapbot.care.wording import local
from kapbot.services.base import Outcome
from kapbot.services.sessions import SessionService
from kapbot.store import models as m
from kapbot.store import snapshots

SESSION_FORMS = {"checklist", "sign_off", "presence", "vitals", "end", "abort", "cancel"}


class FormService(SessionService):
    def open_plan_form(self, actor_id: str, code: str) -> Outcome:
        def body(tx: Session, actor: Actor) -> Outcome:
            patient = snapshots.patient_by_code(tx, code)
            if patient is None:
                return self._not_a_patient(code)
            who = authority.prescriber_of(actor, snapshots.pair(patient), "post a dose plan")
            return Outcome.refuse(who) if who else Outcome(data={"code": patient.code})

        return self._run(actor_id, "open_form:plan", self._patient_subject(code), body)

    def open_session_form(self, actor_id: str, form: str, session_id: int) -> Outcome:
        if form not in SESSION_FORMS:
            raise ValueError(form)

        def body(tx: Session, actor: Actor, snap: SessionSnapshot) -> Outcome:
            decision = self._may_open(form, snap, actor)
            if decision.refused:
                return Outcome.from_decision(decision)
            data: dict[str, object] = {"code": snap.pair.code, "session_id": snap.id,
                                       "scheduled": local(snap.scheduled_at, self.policy.tz)}
            if form == "sign_off":
                checklist = gate.requirement(snap, self.clock.now(), self.policy, "checklist")
                if snap.checklist is None or snap.plan is None:
                    return Outcome.refuse(*gate.requirement(
                        snap, self.clock.now(), self.policy, "plan").reasons,
                        *checklist.reasons)
                v = snap.checklist.vitals
                data["vitals"] = [f"Pre-dose BP {v.systolic}/{v.diastolic} mmHg, HR "
                                  f"{v.heart_rate} bpm, SpO2 {v.spo2}%",
                                  *checklist.reasons, *checklist.warnings]
                data["plan_dose_mg"] = snap.plan.dose_mg
            return Outcome(id=snap.id, data=data)

        return self._on_session(actor_id, f"open_form:{form}", session_id, body,
                                changes_shown=False)

    def _may_open(self, form: str, snap: SessionSnapshot, actor: Actor) -> Decision:
        if form == "checklist":
            return session_rules.may_prepare(snap, actor, "complete the checklist",
                                             Role.THERAPIST)
        if form == "sign_off":
            return session_rules.may_prepare(snap, actor, "sign off the dose", Role.PRESCRIBER)
        if form == "presence":
            return session_rules.may_prepare(snap, actor, "confirm presence", Role.THERAPIST)
        if form == "vitals":
            return session_rules.may_monitor(snap, actor, "record vitals")
        if form == "end":
            return session_rules.may_monitor(snap, actor, "end the session", (Role.THERAPIST,))
        if form == "abort":
            return session_rules.may_abort(snap, actor)
        return session_rules.may_cancel(snap, actor)

    def open_follow_up_form(self, actor_id: str, follow_up_id: int) -> Outcome:
        def body(tx: Session, actor: Actor) -> Outcome:
            row = tx.get(m.FollowUp, follow_up_id)
            patient = tx.get(m.Patient, row.patient_id) if row else None
            if row is None or patient is None:
                return Outcome.refuse(f"No follow-up {follow_up_id}.")
            who = authority.therapist_of(actor, snapshots.pair(patient),
                                         "complete this follow-up")
            if who:
                return Outcome.refuse(who)
            if row.state != FollowUpState.OPEN.value:
                return Outcome.refuse(f"This follow-up is already {row.state}.")
            return Outcome(id=follow_up_id, data={"code": patient.code, "label": row.label})

        return self._run(actor_id, "open_form:follow_up", f"follow_up:{follow_up_id}", body)
