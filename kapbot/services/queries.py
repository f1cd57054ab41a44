"""Read-only views for Slack surfaces: one read transaction each, no audit entry (no action)."""

from sqlmodel import col, select

from kapbot.care.card import FollowUpLine, SessionView
from kapbot.services.base import ServiceBase
from kapbot.store import models as m
from kapbot.store import snapshots


class QueryService(ServiceBase):
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
