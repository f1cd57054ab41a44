"""Integration follow-ups: done by the therapist, with optional PHQ-9 and GAD-7 totals."""

from sqlmodel import Session

from kapbot.care import authority, inputs
from kapbot.care.values import Actor, FollowUpState
from kapbot.services import notify, timers
from kapbot.services.base import Outcome, ServiceBase
from kapbot.store import models as m
from kapbot.store import snapshots

PHQ9_MAX = 27
GAD7_MAX = 21


class FollowUpService(ServiceBase):
    def complete_follow_up(self, actor_id: str, follow_up_id: int, phq9: object = None,
                           gad7: object = None, notes: object = "") -> Outcome:
        def body(tx: Session, actor: Actor) -> Outcome:
            row = tx.get(m.FollowUp, follow_up_id)
            if row is None:
                return Outcome.refuse(f"No follow-up {follow_up_id}.")
            snapshots.lock_patient(tx, row.patient_id)
            tx.refresh(row)
            patient = tx.get(m.Patient, row.patient_id)
            assert patient is not None
            reasons = [authority.therapist_of(actor, snapshots.pair(patient),
                                              "complete this follow-up")]
            if row.state != FollowUpState.OPEN.value:
                reasons.append(f"This follow-up is already {row.state}.")
            phq, r1 = inputs.optional_score(phq9, "PHQ-9", PHQ9_MAX)
            gad, r2 = inputs.optional_score(gad7, "GAD-7", GAD7_MAX)
            text, r3 = inputs.free_text(notes, "Notes")
            found = [r for r in (*reasons, r1, r2, r3) if r]
            if found:
                return Outcome.refuse(*found)
            row.state = FollowUpState.DONE.value
            row.completed_at = self.clock.now()
            row.completed_by = actor.clinician_id
            row.phq9, row.gad7, row.notes = phq, gad, text or ""
            tx.add(row)
            notify.publish_home(tx, actor.slack_user_id, 1, self.clock.now())
            timers.follow_up_closed(tx, follow_up_id, self.clock.now())
            tx.flush()
            return Outcome(id=row.id)

        return self._run(actor_id, "complete_follow_up", f"follow_up:{follow_up_id}", body)
