"""The App Home: what concerns one clinician now, read in one transaction.

It reads only what is open — upcoming sessions, unacknowledged summaries, open
follow-ups — so its cost follows the clinic's present, not its history.
"""

from datetime import timedelta

from sqlmodel import Session, col, or_, select

from kapbot.care import card
from kapbot.care.card import Mark
from kapbot.care.home import (
    SESSIONS_PER_PAGE,
    DeadLetterItem,
    FollowUpItem,
    HomeSession,
    HomeView,
    RosterLine,
    SummaryItem,
    WaitingItem,
    WaitingKind,
)
from kapbot.care.values import FollowUpState, SessionState
from kapbot.services import notify
from kapbot.services.outbox import OutboxService
from kapbot.store import models as m
from kapbot.store import snapshots
from kapbot.store.outbox import DEAD

GATE_HORIZON = 2 * SESSIONS_PER_PAGE  # upcoming sessions whose gate is read for "waiting"
_WAITS = {("checklist", "therapist"): WaitingKind.CHECKLIST,
          ("sign_off", "prescriber"): WaitingKind.SIGN_OFF,
          ("presence", "therapist"): WaitingKind.PRESENCE}


class HomeService(OutboxService):
    def refresh_admin_homes(self) -> None:
        """Something only administrators can mend happened (a message gave up)."""
        with self.db.transaction() as tx:
            admins = set(tx.exec(select(m.Clinician.slack_user_id).where(
                col(m.Clinician.is_admin), col(m.Clinician.active))).all()) | self.admins
            for slack_user_id in sorted(admins):
                notify.publish_home(tx, slack_user_id, 1, self.clock.now())

    def refresh_home(self, slack_user_id: str, page: int = 1) -> None:
        """Queue a fresh App Home for this person (opening the tab is not an audited act)."""
        with self.db.transaction() as tx:
            notify.publish_home(tx, slack_user_id, max(1, page), self.clock.now())

    def home_view(self, slack_user_id: str, page: int = 1) -> HomeView:
        with self.db.reading() as tx:
            actor = snapshots.actor(tx, slack_user_id, self.admins)
            roles = frozenset(r.value for r in actor.roles) if actor.active else frozenset()
            me = actor.clinician_id if actor.active else None
            sessions, waiting = self._sessions(tx, me, page) if me else ((), ())
            dead = self.outbox_messages((DEAD,)) if actor.is_admin else ()
            return HomeView(
                viewer=slack_user_id, roles=roles, is_admin=actor.is_admin,
                next_sessions=sessions, waiting=waiting,
                summaries=self._summaries(tx, me) if me else (),
                follow_ups=self._follow_ups(tx, me) if me else (),
                roster=self._roster(tx) if actor.is_admin else (), page=page,
                dead_letters=tuple(DeadLetterItem(d.id, d.kind, d.channel, d.attempts,
                                                  d.last_error, d.created_at) for d in dead))

    def _sessions(self, tx: Session, me: int, page: int
                  ) -> tuple[tuple[HomeSession, ...], tuple[WaitingItem, ...]]:
        rows = tx.exec(select(m.DosingSession, m.Patient).join(
            m.Patient, col(m.Patient.id) == m.DosingSession.patient_id).where(
            or_(m.Patient.prescriber_id == me, m.Patient.therapist_id == me),
            col(m.DosingSession.state).in_([SessionState.SCHEDULED.value,
                                            SessionState.IN_PROGRESS.value]))
            .order_by(col(m.DosingSession.scheduled_at))).all()
        people = dict(tx.exec(select(m.Clinician.id, m.Clinician.slack_user_id)).all())
        shown = range((page - 1) * SESSIONS_PER_PAGE, page * SESSIONS_PER_PAGE)
        now, sessions, waiting = self.clock.now(), [], []
        for i, (row, patient) in enumerate(rows):
            assert row.id is not None
            lines: tuple[card.Line, ...] = ()
            if row.state == SessionState.SCHEDULED.value and (i in shown or i < GATE_HORIZON):
                snap = snapshots.session_snapshot(tx, row.id, lock=False)
                assert snap is not None
                lines = card.lines(snap, now, self.policy)
                seat = "prescriber" if patient.prescriber_id == me else "therapist"
                for line in lines:
                    kind = _WAITS.get((line.key, seat))
                    if kind and line.mark is not Mark.MET:
                        waiting.append(WaitingItem(kind, row.id, patient.code,
                                                   row.scheduled_at))
            sessions.append(HomeSession(
                row.id, patient.code, row.scheduled_at, SessionState(row.state),
                people[patient.prescriber_id], people[patient.therapist_id],
                lines if i in shown else ()))
        return tuple(sessions), tuple(waiting)

    def _summaries(self, tx: Session, me: int) -> tuple[SummaryItem, ...]:
        overdue_before = self.clock.now() - timedelta(days=self.policy.summary.overdue_days)
        rows = tx.exec(select(m.DosingSession, m.Patient.code).join(
            m.Patient, col(m.Patient.id) == m.DosingSession.patient_id).where(
            m.Patient.prescriber_id == me, col(m.DosingSession.ended_at).is_not(None),
            col(m.DosingSession.started_at).is_not(None),
            col(m.DosingSession.summary_acknowledged_at).is_(None))
            .order_by(col(m.DosingSession.ended_at))).all()
        return tuple(SummaryItem(row.id or 0, code, row.ended_at,
                                 overdue=row.ended_at <= overdue_before)
                     for row, code in rows if row.ended_at is not None)

    def _follow_ups(self, tx: Session, me: int) -> tuple[FollowUpItem, ...]:
        rows = tx.exec(select(m.FollowUp, m.Patient.code).join(
            m.Patient, col(m.Patient.id) == m.FollowUp.patient_id).where(
            m.Patient.therapist_id == me, m.FollowUp.state == FollowUpState.OPEN.value)
            .order_by(col(m.FollowUp.due_at))).all()
        return tuple(FollowUpItem(f.id or 0, code, f.label, f.due_at, f.window_ends_at)
                     for f, code in rows)

    @staticmethod
    def _roster(tx: Session) -> tuple[RosterLine, ...]:
        rows = tx.exec(select(m.Clinician).order_by(col(m.Clinician.id))).all()
        return tuple(RosterLine(c.slack_user_id,
                                frozenset(r.value for r in snapshots.roles(c)), c.active)
                     for c in rows)
