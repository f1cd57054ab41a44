"""What kapbot does when a task falls due: remind, prompt, escalate, mark missed.

Each task fires in one transaction that first locks the patient (the order every
service uses, so a timer and a click cannot deadlock), then closes the task only if this
worker still holds its claim, then re-checks the condition and does the work. So a task
raced for by two replicas, or retried after a crash, has its effect exactly once, and a
reminder whose reason has gone (the checklist is done, the session was cancelled) says
nothing.
"""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from kapbot.care import card, timeline
from kapbot.care.card import Mark
from kapbot.care.timeline import TimerKind
from kapbot.care.values import FollowUpState, SessionSnapshot, SessionState
from kapbot.services import notify, timers
from kapbot.services.base import SYSTEM_ACTOR, ServiceBase, retrying
from kapbot.store import audit, snapshots, tasks
from kapbot.store import models as m
from kapbot.store.tasks import Claimed

Effect = Callable[[Session, Claimed, datetime], None]


class TimedWorkService(ServiceBase):
    def fire(self, task: Claimed, worker: str) -> bool:
        """Do one claimed task's work; false when another worker had taken it over."""
        return retrying(lambda: self._fire(task, worker))

    def give_up(self, task: Claimed, worker: str) -> bool:
        """A task whose effect keeps failing stops being retried, and says so in the audit."""
        def close() -> bool:
            with self.db.transaction() as tx:
                now = self.clock.now()
                if not tasks.finish(tx, task.id, worker, now, state=tasks.FAILED):
                    return False
                audit.append(tx, at=now, actor=SYSTEM_ACTOR, action=f"timer_failed:{task.kind}",
                             subject=f"task:{task.id}", refused=())
                return True

        return retrying(close)

    def _fire(self, task: Claimed, worker: str) -> bool:
        effects: dict[str, Effect] = {
            TimerKind.CHECKLIST_REMINDER: self._checklist_reminder,
            TimerKind.SIGN_OFF_REMINDER: self._sign_off_reminder,
            TimerKind.START_OPENS: self._start_opens,
            TimerKind.SESSION_OVERDUE: self._session_overdue,
            TimerKind.CHECK_IN_PROMPT: self._check_in_prompt,
            TimerKind.CHECK_IN_MISSED: self._check_in_missed,
            TimerKind.ESCALATION_REPEAT: self._escalation_repeat,
            TimerKind.VITALS_REMINDER: self._vitals_reminder,
            TimerKind.MONITORING_REACHED: self._monitoring_reached,
            TimerKind.SUMMARY_REMINDER: self._summary_reminder,
            TimerKind.SUMMARY_OVERDUE: self._summary_overdue,
            TimerKind.FOLLOW_UP_DUE: self._follow_up_due,
            TimerKind.FOLLOW_UP_MISSED: self._follow_up_missed,
        }
        effect = effects[task.kind]  # an unknown kind fails loudly and is given up later
        with self.db.transaction() as tx:
            if "patient_id" in task.payload:
                snapshots.lock_patient(tx, task.payload["patient_id"])
            now = self.clock.now()
            if not tasks.finish(tx, task.id, worker, now):
                return False
            effect(tx, task, now)
            return True

    # ---- helpers ---------------------------------------------------------------------------

    def _snapshot(self, tx: Session, task: Claimed) -> SessionSnapshot:
        snap = snapshots.session_snapshot(tx, task.payload["session_id"], lock=False)
        assert snap is not None
        return snap

    def _address(self, tx: Session, clinician_id: int) -> str:
        row = tx.get(m.Clinician, clinician_id)
        assert row is not None
        return notify.direct(row.slack_user_id)

    def _tell(self, tx: Session, task: Claimed, now: datetime, *clinician_ids: int) -> None:
        for clinician_id in clinician_ids:
            notify.notice(tx, task.id, task.key, self._address(tx, clinician_id), now)

    def _record(self, tx: Session, now: datetime, action: str, subject: str) -> None:
        """kapbot's own clinically meaningful acts join the audit chain like anyone's."""
        audit.append(tx, at=now, actor=SYSTEM_ACTOR, action=action, subject=subject, refused=())

    def _waiting_on(self, snap: SessionSnapshot, now: datetime, key: str) -> bool:
        """The scheduled session's requirement is not met (the card's own reading)."""
        if snap.state is not SessionState.SCHEDULED:
            return False
        return any(line.key == key and line.mark is not Mark.MET
                   for line in card.lines(snap, now, self.policy))

    # ---- before the session ------------------------------------------------------------------

    def _checklist_reminder(self, tx: Session, task: Claimed, now: datetime) -> None:
        snap = self._snapshot(tx, task)
        if self._waiting_on(snap, now, "checklist"):
            self._tell(tx, task, now, snap.pair.therapist_id)

    def _sign_off_reminder(self, tx: Session, task: Claimed, now: datetime) -> None:
        snap = self._snapshot(tx, task)
        if self._waiting_on(snap, now, "sign_off"):
            self._tell(tx, task, now, snap.pair.prescriber_id)

    def _start_opens(self, tx: Session, task: Claimed, now: datetime) -> None:
        """The card's timing line turns from "too early" to met: show it."""
        snap = self._snapshot(tx, task)
        if snap.state is SessionState.SCHEDULED:
            notify.refresh_card(tx, snap.id, snap.pair.patient_id, now)

    def _session_overdue(self, tx: Session, task: Claimed, now: datetime) -> None:
        snap = self._snapshot(tx, task)
        if snap.state is not SessionState.SCHEDULED:
            return
        self._tell(tx, task, now, snap.pair.prescriber_id, snap.pair.therapist_id)
        notify.refresh_card(tx, snap.id, snap.pair.patient_id, now)
        self._refresh_homes(tx, snap.pair.prescriber_id, snap.pair.therapist_id)
        self._record(tx, now, "session_overdue", f"session:{snap.id}")

    # ---- during the session ------------------------------------------------------------------

    def _in_progress(self, tx: Session, task: Claimed) -> SessionSnapshot | None:
        snap = self._snapshot(tx, task)
        return snap if snap.state is SessionState.IN_PROGRESS and snap.started_at else None

    def _check_in_prompt(self, tx: Session, task: Claimed, now: datetime) -> None:
        snap = self._in_progress(tx, task)
        if snap is None or snap.started_at is None:
            return
        number = task.payload["number"]
        self._tell(tx, task, now, snap.pair.therapist_id)
        after = timeline.next_number(snap.started_at, self.policy.check_in_interval, number,
                                     now)
        timers.plan(tx, timers.session_prefix(snap.id),
                    (timeline.check_in_deadline(snap.started_at, number, self.policy),),
                    now, session_id=snap.id, patient_id=snap.pair.patient_id, number=number)
        timers.plan(tx, timers.session_prefix(snap.id),
                    (timeline.check_in_prompt(snap.started_at, after, self.policy),),
                    now, session_id=snap.id, patient_id=snap.pair.patient_id, number=after)

    def _check_in_missed(self, tx: Session, task: Claimed, now: datetime) -> None:
        snap = self._in_progress(tx, task)
        if snap is None or snap.started_at is None:
            return
        number = task.payload["number"]
        due = timeline.check_in_due(snap.started_at, number, self.policy)
        answers = tx.exec(select(m.PresenceCheckIn.at).where(
            m.PresenceCheckIn.session_id == snap.id)).all()
        if any(timeline.answers_check_in(at, due, self.policy) for at in answers):
            return
        row = m.Escalation(session_id=snap.id, check_in=number, due_at=due, raised_at=now)
        tx.add(row)
        tx.flush()
        assert row.id is not None
        notify.escalate(tx, row.id, 0, self._on_call(tx, snap), now)
        timers.plan(tx, timers.escalation_prefix(row.id),
                    (timeline.escalation_repeat(now, 1, self.policy),), now,
                    escalation_id=row.id, session_id=snap.id,
                    patient_id=snap.pair.patient_id, number=1)
        self._record(tx, now, "check_in_missed", f"session:{snap.id}")

    def _on_call(self, tx: Session, snap: SessionSnapshot) -> list[str]:
        """Who hears an escalation: the prescriber directly, and the on-call channel."""
        return [self._address(tx, snap.pair.prescriber_id),
                notify.on_call(self.policy.escalation_channel)]

    def _escalation_repeat(self, tx: Session, task: Claimed, now: datetime) -> None:
        row = tx.get(m.Escalation, task.payload["escalation_id"])
        assert row is not None and row.id is not None
        if row.acknowledged_at is not None:
            return
        number = task.payload["number"]
        snap = self._snapshot(tx, task)
        row.repeats = number
        tx.add(row)
        notify.escalate(tx, row.id, number, self._on_call(tx, snap), now)
        after = timeline.next_number(row.raised_at, timeline.escalation_every(self.policy),
                                     number, now)
        timers.plan(tx, timers.escalation_prefix(row.id),
                    (timeline.escalation_repeat(row.raised_at, after, self.policy),), now,
                    escalation_id=row.id, session_id=snap.id,
                    patient_id=snap.pair.patient_id, number=after)

    def _vitals_reminder(self, tx: Session, task: Claimed, now: datetime) -> None:
        snap = self._in_progress(tx, task)
        if snap is None:
            return
        recent = tx.exec(select(m.VitalSigns.id).where(
            m.VitalSigns.session_id == snap.id, m.VitalSigns.phase == "during",
            col(m.VitalSigns.at) >= task.due_at - self.policy.check_in_grace)).first()
        if recent is None:
            self._tell(tx, task, now, snap.pair.therapist_id)

    def _monitoring_reached(self, tx: Session, task: Claimed, now: datetime) -> None:
        snap = self._in_progress(tx, task)
        if snap is None:
            return
        notify.notice(tx, task.id, task.key, notify.pair(snap.pair.patient_id), now)
        notify.refresh_card(tx, snap.id, snap.pair.patient_id, now)

    # ---- after the session -------------------------------------------------------------------

    def _unacknowledged(self, tx: Session, task: Claimed) -> SessionSnapshot | None:
        row = tx.get(m.DosingSession, task.payload["session_id"])
        if row is None or row.ended_at is None or row.summary_acknowledged_at is not None:
            return None
        return self._snapshot(tx, task)

    def _summary_reminder(self, tx: Session, task: Claimed, now: datetime) -> None:
        snap = self._unacknowledged(tx, task)
        if snap is not None:
            self._tell(tx, task, now, snap.pair.prescriber_id)

    def _summary_overdue(self, tx: Session, task: Claimed, now: datetime) -> None:
        """The App Home marks it overdue from now on; the record says when that happened."""
        snap = self._unacknowledged(tx, task)
        if snap is not None:
            self._refresh_homes(tx, snap.pair.prescriber_id)
            self._record(tx, now, "summary_overdue", f"session:{snap.id}")

    def _open_follow_up(self, tx: Session, task: Claimed) -> m.FollowUp | None:
        row = tx.get(m.FollowUp, task.payload["follow_up_id"])
        return row if row is not None and row.state == FollowUpState.OPEN.value else None

    def _follow_up_due(self, tx: Session, task: Claimed, now: datetime) -> None:
        row = self._open_follow_up(tx, task)
        if row is None:
            return
        patient = tx.get(m.Patient, row.patient_id)
        assert patient is not None
        self._tell(tx, task, now, patient.therapist_id)
        self._refresh_homes(tx, patient.therapist_id)

    def _follow_up_missed(self, tx: Session, task: Claimed, now: datetime) -> None:
        row = self._open_follow_up(tx, task)
        if row is None:
            return
        row.state = FollowUpState.MISSED.value
        tx.add(row)
        patient = tx.get(m.Patient, row.patient_id)
        assert patient is not None and patient.id is not None
        self._tell(tx, task, now, patient.prescriber_id)
        self._refresh_homes(tx, patient.prescriber_id, patient.therapist_id)
        notify.refresh_card(tx, row.session_id, patient.id, now)
        self._record(tx, now, "follow_up_missed", f"follow_up:{row.id}")
