"""Escalations of missed check-ins: raised by kapbot, acknowledged by a person."""

from sqlmodel import Session

from kapbot.care import authority
from kapbot.care.values import Actor
from kapbot.services import notify, timers
from kapbot.services.base import Outcome, ServiceBase
from kapbot.store import models as m
from kapbot.store import snapshots


class EscalationService(ServiceBase):
    def acknowledge_escalation(self, actor_id: str, escalation_id: int) -> Outcome:
        """Someone has it in hand: the repeats stop and every copy shows who answered.

        Anyone on the roster may answer: the on-call clinician in the escalation channel
        is often neither of the patient's pair.
        """

        def body(tx: Session, actor: Actor) -> Outcome:
            row = tx.get(m.Escalation, escalation_id)
            if row is None:
                return Outcome.refuse(f"No escalation {escalation_id}.")
            session = tx.get(m.DosingSession, row.session_id)
            assert session is not None
            snapshots.lock_patient(tx, session.patient_id)
            tx.refresh(row)
            who = authority.on_roster(actor)
            if who and not actor.is_admin:
                return Outcome.refuse(who)
            if row.acknowledged_at is not None:
                return Outcome.refuse("This escalation was already acknowledged.")
            now = self.clock.now()
            row.acknowledged_at, row.acknowledged_by = now, actor.clinician_id
            tx.add(row)
            patient = tx.get(m.Patient, session.patient_id)
            prescriber = tx.get(m.Clinician, patient.prescriber_id) if patient else None
            assert prescriber is not None and row.id is not None
            notify.refresh_escalation(tx, row.id, row.repeats, [
                notify.direct(prescriber.slack_user_id),
                notify.on_call(self.policy.escalation_channel)], now)
            timers.escalation_acknowledged(tx, row.id, now)
            return Outcome(id=row.id)

        return self._run(actor_id, "acknowledge_escalation", f"escalation:{escalation_id}",
                         body)
