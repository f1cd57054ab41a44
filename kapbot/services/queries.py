"""Read-only views for Slack surfaces: one read transaction each, no audit entry (no action)."""

from sqlmodel import col, select

from kapbot.care.card import (
    AdverseEventLine,
    FollowUpLine,
    Reading,
    SessionView,
    SummaryView,
)
from kapbot.care.timeline import EscalationView, Notice, TimerKind
from kapbot.services.base import ServiceBase
from kapbot.store import deliveries, snapshots
from kapbot.store import models as m


class QueryService(ServiceBase):
    def already_handled(self, digest: str) -> bool:
        """Whether this exact Slack request was handled before (a retry of it)."""
        return deliveries.seen(self.db, digest)

    def roles_of(self, slack_user_id: str) -> tuple[frozenset[str], bool]:
        """(roles held, is an administrator) — to tailor help, never to authorise."""
        with self.db.reading() as tx:
            actor = snapshots.actor(tx, slack_user_id, self.admins)
        roles = frozenset(r.value for r in actor.roles) if actor.active else frozenset()
        return roles, actor.is_admin

    def session_view(self, session_id: int) -> SessionView | None:
        with self.db.reading() as tx:
            snap = snapshots.session_snapshot(tx, session_id, lock=False)
            if snap is None:
                return None
            row = tx.get(m.DosingSession, session_id)
            assert row is not None
            ids = {snap.pair.prescriber_id, snap.pair.therapist_id} | {
                r.by for r in (snap.checklist, snap.sign_off, snap.presence) if r is not None}
            people = dict(tx.exec(select(m.Clinician.id, m.Clinician.slack_user_id)
                                  .where(col(m.Clinician.id).in_(ids))).all())
            follow_ups = tx.exec(select(m.FollowUp).where(m.FollowUp.session_id == session_id)
                                 .order_by(col(m.FollowUp.due_at))).all()
            return SessionView(
                snapshot=snap, now=self.clock.now(),
                people={k: v for k, v in people.items() if k is not None},
                ended_at=row.ended_at, dose_mg=row.dose_mg,
                follow_ups=tuple(FollowUpLine(f.label, f.due_at, f.window_ends_at, f.state)
                                 for f in follow_ups))

    def summary_view(self, session_id: int) -> SummaryView | None:
        """The monitoring record of an ended session, for the prescriber's direct message."""
        with self.db.reading() as tx:
            row = tx.get(m.DosingSession, session_id)
            if row is None or row.ended_at is None or row.started_at is None:
                return None
            patient = tx.get(m.Patient, row.patient_id)
            therapist = tx.get(m.Clinician, patient.therapist_id) if patient else None
            acknowledger = (tx.get(m.Clinician, row.summary_acknowledged_by)
                            if row.summary_acknowledged_by else None)
            assert patient is not None and therapist is not None
            readings = tx.exec(select(m.VitalSigns).where(m.VitalSigns.session_id == session_id)
                               .order_by(col(m.VitalSigns.at))).all()
            check_ins = tx.exec(select(m.PresenceCheckIn.at).where(
                m.PresenceCheckIn.session_id == session_id).order_by(
                col(m.PresenceCheckIn.at))).all()
            events = tx.exec(select(m.AdverseEvent).where(
                m.AdverseEvent.session_id == session_id)).all()
            return SummaryView(
                code=patient.code, session_id=session_id, outcome=row.state,
                dose_mg=row.administered_mg, route=row.route, started_at=row.started_at,
                ended_at=row.ended_at, therapist=therapist.slack_user_id,
                readings=tuple(Reading(v.at, v.phase, v.systolic, v.diastolic, v.heart_rate,
                                       v.spo2, v.sedation_moaas, v.dissociation)
                               for v in readings),
                check_ins=tuple(check_ins),
                adverse_events=tuple(AdverseEventLine(e.description, e.severity)
                                     for e in events),
                notes=row.prescriber_notes or "",
                abort_reason=(row.end_reason or "") if row.state == "aborted" else "",
                acknowledged_at=row.summary_acknowledged_at,
                acknowledged_by=acknowledger.slack_user_id if acknowledger else None)

    def care_pair(self, patient_id: int) -> tuple[str, str, str, str | None] | None:
        """(code, prescriber, therapist Slack IDs, channel) of one patient, or None."""
        with self.db.reading() as tx:
            patient = tx.get(m.Patient, patient_id)
            if patient is None:
                return None
            prescriber = tx.get(m.Clinician, patient.prescriber_id)
            therapist = tx.get(m.Clinician, patient.therapist_id)
            assert prescriber is not None and therapist is not None
            return (patient.code, prescriber.slack_user_id, therapist.slack_user_id,
                    patient.channel_id)

    def notice_view(self, task_id: int) -> Notice | None:
        """What a fired timer has to say, with the session and follow-up it is about."""
        with self.db.reading() as tx:
            task = tx.get(m.TimedTask, task_id)
            if task is None or task.done_at is None:
                return None
            session = tx.get(m.DosingSession, task.payload.get("session_id"))
            patient = tx.get(m.Patient, session.patient_id) if session else None
            if session is None or session.id is None or patient is None:
                return None
            follow_up = (tx.get(m.FollowUp, task.payload["follow_up_id"])
                         if "follow_up_id" in task.payload else None)
            return Notice(
                kind=TimerKind(task.kind), code=patient.code, session_id=session.id,
                due_at=task.due_at, fired_at=task.done_at, scheduled_at=session.scheduled_at,
                number=task.payload.get("number"),
                follow_up_id=follow_up.id if follow_up else None,
                label=follow_up.label if follow_up else "",
                window_ends_at=follow_up.window_ends_at if follow_up else None)

    def escalation_view(self, escalation_id: int) -> EscalationView | None:
        with self.db.reading() as tx:
            row = tx.get(m.Escalation, escalation_id)
            session = tx.get(m.DosingSession, row.session_id) if row else None
            patient = tx.get(m.Patient, session.patient_id) if session else None
            if row is None or row.id is None or patient is None:
                return None
            people = dict(tx.exec(select(m.Clinician.id, m.Clinician.slack_user_id).where(
                col(m.Clinician.id).in_([patient.prescriber_id, patient.therapist_id,
                                         row.acknowledged_by or 0]))).all())
            return EscalationView(
                id=row.id, code=patient.code, session_id=row.session_id,
                check_in=row.check_in, due_at=row.due_at,
                deadline_at=row.due_at + self.policy.check_in_grace, raised_at=row.raised_at,
                prescriber=people[patient.prescriber_id],
                therapist=people[patient.therapist_id], acknowledged_at=row.acknowledged_at,
                acknowledged_by=people.get(row.acknowledged_by or 0))
