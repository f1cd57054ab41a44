"""Dose plans: posted by the patient's prescriber, versioned, each superseding the last."""

from sqlmodel import Session, col, func, select

from kapbot.care import authority, dosing
from kapbot.care.values import Actor, SessionState
from kapbot.services import notify, timers
from kapbot.services.base import Outcome, ServiceBase
from kapbot.store import models as m
from kapbot.store import snapshots


class PlanService(ServiceBase):
    def post_plan(self, actor_id: str, code: str, form: dosing.PlanForm) -> Outcome:
        """Post a new plan version. It voids every dose sign-off made under the old one."""

        def body(tx: Session, actor: Actor) -> Outcome:
            patient = snapshots.locked_patient(tx, code)
            if patient is None or patient.id is None:
                return self._not_a_patient(code)
            now = self.clock.now()
            who = authority.prescriber_of(actor, snapshots.pair(patient), "post a dose plan")
            terms, reasons = dosing.validate_plan(form, self.policy, now.astimezone(
                self.policy.tz).date())
            if who or terms is None:
                return Outcome.refuse(*([who] if who else []), *reasons)
            latest = tx.exec(select(func.max(m.DosePlan.version)).where(
                m.DosePlan.patient_id == patient.id)).one()
            for old in tx.exec(select(m.DosePlan).where(m.DosePlan.patient_id == patient.id,
                                                        col(m.DosePlan.superseded_at).is_(None))):
                old.superseded_at = now
                tx.add(old)
            tx.flush()  # the old plan stops being active before the new one exists
            assert actor.clinician_id is not None
            row = m.DosePlan(patient_id=patient.id, version=(latest or 0) + 1,
                             prescriber_id=actor.clinician_id, formulation=terms.formulation,
                             route=terms.route, dose_mg=terms.dose_mg,
                             max_dose_mg=terms.max_dose_mg,
                             sessions_authorised=terms.sessions_authorised,
                             valid_until=terms.valid_until, notes=terms.notes, created_at=now)
            tx.add(row)
            tx.flush()
            for session_id, at in tx.exec(select(m.DosingSession.id,
                                                 m.DosingSession.scheduled_at).where(
                    m.DosingSession.patient_id == patient.id,
                    m.DosingSession.state == SessionState.SCHEDULED.value)):
                assert session_id is not None
                notify.refresh_card(tx, session_id, patient.id, now)  # sign-offs are void now
                timers.plan_changed(tx, session_id, patient.id, at, row.version, now,
                                    self.policy)
            return Outcome(id=row.id)

        return self._run(actor_id, "post_plan", self._patient_subject(code), body)
