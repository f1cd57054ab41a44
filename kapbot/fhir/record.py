"""One patient's record, read in a single reading transaction so the Bundle is one
consistent moment even while the bot goes on writing."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from kapbot.store import models as m
from kapbot.store.db import Database


@dataclass(frozen=True)
class PatientRecord:
    """Every row the export maps, each kind in id order so the output is reproducible."""

    patient: m.Patient
    clinicians: dict[int, m.Clinician]
    plans: tuple[m.DosePlan, ...]
    sessions: tuple[m.DosingSession, ...]
    checklists: tuple[m.ChecklistResponse, ...]
    sign_offs: tuple[m.DoseSignOff, ...]
    presences: tuple[m.PresenceConfirmation, ...]
    vitals: tuple[m.VitalSigns, ...]
    adverse_events: tuple[m.AdverseEvent, ...]
    follow_ups: tuple[m.FollowUp, ...]

    @property
    def code(self) -> str:
        return self.patient.code

    def slack_id(self, clinician_id: int) -> str:
        return self.clinicians[clinician_id].slack_user_id

    def session(self, session_id: int) -> m.DosingSession:
        return next(s for s in self.sessions if s.id == session_id)

    def plan_at(self, instant: datetime) -> m.DosePlan | None:
        """The plan version in force at that instant: the latest posted by then."""
        return next((p for p in reversed(self.plans) if p.created_at <= instant), None)


SessionRow = TypeVar("SessionRow", m.ChecklistResponse, m.DoseSignOff, m.PresenceConfirmation,
                     m.VitalSigns, m.AdverseEvent)


def _of_sessions(tx: Session, table: type[SessionRow], session_ids: Sequence[int]
                 ) -> tuple[SessionRow, ...]:
    return tuple(tx.exec(select(table).where(col(table.session_id).in_(session_ids))
                         .order_by(col(table.id))))


def _clinician_ids(patient: m.Patient, *groups: Sequence[object]) -> set[int]:
    """Everyone the record names: the pair, and whoever signed, recorded or completed."""
    ids = {patient.prescriber_id, patient.therapist_id}
    fields = ("prescriber_id", "by_id", "started_by", "ended_by", "completed_by")
    for rows in groups:
        for row in rows:
            ids.update(v for f in fields if isinstance(v := getattr(row, f, None), int))
    return ids


def read(tx: Session, code: str) -> PatientRecord | None:
    patient = tx.exec(select(m.Patient).where(m.Patient.code == code)).first()
    if patient is None:
        return None
    plans = tuple(tx.exec(select(m.DosePlan).where(m.DosePlan.patient_id == patient.id)
                          .order_by(col(m.DosePlan.version))))
    sessions = tuple(tx.exec(select(m.DosingSession)
                             .where(m.DosingSession.patient_id == patient.id)
                             .order_by(col(m.DosingSession.id))))
    ids = [s.id for s in sessions if s.id is not None]
    checklists = _of_sessions(tx, m.ChecklistResponse, ids)
    sign_offs = _of_sessions(tx, m.DoseSignOff, ids)
    presences = _of_sessions(tx, m.PresenceConfirmation, ids)
    vitals = _of_sessions(tx, m.VitalSigns, ids)
    adverse = _of_sessions(tx, m.AdverseEvent, ids)
    follow_ups = tuple(tx.exec(select(m.FollowUp).where(m.FollowUp.patient_id == patient.id)
                               .order_by(col(m.FollowUp.id))))
    named = _clinician_ids(patient, plans, sessions, checklists, sign_offs, presences, vitals,
                           adverse, follow_ups)
    clinicians = {c.id: c for c in tx.exec(select(m.Clinician)
                                           .where(col(m.Clinician.id).in_(sorted(named)))
                                           .order_by(col(m.Clinician.id))) if c.id is not None}
    return PatientRecord(patient, clinicians, plans, sessions, checklists, sign_offs, presences,
                         vitals, adverse, follow_ups)


def load(db: Database, code: str) -> PatientRecord | None:
    with db.reading() as tx:
        return read(tx, code)


def patient_codes(db: Database) -> list[str]:
    with db.reading() as tx:
        return list(tx.exec(select(m.Patient.code).order_by(col(m.Patient.code))))
