"""Reading rows into the care layer's immutable values, inside the caller's transaction.

Services lock the patient first (`lock_patient`), then read: on PostgreSQL that makes
every action on one patient see the effects of the one before it, so the gate never
decides on a sign-off that a concurrent new plan has just voided.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy.orm import aliased
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
    SessionHead,
    SessionSnapshot,
    SessionState,
    Vitals,
)
from kapbot.store import models as m


def roles(row: object) -> frozenset[Role]:
    """The roles a roster row (or a row of its columns) holds: one flag column each."""
    return frozenset(role for role in Role if getattr(row, f"is_{role.value}"))


_CLINICIAN = select(m.Clinician.id, m.Clinician.active,
                    *(getattr(m.Clinician, f"is_{role.value}") for role in Role)).where(
    m.Clinician.slack_user_id == bindparam("user"))


def actor(tx: Session, slack_user_id: str, admins: frozenset[str]) -> Actor:
    """Who is acting, read as plain SQL (every click asks; the ORM's object cost more)."""
    row = tx.connection().execute(_CLINICIAN, {"user": slack_user_id}).first()
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
    return _active_plans(tx, [patient_id]).get(patient_id)


Row = TypeVar("Row", m.ChecklistResponse, m.DoseSignOff, m.PresenceConfirmation)

# The gate's reads, built once: building a statement with subqueries and a window costs
# SQLAlchemy more than running it, and they run on every click. `:ids` expands to a list.
_IDS = bindparam("ids", expanding=True)


def _latest_of(table: type[Row], *where: Any) -> Any:
    return select(table).where(col(table.session_id).in_(_IDS), *where).order_by(col(table.id))


_SIGN_OFFS = _latest_of(m.DoseSignOff)
_PRESENCES = _latest_of(m.PresenceConfirmation)
_CHECKLISTS = (select(m.ChecklistResponse, m.VitalSigns)
               .join(m.VitalSigns, col(m.VitalSigns.id) == m.ChecklistResponse.vitals_id)
               .where(col(m.ChecklistResponse.session_id).in_(_IDS),
                      m.ChecklistResponse.kind == "pre_session")
               .order_by(col(m.ChecklistResponse.id)))
_PLANS = select(m.DosePlan, select(func.count()).select_from(m.DosingSession).where(
    m.DosingSession.plan_id == m.DosePlan.id, col(m.DosingSession.started_at).is_not(None))
    .scalar_subquery()).where(col(m.DosePlan.patient_id).in_(_IDS),
                              col(m.DosePlan.superseded_at).is_(None)).order_by(col(m.DosePlan.id))
_RANKED = select(m.DosingSession.id, m.DosingSession.patient_id, m.DosingSession.dose_mg,
                 m.DosingSession.started_at, func.row_number().over(
                     partition_by=m.DosingSession.patient_id,
                     order_by=(col(m.DosingSession.started_at).desc(),
                               col(m.DosingSession.id).desc())).label("rank")).where(
    col(m.DosingSession.patient_id).in_(_IDS),
    col(m.DosingSession.started_at).is_not(None)).subquery()
_LAST_TWO_DOSES = (select(_RANKED.c.id, _RANKED.c.patient_id, _RANKED.c.dose_mg,
                          _RANKED.c.started_at)
                   .where(_RANKED.c.rank <= 2).order_by(_RANKED.c.patient_id, _RANKED.c.rank))
_OTHER = aliased(m.DosingSession)
_SESSIONS = (select(m.DosingSession.id, m.DosingSession.state, m.DosingSession.scheduled_at,
                    m.DosingSession.started_at, m.Patient.id, m.Patient.code,
                    m.Patient.prescriber_id, m.Patient.therapist_id,
                    select(func.count()).select_from(_OTHER).where(
                        _OTHER.patient_id == m.DosingSession.patient_id,
                        _OTHER.id != m.DosingSession.id,
                        _OTHER.state == SessionState.IN_PROGRESS.value).scalar_subquery())
             .join(m.Patient, col(m.Patient.id) == m.DosingSession.patient_id)
             .where(col(m.DosingSession.id).in_(_IDS)))


def _latest(tx: Session, query: Any, session_ids: list[int]) -> dict[int, Any]:
    """Each session's latest row (a session holds a handful: one per re-sign)."""
    return {row.session_id: row for row in tx.exec(query, params={"ids": session_ids}).all()}


def _checklists(tx: Session, session_ids: list[int]) -> dict[int, Checklist]:
    return {c.session_id: Checklist(c.id or 0, c.by_id, c.at, frozenset(c.affirmed),
                                    Vitals(v.systolic, v.diastolic, v.heart_rate, v.spo2))
            for c, v in tx.exec(_CHECKLISTS, params={"ids": session_ids}).all()}


def _active_plans(tx: Session, patient_ids: list[int]) -> dict[int, Plan]:
    return {r.patient_id: Plan(r.id or 0, r.version, r.prescriber_id, r.formulation, r.route,
                               r.dose_mg, r.max_dose_mg, r.sessions_authorised, count,
                               r.valid_until)
            for r, count in tx.exec(_PLANS, params={"ids": patient_ids}).all()}


def _last_two_doses(tx: Session, patient_ids: list[int]
                    ) -> dict[int, list[tuple[int, int | None, datetime]]]:
    """Each patient's two latest started sessions: the prior dose of one of them is the
    other, of any other session the latest. Read with a window, so history costs nothing."""
    found: dict[int, list[tuple[int, int | None, datetime]]] = {}
    for session_id, patient_id, dose, started in tx.exec(
            _LAST_TWO_DOSES, params={"ids": patient_ids}).all():
        found.setdefault(patient_id, []).append((session_id, dose, started))
    return found


def _prior(doses: list[tuple[int, int | None, datetime]], session_id: int) -> PriorDose | None:
    """The last dose taken before this session: aborted sessions count, to stay safe."""
    other = next(((dose, started) for sid, dose, started in doses if sid != session_id), None)
    if other is None or other[0] is None:
        return None
    return PriorDose(other[0], other[1])


def session_snapshots(tx: Session, session_ids: Collection[int]) -> dict[int, SessionSnapshot]:
    """What the gate reads about each session, one query per table however many sessions:
    the App Home reads a page of them, and must cost the same for 5 patients as for 500."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    sessions = tx.exec(_SESSIONS, params={"ids": ids}).all()
    patient_ids = sorted({row[4] for row in sessions})
    plans, doses = _active_plans(tx, patient_ids), _last_two_doses(tx, patient_ids)
    checklists = _checklists(tx, ids)
    sign_offs = _latest(tx, _SIGN_OFFS, ids)
    presences = _latest(tx, _PRESENCES, ids)
    found: dict[int, SessionSnapshot] = {}
    for (session_id, state, scheduled_at, started_at, patient_id, code, prescriber, therapist,
         others_running) in sessions:
        assert session_id is not None and patient_id is not None
        so, pr = sign_offs.get(session_id), presences.get(session_id)
        found[session_id] = SessionSnapshot(
            id=session_id, pair=CarePair(patient_id, code, prescriber, therapist),
            state=SessionState(state), scheduled_at=scheduled_at, started_at=started_at,
            plan=plans.get(patient_id), checklist=checklists.get(session_id),
            sign_off=so and DoseSignOff(so.id or 0, so.by_id, so.at, so.dose_mg, so.plan_id,
                                        so.checklist_id),
            presence=pr and Presence(pr.id or 0, pr.by_id, pr.at, pr.in_room, pr.dose_mg,
                                     pr.route),
            prior_dose=_prior(doses.get(patient_id, []), session_id),
            another_in_progress=others_running > 0)
    return found


def session_snapshot(tx: Session, session_id: int, lock: bool = True) -> SessionSnapshot | None:
    """The session and everything the gate reads, after locking its patient."""
    if lock:
        _lock_patient_of(tx, session_id)
    return session_snapshots(tx, (session_id,)).get(session_id)


def session_head(tx: Session, session_id: int) -> SessionHead | None:
    """The session's state and pair, after locking its patient: one query, not the gate's
    six, for the check-ins and readings of a session in progress."""
    _lock_patient_of(tx, session_id)
    row = tx.connection().execute(_HEAD_OF, {"session": session_id}).first()  # plain SQL
    if row is None:
        return None
    state, patient_id, code, prescriber, therapist = row
    return SessionHead(session_id, CarePair(patient_id, code, prescriber, therapist),
                       SessionState(state))


def _lock_patient_of(tx: Session, session_id: int) -> None:
    """`lock_patient`, for the patient of a session."""
    connection = tx.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK_PATIENT_OF, {"session": session_id})


_HEAD_OF = (select(m.DosingSession.state, m.Patient.id, m.Patient.code, m.Patient.prescriber_id,
                   m.Patient.therapist_id)
            .join(m.Patient, col(m.Patient.id) == m.DosingSession.patient_id)
            .where(m.DosingSession.id == bindparam("session")))
_LOCK_PATIENT_OF = (select(m.Patient.id)
                    .join(m.DosingSession, col(m.DosingSession.patient_id) == m.Patient.id)
                    .where(m.DosingSession.id == bindparam("session"))
                    .with_for_update(of=m.Patient))
