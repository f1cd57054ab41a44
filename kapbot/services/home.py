"""The App Home: what concerns one clinician now, read in one transaction.

It reads only what is open — upcoming sessions, unacknowledged summaries, open
follow-ups — so its cost follows the clinic's present, not its history.
"""

from datetime import timedelta

from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import Select

from kapbot.care import card
from kapbot.care.card import Mark
from kapbot.care.home import (
    FOLLOW_UPS_PER_PAGE,
    SESSIONS_PER_PAGE,
    SUMMARIES_PER_PAGE,
    DeadLetterItem,
    FollowUpItem,
    HomeSession,
    HomeView,
    Page,
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

# Upcoming sessions whose gate is read for "Waiting on you": one page's worth, so the
# Home's cost stays flat however many patients a clinician has (the benchmark's 500).
GATE_HORIZON = SESSIONS_PER_PAGE
_WAITS = {("checklist", "therapist"): WaitingKind.CHECKLIST,
          ("sign_off", "prescriber"): WaitingKind.SIGN_OFF,
          ("presence", "therapist"): WaitingKind.PRESENCE}


def _page(query: Select, page: int, per_page: int) -> Select:  # type: ignore[type-arg]
    return query.limit(per_page).offset((max(1, page) - 1) * per_page)


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
            sessions, waiting = self._sessions(tx, me, page) if me else (Page(), ())
            dead = self.outbox_messages((DEAD,)) if actor.is_admin else ()
            return HomeView(
                viewer=slack_user_id, roles=roles, is_admin=actor.is_admin,
                next_sessions=sessions, waiting=waiting,
                summaries=self._summaries(tx, me, page) if me else Page(),
                follow_ups=self._follow_ups(tx, me, page) if me else Page(),
                roster=self._roster(tx) if actor.is_admin else (), page=page,
                dead_letters=tuple(DeadLetterItem(d.id, d.kind, d.channel, d.attempts,
                                                  d.last_error, d.created_at) for d in dead))

    def _sessions(self, tx: Session, me: int, page: int
                  ) -> tuple[Page[HomeSession], tuple[WaitingItem, ...]]:
        """One page of the viewer's next sessions, and what waits on them among the first
        GATE_HORIZON and that page: the gates of at most two pages are read, in one query
        per table, so 500 patients cost what 5 do."""
        mine = (or_(m.Patient.prescriber_id == me, m.Patient.therapist_id == me),
                col(m.DosingSession.state).in_([SessionState.SCHEDULED.value,
                                                SessionState.IN_PROGRESS.value]))
        upcoming = (select(m.DosingSession.id, m.DosingSession.scheduled_at,
                           m.DosingSession.state, m.Patient.code, m.Patient.prescriber_id,
                           m.Patient.therapist_id)
                    .join(m.Patient, col(m.Patient.id) == m.DosingSession.patient_id)
                    .where(*mine)
                    .order_by(col(m.DosingSession.scheduled_at), col(m.DosingSession.id)))
        first = tx.exec(upcoming.limit(GATE_HORIZON)).all()
        shown = first if page == 1 else tx.exec(_page(upcoming, page, SESSIONS_PER_PAGE)).all()
        total = tx.exec(select(func.count()).select_from(m.DosingSession).join(
            m.Patient, col(m.Patient.id) == m.DosingSession.patient_id).where(*mine)).one()
        rows = {row[0]: row for row in (*first, *shown)}  # in order, each once
        gated = snapshots.session_snapshots(tx, [
            session_id for session_id, _, state, *_ in rows.values()
            if state == SessionState.SCHEDULED.value])
        people = dict(tx.exec(select(m.Clinician.id, m.Clinician.slack_user_id).where(
            col(m.Clinician.id).in_({who for row in shown for who in row[4:]}))).all())
        now, lines, waiting = self.clock.now(), {}, []
        for session_id, at, _, code, prescriber, _ in rows.values():
            if snap := gated.get(session_id):
                lines[session_id] = card.lines(snap, now, self.policy)
                seat = "prescriber" if prescriber == me else "therapist"
                waiting += [WaitingItem(kind, session_id, code, at)
                            for line in lines[session_id]
                            if (kind := _WAITS.get((line.key, seat))) and line.mark is not Mark.MET]
        sessions = tuple(HomeSession(session_id, code, at, SessionState(state),
                                     people[prescriber], people[therapist],
                                     lines.get(session_id, ()))
                         for session_id, at, state, code, prescriber, therapist in shown)
        return Page(sessions, total), tuple(waiting)

    def _summaries(self, tx: Session, me: int, page: int) -> Page[SummaryItem]:
        overdue_before = self.clock.now() - timedelta(days=self.policy.summary.overdue_days)
        waiting = (m.Patient.prescriber_id == me, col(m.DosingSession.ended_at).is_not(None),
                   col(m.DosingSession.started_at).is_not(None),
                   col(m.DosingSession.summary_acknowledged_at).is_(None))
        rows = tx.exec(_page(select(m.DosingSession.id, m.Patient.code,
                                    m.DosingSession.ended_at)
                             .join(m.Patient, col(m.Patient.id) == m.DosingSession.patient_id)
                             .where(*waiting).order_by(col(m.DosingSession.ended_at)),
                             page, SUMMARIES_PER_PAGE)).all()
        total = tx.exec(select(func.count()).select_from(m.DosingSession).join(
            m.Patient, col(m.Patient.id) == m.DosingSession.patient_id).where(*waiting)).one()
        return Page(tuple(SummaryItem(session_id or 0, code, ended_at,
                                      overdue=ended_at <= overdue_before)
                          for session_id, code, ended_at in rows if ended_at is not None),
                    total)

    def _follow_ups(self, tx: Session, me: int, page: int) -> Page[FollowUpItem]:
        open_ = (m.Patient.therapist_id == me, m.FollowUp.state == FollowUpState.OPEN.value)
        rows = tx.exec(_page(select(m.FollowUp.id, m.Patient.code, m.FollowUp.label,
                                    m.FollowUp.due_at, m.FollowUp.window_ends_at)
                             .join(m.Patient, col(m.Patient.id) == m.FollowUp.patient_id)
                             .where(*open_).order_by(col(m.FollowUp.due_at)),
                             page, FOLLOW_UPS_PER_PAGE)).all()
        total = tx.exec(select(func.count()).select_from(m.FollowUp).join(
            m.Patient, col(m.Patient.id) == m.FollowUp.patient_id).where(*open_)).one()
        return Page(tuple(FollowUpItem(f or 0, code, label, due, ends)
                          for f, code, label, due, ends in rows), total)

    @staticmethod
    def _roster(tx: Session) -> tuple[RosterLine, ...]:
        rows = tx.exec(select(m.Clinician).order_by(col(m.Clinician.id))).all()
        return tuple(RosterLine(c.slack_user_id,
                                frozenset(r.value for r in snapshots.roles(c)), c.active)
                     for c in rows)
