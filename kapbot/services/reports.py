"""The operator's readings: every patient at a glance, each dosing session's monitoring
record, and the audit trail as exported.

Each function reads inside the caller's `Database.reading()` transaction and returns plain
values in UTC, so the CLI prints them in the clinic's timezone and the App Home or an
export can reuse them unchanged. Reading is not an action, so nothing here is audited.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from kapbot.care.card import AdverseEventLine
from kapbot.care.values import FollowUpState, SessionState, Severity
from kapbot.store import audit
from kapbot.store import models as m

AFTER_DOSE_READING = timedelta(minutes=40)  # REMS: blood pressure about 40 min after the dose
EXPORTED = ("seq", "at", "actor", "action", "subject", "outcome", "reasons")


@dataclass(frozen=True)
class Person:
    slack_user_id: str
    display_name: str

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.slack_user_id})" if self.display_name \
            else self.slack_user_id


@dataclass(frozen=True)
class PlanLine:
    version: int
    dose_mg: int
    max_dose_mg: int
    formulation: str
    route: str


@dataclass(frozen=True)
class NextSession:
    id: int
    scheduled_at: datetime
    state: str


@dataclass(frozen=True)
class PatientLine:
    code: str
    prescriber: Person
    therapist: Person
    plan: PlanLine | None
    next_session: NextSession | None  # the earliest scheduled or in progress
    open_follow_ups: int


@dataclass(frozen=True)
class BloodPressure:
    systolic: int
    diastolic: int
    at: datetime
    minutes_after_start: int | None  # None for a reading taken before the dose


@dataclass(frozen=True)
class SessionRecord:
    """One dosing session as a REMS-style monitoring form records it."""

    session_id: int
    patient_code: str
    state: str  # completed, aborted, or in_progress while it lasts
    started_at: datetime
    ended_at: datetime | None
    prescriber: Person  # who signed off this dose
    therapist: Person  # who confirmed being in the room
    first_session: bool  # the patient's first dose under kapbot
    dose_mg: int | None
    route: str | None
    formulation: str | None
    monitoring_minutes: int | None  # from the dose to the end of monitoring
    bp_pre_dose: BloodPressure | None
    bp_40_min: BloodPressure | None  # the reading during the session nearest +40 min
    bp_pre_discharge: BloodPressure | None
    sedation_lowest: int | None  # MOAA/S: lower is deeper sedation
    dissociation_highest: int | None
    adverse_events: tuple[AdverseEventLine, ...]
    worst_severity: str  # none, mild, moderate or severe
    summary_acknowledged_at: datetime | None
    summary_acknowledged_by: Person | None


def _people(tx: Session) -> dict[int, Person]:
    return {c.id: Person(c.slack_user_id, c.display_name)
            for c in tx.exec(select(m.Clinician)) if c.id is not None}


def patients(tx: Session, code: str | None = None) -> tuple[PatientLine, ...]:
    """Every patient (or the one with `code`) by code, in a fixed number of queries."""
    query = select(m.Patient).order_by(col(m.Patient.code))
    if code is not None:
        query = query.where(m.Patient.code == code)
    rows = tx.exec(query).all()
    people = _people(tx)
    plans = {p.patient_id: PlanLine(p.version, p.dose_mg, p.max_dose_mg, p.formulation, p.route)
             for p in tx.exec(select(m.DosePlan).where(col(m.DosePlan.superseded_at).is_(None)))}
    upcoming: dict[int, NextSession] = {}
    for s in tx.exec(select(m.DosingSession).where(col(m.DosingSession.state).in_(
            [SessionState.SCHEDULED.value, SessionState.IN_PROGRESS.value]))
            .order_by(col(m.DosingSession.scheduled_at), col(m.DosingSession.id))):
        upcoming.setdefault(s.patient_id, NextSession(s.id or 0, s.scheduled_at, s.state))
    open_follow_ups = dict(tx.exec(select(m.FollowUp.patient_id, func.count()).where(
        m.FollowUp.state == FollowUpState.OPEN.value).group_by(m.FollowUp.patient_id)).all())
    return tuple(PatientLine(p.code, people[p.prescriber_id], people[p.therapist_id],
                             plans.get(p.id or 0), upcoming.get(p.id or 0),
                             open_follow_ups.get(p.id, 0)) for p in rows)


def _pressure(v: m.VitalSigns, started_at: datetime) -> BloodPressure:
    after = None if v.phase == "pre_dose" else int((v.at - started_at).total_seconds() // 60)
    return BloodPressure(v.systolic, v.diastolic, v.at, after)


def _nearest(readings: Iterable[m.VitalSigns], target: datetime) -> m.VitalSigns | None:
    """The reading closest to `target`; of two as close, the earlier."""
    return min(readings, key=lambda v: (abs(v.at - target), v.at), default=None)


def _worst(events: Iterable[AdverseEventLine]) -> str:
    order = list(Severity)
    return max((Severity(e.severity) for e in events), key=order.index,
               default=Severity.NONE).value


def _latest(tx: Session, table: type[m.DoseSignOff] | type[m.PresenceConfirmation],
            session_ids: list[int]) -> dict[int, int]:
    """Who made each session's latest sign-off or presence confirmation: the one in force."""
    rows = tx.exec(select(table).where(col(table.session_id).in_(session_ids))
                   .order_by(col(table.id))).all()
    return {r.session_id: r.by_id for r in rows}


