"""Reading rows into the care layer's immutable values, inside the caller's transaction.

Services lock the patient first (`lock_patient`), then read: on PostgreSQL that makes
every action on one patient see the effects of the one before it, so the gate never
decides on a sign-off that a concurrent new plan has just voided.
"""

from typing import Any, TypeVar

from sqlmodel import Session, col, func, select

from kapbot.care.values import (
    Actor,
    CarePair,
    Checklist,
    DoseSignOff,
    Plan,
    Presence,
    PriorDose,
    Role,
    SessionSnapshot,
    SessionState,
    Vitals,
)
from kapbot.store import models as m


def roles(row: m.Clinician) -> frozenset[Role]:
    """The roles a roster row holds (one flag column each)."""
    return frozenset(role for role in Role if getattr(row, f"is_{role.value}"))


def actor(tx: Session, slack_user_id: str, admins: frozenset[str]) -> Actor:
    row = tx.exec(select(m.Clinician).where(m.Clinician.slack_user_id == slack_user_id)).first()
    if row is None:
        return Actor(slack_user_id, bootstrap_admin=slack_user_id in admins)
    return Actor(slack_user_id, row.id, roles(row), row.active,
                 bootstrap_admin=slack_user_id in admins)


def lock_patient(tx: Session, patient_id: int) -> None:
    """Serialise every change to one patient's care (SQLite's writer lock already does)."""
    if tx.get_bind().dialect.name == "postgresql":
        tx.exec(select(m.Patient.id).where(m.Patient.id == patient_id).with_for_update())


def patient_by_code(tx: Session, code: str) -> m.Patient | None:
    return tx.exec(select(m.Patient).where(m.Patient.code == code)).first()


def locked_patient(tx: Session, code: str) -> m.Patient | None:
    """The patient with this code, locked for the rest of the transaction."""
    patient = patient_by_code(tx, code)
    if patient is not None and patient.id is not None:
        lock_patient(tx, patient.id)
        tx.refresh(patient)
    return patient


def pair(patient: m.Patient) -> CarePair:
    assert patient.id is not None
    return CarePair(patient.id, patient.code, patient.prescriber_id, patient.therapist_id)


def active_plan(tx: Session, patient_id: int) -> Plan | None:
    row = tx.exec(select(m.DosePlan).where(m.DosePlan.patient_id == patient_id,
                                           col(m.DosePlan.superseded_at).is_(None))).first()
    if row is None:
        return None
    assert row.id is not None
    used = tx.exec(select(func.count()).select_from(m.DosingSession).where(
        m.DosingSession.plan_id == row.id, col(m.DosingSession.started_at).is_not(None))).one()
    return Plan(row.id, row.version, row.prescriber_id, row.formulation, row.route, row.dose_mg,
                row.max_dose_mg, row.sessions_authorised, used, row.valid_until)


def prior_dose(tx: Session, patient_id: int, excluding_session: int | None = None
               ) -> PriorDose | None:
    """The last dose taken in any started session: aborted sessions count, to stay safe."""
    query = select(m.DosingSession).where(m.DosingSession.patient_id == patient_id,
                                          col(m.DosingSession.started_at).is_not(None))
    if excluding_session is not None:
        query = query.where(m.DosingSession.id != excluding_session)
    row = tx.exec(query.order_by(col(m.DosingSession.started_at).desc()).limit(1)).first()
    if row is None or row.started_at is None or row.dose_mg is None:
        return None
    return PriorDose(row.dose_mg, row.started_at)


Row = TypeVar("Row", m.ChecklistResponse, m.DoseSignOff, m.PresenceConfirmation)


def _latest(tx: Session, table: type[Row], session_id: int, *where: Any) -> Row | None:
    return tx.exec(select(table).where(table.session_id == session_id, *where)
                   .order_by(col(table.id).desc()).limit(1)).first()


def _checklist(tx: Session, session_id: int) -> Checklist | None:
    row = _latest(tx, m.ChecklistResponse, session_id, m.ChecklistResponse.kind == "pre_session")
    if row is None or row.id is None:
        return None
    v = tx.get(m.VitalSigns, row.vitals_id)
    assert v is not None
    return Checklist(row.id, row.by_id, row.at, frozenset(row.affirmed),
                     Vitals(v.systolic, v.diastolic, v.heart_rate, v.spo2))


def session_snapshot(tx: Session, session_id: int, lock: bool = True) -> SessionSnapshot | None:
    """The session and everything the gate reads, after locking its patient."""
    row = tx.get(m.DosingSession, session_id)
    if row is None:
        return None
    if lock:
        lock_patient(tx, row.patient_id)
        tx.refresh(row)
    patient = tx.get(m.Patient, row.patient_id)
    assert patient is not None and row.id is not None
    so = _latest(tx, m.DoseSignOff, row.id)
    pr = _latest(tx, m.PresenceConfirmation, row.id)
    others = tx.exec(select(func.count()).select_from(m.DosingSession).where(
        m.DosingSession.patient_id == row.patient_id, m.DosingSession.id != row.id,
        m.DosingSession.state == SessionState.IN_PROGRESS.value)).one()
    return SessionSnapshot(
        id=row.id, pair=pair(patient), state=SessionState(row.state),
        scheduled_at=row.scheduled_at, started_at=row.started_at,
        plan=active_plan(tx, row.patient_id),
        checklist=_checklist(tx, row.id),
        sign_off=so and DoseSignOff(so.id or 0, so.by_id, so.at, so.dose_mg, so.plan_id,
                                    so.checklist_id),
        presence=pr and Presence(pr.id or 0, pr.by_id, pr.at, pr.in_room, pr.dose_mg, pr.route),
        prior_dose=prior_dose(tx, row.patient_id, excluding_session=row.id),
        another_in_progress=others > 0,
    )
