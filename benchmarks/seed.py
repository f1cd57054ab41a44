"""Clinics of any size, written straight into the tables in bulk.

Setting up is not what is measured, so it skips the services (and the audit chain, which
then starts at the first measured action). The rows are the ones the services would
have written, so the gate, the App Home and the delivery worker read them as their own.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

from kapbot.store import models as m
from kapbot.store.db import Database

PRESCRIBER, THERAPIST = "UPRESCRIB", "UTHERAPST"


@dataclass(frozen=True)
class Pair:
    prescriber: int
    therapist: int


def insert_rows(db: Database, table: Any, rows: Sequence[dict[str, Any]],
                returning: Any = None) -> list[Any]:
    """Insert many rows in one transaction; the returned column in insertion order."""
    if not rows:
        return []
    with db.transaction() as tx:
        if returning is None:
            tx.execute(insert(table), list(rows))
            return []
        # RETURNING with sort_by_parameter_order keeps ids in the order of `rows`.
        result = tx.execute(insert(table).returning(returning, sort_by_parameter_order=True),
                            list(rows))
        return list(result.scalars())


def analysed(db: Database) -> None:
    """Statistics, as a live database has them: PostgreSQL's autovacuum gathers them within
    a minute of a bulk load, and a planner without them guesses its way through the Home's
    queries. (SQLite keeps none unless asked, and kapbot never asks, so it is left alone.)"""
    if not db.is_sqlite:
        with db.transaction() as tx:
            tx.execute(text("ANALYZE"))


def settled(db: Database) -> None:
    """A table as it stands after it has lived a while, not a moment after a bulk write:
    vacuumed (every row's visibility settled) and checkpointed (its pages on disk), as
    autovacuum and PostgreSQL's checkpointer leave it. Otherwise the first reader of a
    million new rows pays to mark each one visible and write the pages back, and a
    benchmark timing that reader times the load. (SQLite has no such debt.)"""
    if not db.is_sqlite:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM (ANALYZE)")
            c.exec_driver_sql("CHECKPOINT")


def care_pair(db: Database, now: datetime, prescriber: str = PRESCRIBER,
              therapist: str = THERAPIST) -> Pair:
    ids = insert_rows(db, m.Clinician, [
        {"slack_user_id": prescriber, "display_name": "Dr Rowe", "is_prescriber": True,
         "is_therapist": False, "is_admin": False, "active": True, "created_at": now},
        {"slack_user_id": therapist, "display_name": "Sam Lee", "is_prescriber": False,
         "is_therapist": True, "is_admin": False, "active": True, "created_at": now}],
        m.Clinician.id)
    return Pair(ids[0], ids[1])


def patients(db: Database, pair: Pair, codes: Iterable[int], now: datetime,
             channels: Sequence[str | None] | None = None) -> list[int]:
    """Patients KAP-nnnn of this pair, each with an active six-session dose plan."""
    numbers = list(codes)
    ids = insert_rows(db, m.Patient, [
        {"code": f"KAP-{n:04d}", "prescriber_id": pair.prescriber,
         "therapist_id": pair.therapist, "created_at": now,
         "channel_id": channels[i] if channels else f"CPAIR{n:05d}"}
        for i, n in enumerate(numbers)], m.Patient.id)
    insert_rows(db, m.DosePlan, [
        {"patient_id": p, "version": 1, "prescriber_id": pair.prescriber, "formulation": "rdt",
         "route": "sublingual", "dose_mg": 100, "max_dose_mg": 150,
         "sessions_authorised": 100, "valid_until": date(2099, 12, 31), "notes": "",
         "created_at": now - timedelta(days=400), "superseded_at": None} for p in ids])
    return ids


def plans(db: Database, patient_ids: Sequence[int]) -> dict[int, int]:
    """Each patient's active plan id."""
    with db.reading() as tx:
        rows = tx.execute(select(m.DosePlan.patient_id, m.DosePlan.id).where(
            m.DosePlan.patient_id.in_(patient_ids))).all()  # type: ignore[attr-defined]
    return {patient: plan for patient, plan in rows}


def scheduled(db: Database, pair: Pair, patient_ids: Sequence[int], at: datetime,
              now: datetime) -> list[int]:
    """One scheduled session at `at` for each patient."""
    return insert_rows(db, m.DosingSession, [
        {"patient_id": p, "state": "scheduled", "scheduled_at": at,
         "created_by": pair.therapist, "created_at": now} for p in patient_ids],
        m.DosingSession.id)