def session_records(tx: Session, since: datetime, until: datetime, code: str | None = None
                    ) -> tuple[SessionRecord, ...]:
    """Every session whose dose was taken in [since, until), oldest first.

    Only started sessions have a monitoring record; a cancelled or never-started one has
    nothing to report. The people are those who signed off the dose and sat in the room,
    not today's care pair, so a later change of pair does not rewrite history.
    """
    query = (select(m.DosingSession, m.Patient)
             .join(m.Patient, col(m.Patient.id) == m.DosingSession.patient_id)
             .where(col(m.DosingSession.started_at).is_not(None),
                    col(m.DosingSession.started_at) >= since,
                    col(m.DosingSession.started_at) < until)
             .order_by(col(m.DosingSession.started_at), col(m.DosingSession.id)))
    if code is not None:
        query = query.where(m.Patient.code == code)
    found = tx.exec(query).all()
    if not found:
        return ()
    ids = [s.id for s, _ in found if s.id is not None]
    people = _people(tx)
    first_dose = dict(tx.exec(select(m.DosingSession.patient_id,
                                     func.min(m.DosingSession.started_at))
                              .where(col(m.DosingSession.patient_id).in_(
                                  {p.id for _, p in found}))
                              .group_by(m.DosingSession.patient_id)).all())
    formulations = dict(tx.exec(select(m.DosePlan.id, m.DosePlan.formulation).where(
        col(m.DosePlan.id).in_({s.plan_id for s, _ in found if s.plan_id}))).all())
    vitals: dict[int, list[m.VitalSigns]] = defaultdict(list)
    for v in tx.exec(select(m.VitalSigns).where(col(m.VitalSigns.session_id).in_(ids))
                     .order_by(col(m.VitalSigns.at), col(m.VitalSigns.id))):
        vitals[v.session_id].append(v)
    events: dict[int, list[AdverseEventLine]] = defaultdict(list)
    for e in tx.exec(select(m.AdverseEvent).where(col(m.AdverseEvent.session_id).in_(ids))
                     .order_by(col(m.AdverseEvent.at), col(m.AdverseEvent.id))):
        events[e.session_id].append(AdverseEventLine(e.description, e.severity))
    signed_by = _latest(tx, m.DoseSignOff, ids)
    present = _latest(tx, m.PresenceConfirmation, ids)

    records = []
    for s, patient in found:
        assert s.id is not None and s.started_at is not None
        start, readings = s.started_at, vitals[s.id]
        pre_dose = [v for v in readings if v.phase == "pre_dose" and v.at <= start]
        during = [v for v in readings if v.phase == "during"]
        discharge = [v for v in readings if v.phase == "pre_discharge"]
        at_40 = _nearest(during, start + AFTER_DOSE_READING)
        sedation = [v.sedation_moaas for v in readings if v.sedation_moaas is not None]
        dissociation = [v.dissociation for v in readings if v.dissociation is not None]
        acknowledger = s.summary_acknowledged_by
        records.append(SessionRecord(
            session_id=s.id, patient_code=patient.code, state=s.state, started_at=start,
            ended_at=s.ended_at,
            prescriber=people[signed_by.get(s.id, patient.prescriber_id)],
            therapist=people[present.get(s.id, patient.therapist_id)],
            first_session=first_dose.get(patient.id) == start,
            dose_mg=s.administered_mg if s.administered_mg is not None else s.dose_mg,
            route=s.route, formulation=formulations.get(s.plan_id),
            monitoring_minutes=int((s.ended_at - start).total_seconds() // 60)
            if s.ended_at else None,
            bp_pre_dose=_pressure(pre_dose[-1], start) if pre_dose else None,
            bp_40_min=_pressure(at_40, start) if at_40 else None,
            bp_pre_discharge=_pressure(discharge[-1], start) if discharge else None,
            sedation_lowest=min(sedation, default=None),
            dissociation_highest=max(dissociation, default=None),
            adverse_events=tuple(events[s.id]), worst_severity=_worst(events[s.id]),
            summary_acknowledged_at=s.summary_acknowledged_at,
            summary_acknowledged_by=people[acknowledger] if acknowledger else None))
    return tuple(records)


def audit_entries(tx: Session, since: datetime, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """The audit entries written at or after `since`, in chain order, as exported.

    Each is the entry exactly as it was hashed (`audit.canonical`) plus its two hashes, so
    anyone holding an export can recompute every entry_hash from the fields beside it.
    """
    rows = tx.exec(select(m.AuditEntry).where(col(m.AuditEntry.at) >= since)
                   .order_by(col(m.AuditEntry.seq)).execution_options(yield_per=batch))
    for e in rows:
        hashed = json.loads(audit.canonical(e.seq, e.at, e.actor, e.action, e.subject,
                                            e.outcome, e.reasons))
        yield {**{key: hashed[key] for key in EXPORTED},
               "prev_hash": e.prev_hash, "entry_hash": e.entry_hash}
