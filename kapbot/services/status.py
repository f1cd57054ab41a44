"""`/kap roster` and `/kap status`: read-only answers, still checked and audited."""

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from kapbot.care import authority, gate
from kapbot.care.values import Actor, FollowUpState, Role, SessionState
from kapbot.care.wording import local
from kapbot.services.base import Outcome, ServiceBase
from kapbot.store import models as m
from kapbot.store import snapshots


class StatusService(ServiceBase):
    def roster(self, actor_id: str) -> Outcome:
        """Every clinician with their roles (admins only): `data["lines"]`."""

        def body(tx: Session, actor: Actor) -> Outcome:
            who = authority.admin(actor, "see the roster")
            if who:
                return Outcome.refuse(who)
            rows = tx.exec(select(m.Clinician).order_by(col(m.Clinician.id))).all()
            lines = []
            for c in rows:
                held = snapshots.roles(c)
                roles = [r.value for r in Role if r in held]
                state = "" if c.active else " (inactive)"
                lines.append(f"<@{c.slack_user_id}> — {', '.join(roles) or 'no roles'}{state}")
            return Outcome(data={"lines": lines})

        return self._run(actor_id, "roster", "roster", body)

    def status(self, actor_id: str, code: str) -> Outcome:
        """The patient's plan, next session with its gate, and open follow-ups, as lines."""

        def body(tx: Session, actor: Actor) -> Outcome:
            patient = snapshots.patient_by_code(tx, code)
            if patient is None or patient.id is None:
                return self._not_a_patient(code)
            pair = snapshots.pair(patient)
            if authority.of_pair(actor, pair, "see this status") and not actor.is_admin:
                return Outcome.refuse(f"Only {code}'s prescriber or therapist, or an "
                                      "administrator, may see this status.")
            tz, now = self.policy.tz, self.clock.now()
            plan = snapshots.active_plan(tx, patient.id)
            lines = [f"*{patient.code}*"]
            lines.append(f"Dose plan v{plan.version}: {plan.dose_mg} mg {plan.route} "
                         f"(max {plan.max_dose_mg} mg), {plan.sessions_used} of "
                         f"{plan.sessions_authorised} sessions used, valid until "
                         f"{plan.valid_until.isoformat()}" if plan else "No active dose plan.")
            upcoming = tx.exec(_NEXT_SESSION, params={"patient": patient.id}).first()
            if upcoming is None:
                lines.append("No session scheduled.")
            else:
                session_id, scheduled_at, state = upcoming
                lines.append(f"Next session: {local(scheduled_at, tz)} "
                             f"({state.replace('_', ' ')})")
                if state == SessionState.SCHEDULED.value:  # its gate, which a start passed
                    snap = snapshots.session_snapshot(tx, session_id, lock=False)
                    assert snap is not None
                    for req in gate.requirements(snap, now, self.policy):
                        mark = "met" if req.met else "; ".join(req.reasons)
                        lines.append(f"• {req.title}: {mark}")
            for label, due_at in tx.exec(_OPEN_FOLLOW_UPS, params={"patient": patient.id}):
                lines.append(f"Follow-up: {label}, due {local(due_at, tz)}")
            return Outcome(data={"lines": lines})

        return self._run(actor_id, "status", self._patient_subject(code), body)


# Built once, like the gate's reads: a status is asked for often.
_NEXT_SESSION = (select(m.DosingSession.id, m.DosingSession.scheduled_at, m.DosingSession.state)
                 .where(m.DosingSession.patient_id == bindparam("patient"),
                        col(m.DosingSession.state).in_([SessionState.SCHEDULED.value,
                                                        SessionState.IN_PROGRESS.value]))
                 .order_by(col(m.DosingSession.scheduled_at)).limit(1))
_OPEN_FOLLOW_UPS = (select(m.FollowUp.label, m.FollowUp.due_at)
                    .where(m.FollowUp.patient_id == bindparam("patient"),
                           m.FollowUp.state == FollowUpState.OPEN.value)
                    .order_by(col(m.FollowUp.due_at)))
