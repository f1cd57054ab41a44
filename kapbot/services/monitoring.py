"""A session in progress, and the ways it ends: completed, aborted, or cancelled before it began."""

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlmodel import Session

from kapbot.care import authority, inputs, session_rules, vitals
from kapbot.care.values import (
    Actor,
    Role,
    SessionHead,
    SessionSnapshot,
    SessionState,
    Severity,
    Vitals,
)
from kapbot.services import notify, timers
from kapbot.services.base import Outcome
from kapbot.services.sessions import SessionService
from kapbot.store import models as m
from kapbot.store import snapshots

SEDATION_MAX = 5  # MOAA/S, 0 (unresponsive) to 5 (alert)
DISSOCIATION_MAX = 4  # the clinician's 0–4 rating


class MonitoringService(SessionService):
    def _watching(self, actor_id: str, action: str, session_id: int,
                  body: Callable[[Session, Actor, SessionHead], Outcome]) -> Outcome:
        """A check-in or a reading: it reads the session's state and pair, not its gate,
        and changes the card but no App Home (the Home shows a session in progress by its
        state alone; re-rendering two Homes at every reading cost more than the reading)."""

        def run(tx: Session, actor: Actor) -> Outcome:
            head = snapshots.session_head(tx, session_id)
            if head is None:
                return Outcome.refuse(f"No session {session_id}.")
            outcome = body(tx, actor, head)
            if outcome.ok:
                notify.refresh_card(tx, head.id, head.pair.patient_id, self.clock.now())
            return outcome

        return self._run(actor_id, action, f"session:{session_id}", run)

    def record_vitals(self, actor_id: str, session_id: int, systolic: object, diastolic: object,
                      heart_rate: object, spo2: object, sedation: object = None,
                      dissociation: object = None) -> Outcome:
        """A reading during the session; out-of-limit values are flagged, never refused."""

        def body(tx: Session, actor: Actor, head: SessionHead) -> Outcome:
            decision = session_rules.may_monitor(head, actor, "record vitals")
            reading, reasons = inputs.vitals(systolic, diastolic, heart_rate, spo2)
            moaas, r1 = inputs.optional_score(sedation, "Sedation (MOAA/S)", SEDATION_MAX)
            rating, r2 = inputs.optional_score(dissociation, "Dissociation", DISSOCIATION_MAX)
            reasons += [r for r in (r1, r2) if r]
            if decision.refused or reading is None or reasons:
                return Outcome.refuse(*decision.reasons, *reasons)
            assert actor.clinician_id is not None
            row = m.VitalSigns(session_id=head.id, by_id=actor.clinician_id,
                               at=self.clock.now(), phase="during", systolic=reading.systolic,
                               diastolic=reading.diastolic, heart_rate=reading.heart_rate,
                               spo2=reading.spo2, sedation_moaas=moaas, dissociation=rating)
            tx.add(row)
            tx.flush()
            hold = vitals.hold_reason(reading, self.policy, "Current")
            flags = ([hold] if hold else []) + vitals.cautions(reading, self.policy, "Current")
            return Outcome(id=row.id, warnings=tuple(flags))

        return self._watching(actor_id, "record_vitals", session_id, body)

    def check_in(self, actor_id: str, session_id: int) -> Outcome:
        """The therapist says: I am still in the room."""

        def body(tx: Session, actor: Actor, head: SessionHead) -> Outcome:
            decision = session_rules.may_monitor(head, actor, "check in",
                                                   (Role.THERAPIST,))
            if decision.refused:
                return Outcome.from_decision(decision)
            assert actor.clinician_id is not None
            row = m.PresenceCheckIn(session_id=head.id, by_id=actor.clinician_id,
                                    at=self.clock.now())
            tx.add(row)
            tx.flush()
            return Outcome(id=row.id)

        return self._watching(actor_id, "check_in", session_id, body)

    def end_session(self, actor_id: str, session_id: int, discharge: Iterable[str],
                    adverse_events: object = "", severity: str = Severity.NONE.value,
                    notes: object = "", vitals: tuple[object, ...] = ()) -> Outcome:
        """Sign out: after the minimum monitoring, with the discharge checklist affirmed.

        Records the administered dose, the pre-discharge vitals if taken (systolic,
        diastolic, heart rate, SpO2: all or none), any adverse event, the therapist's notes
        for the prescriber, and creates the policy's integration follow-ups.
        """
        affirmed = frozenset(discharge)

        def body(tx: Session, actor: Actor, snap: SessionSnapshot) -> Outcome:
            now = self.clock.now()
            decision = session_rules.may_end(snap, actor, now, self.policy, affirmed)
            unknown = sorted(affirmed - {item.id for item in self.policy.discharge})
            event, level, for_prescriber, reasons = _end_form(adverse_events, severity, notes)
            reading, vitals_reasons = _discharge_vitals(vitals)
            reasons += vitals_reasons
            if unknown:
                reasons.append(f"Unknown discharge item {', '.join(unknown)}.")
            if decision.refused or reasons:
                return Outcome.refuse(*decision.reasons, *reasons)
            assert actor.clinician_id is not None
            dose = tx.get(m.DosingSession, snap.id)
            assert dose is not None
            if not self._move(tx, snap.id, SessionState.IN_PROGRESS,
                              state=SessionState.COMPLETED.value, ended_at=now,
                              ended_by=actor.clinician_id, administered_mg=dose.dose_mg):
                return Outcome.refuse("The session has already ended.")
            tx.refresh(dose)
            tx.add(m.ChecklistResponse(session_id=snap.id, kind="discharge",
                                       by_id=actor.clinician_id, at=now,
                                       affirmed=sorted(affirmed)))
            if reading is not None:
                tx.add(m.VitalSigns(session_id=snap.id, by_id=actor.clinician_id, at=now,
                                    phase="pre_discharge", systolic=reading.systolic,
                                    diastolic=reading.diastolic,
                                    heart_rate=reading.heart_rate, spo2=reading.spo2))
            if level is not Severity.NONE:
                tx.add(m.AdverseEvent(session_id=snap.id, by_id=actor.clinician_id, at=now,
                                      description=event, severity=level.value))
            dose.prescriber_notes = for_prescriber or None
            tx.add(dose)
            for planned in session_rules.follow_ups(now, self.policy):
                follow_up = m.FollowUp(session_id=snap.id, patient_id=snap.pair.patient_id,
                                       kind=planned.kind, label=planned.label,
                                       due_at=planned.due_at,
                                       window_ends_at=planned.window_ends_at)
                tx.add(follow_up)
                tx.flush()
                assert follow_up.id is not None
                timers.follow_up_created(tx, follow_up.id, snap.pair.patient_id, snap.id,
                                         planned.due_at, planned.window_ends_at, now)
            self._summarise(tx, snap, now)
            return Outcome(id=snap.id)

        return self._on_session(actor_id, "end_session", session_id, body)

    def _summarise(self, tx: Session, snap: SessionSnapshot, now: datetime) -> None:
        """The post-session summary goes to the prescriber as a direct message, at once;
        the session's watch stops and the acknowledgement is chased from here."""
        prescriber = tx.get(m.Clinician, snap.pair.prescriber_id)
        assert prescriber is not None
        notify.send_summary(tx, snap.id, prescriber.slack_user_id, now)
        timers.session_ended(tx, snap.id, snap.pair.patient_id, now, now, self.policy)

    def acknowledge_summary(self, actor_id: str, session_id: int) -> Outcome:
        """The prescriber has read the post-session summary (the REMS monitoring form)."""

        def body(tx: Session, actor: Actor, snap: SessionSnapshot) -> Outcome:
            who = authority.prescriber_of(actor, snap.pair, "acknowledge the summary")
            if who:
                return Outcome.refuse(who)
            if snap.state not in (SessionState.COMPLETED, SessionState.ABORTED):
                return Outcome.refuse("The session has not ended: there is no summary yet.")
            row = tx.get(m.DosingSession, snap.id)
            assert row is not None
            if row.summary_acknowledged_at is not None:
                return Outcome.refuse("The summary was already acknowledged.")
            row.summary_acknowledged_at = self.clock.now()
            row.summary_acknowledged_by = actor.clinician_id
            tx.add(row)
            notify.refresh_summary(tx, snap.id, actor.slack_user_id, self.clock.now())
            timers.summary_acknowledged(tx, snap.id, self.clock.now())
            return Outcome(id=snap.id)

        return self._on_session(actor_id, "acknowledge_summary", session_id, body)

    def abort_session(self, actor_id: str, session_id: int, reason: str) -> Outcome:
        """Stop a session in progress at once. The dose counts as taken for later limits."""

        def body(tx: Session, actor: Actor, snap: SessionSnapshot) -> Outcome:
            decision = session_rules.may_abort(snap, actor)
            why, why_reason = inputs.free_text(reason, "Reason for aborting", required=True)
            if decision.refused or why_reason:
                return Outcome.refuse(*decision.reasons, *([why_reason] if why_reason else []))
            assert actor.clinician_id is not None
            row = tx.get(m.DosingSession, snap.id)
            assert row is not None
            if not self._move(tx, snap.id, SessionState.IN_PROGRESS,
                              state=SessionState.ABORTED.value, ended_at=self.clock.now(),
                              ended_by=actor.clinician_id, administered_mg=row.dose_mg,
                              end_reason=why):
                return Outcome.refuse("The session has already ended.")
            self._summarise(tx, snap, self.clock.now())
            return Outcome(id=snap.id)

        return self._on_session(actor_id, "abort_session", session_id, body)

    def cancel_session(self, actor_id: str, session_id: int, reason: str = "") -> Outcome:
        """Call off a session that has not started."""

        def body(tx: Session, actor: Actor, snap: SessionSnapshot) -> Outcome:
            decision = session_rules.may_cancel(snap, actor)
            why, why_reason = inputs.free_text(reason, "Reason for cancelling")
            if decision.refused or why_reason:
                return Outcome.refuse(*decision.reasons, *([why_reason] if why_reason else []))
            assert actor.clinician_id is not None
            if not self._move(tx, snap.id, SessionState.SCHEDULED,
                              state=SessionState.CANCELLED.value, ended_at=self.clock.now(),
                              ended_by=actor.clinician_id, end_reason=why or None):
                return Outcome.refuse("The session is no longer scheduled.")
            timers.session_called_off(tx, snap.id, self.clock.now())
            return Outcome(id=snap.id)

        return self._on_session(actor_id, "cancel_session", session_id, body)


def _discharge_vitals(raw: tuple[object, ...]) -> tuple[Vitals | None, list[str]]:
    """All four readings, or none at all (blank fields are not taken)."""
    if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
        return None, []
    return inputs.vitals(*raw) if len(raw) == 4 else (None, ["Give all four vitals."])


def _end_form(adverse_events: object, severity: str, notes: object
              ) -> tuple[str, Severity, str, list[str]]:
    """The End session form's free text and severity, with every reason it is not usable."""
    event, r1 = inputs.free_text(adverse_events, "Adverse events")
    for_prescriber, r2 = inputs.free_text(notes, "Notes for the prescriber")
    reasons = [r for r in (r1, r2) if r]
    try:
        level = Severity(severity.strip().lower())
    except ValueError:
        level = Severity.NONE
        reasons.append(f"Severity must be one of {', '.join(s.value for s in Severity)}.")
    if event and level is Severity.NONE and not reasons:
        reasons.append("Choose the adverse event's severity (mild, moderate or severe).")
    if level is not Severity.NONE and not event:
        reasons.append("Describe the adverse event, or set its severity to none.")
    return event or "", level, for_prescriber or "", reasons
