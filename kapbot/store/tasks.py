"""The task table: kapbot's future work, kept in the database so no restart can lose it.

A process claims due rows under a lease; one that dies gives its claims back when the
lease ends. A claim is not the effect: the effect commits in the same transaction as
`finish`, which succeeds only for the worker still holding the claim, so however many
replicas race for a row, exactly one effect lands.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from kapbot.store.db import Database
from kapbot.store.models import TimedTask

PENDING, CLAIMED, DONE, CANCELLED, FAILED = "pending", "claimed", "done", "cancelled", "failed"


@dataclass(frozen=True)
class Planned:
    """A task as a use case wants it: where it is, its key says; when, `due_at`."""

    key: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int


def schedule(tx: Session, planned: Planned, now: datetime) -> None:
    """Add a task. A key already present is left alone: the same reminder, once."""
    values = {"key": planned.key, "kind": planned.kind, "payload": planned.payload,
              "due_at": planned.due_at, "state": PENDING, "attempts": 0, "created_at": now}
    dialect = postgresql if tx.get_bind().dialect.name == "postgresql" else sqlite
    tx.execute(dialect.insert(TimedTask).values(**values).on_conflict_do_nothing(
        index_elements=["key"]))


def withdraw(tx: Session, prefix: str, keep: Iterable[str] = (), now: datetime | None = None
             ) -> int:
    """Cancel the pending tasks under a key prefix, but those in `keep`; return how many."""
    kept = list(keep)
    condition = and_(col(TimedTask.key).startswith(prefix, autoescape=True),
                     col(TimedTask.state) == PENDING)
    if kept:
        condition = and_(condition, col(TimedTask.key).not_in(kept))
    result = tx.execute(update(TimedTask).where(condition).values(state=CANCELLED,
                                                                  done_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim(db: Database, now: datetime, worker: str, lease: timedelta, limit: int = 100
          ) -> list[Claimed]:
    """Take up to `limit` due tasks, earliest first, and any whose holder's lease ran out."""
    due = (select(TimedTask.id)
           .where(or_(and_(col(TimedTask.state) == PENDING, col(TimedTask.due_at) <= now),
                      and_(col(TimedTask.state) == CLAIMED, col(TimedTask.lease_until) <= now)))
           .order_by(col(TimedTask.due_at)).limit(limit))
    with db.transaction() as tx:
        if not db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        ids = list(tx.execute(due).scalars())
        if not ids:
            return []
        rows = tx.execute(update(TimedTask).where(col(TimedTask.id).in_(ids))
                          .values(state=CLAIMED, claimed_by=worker, lease_until=now + lease,
                                  attempts=TimedTask.attempts + 1)
                          .returning(TimedTask)).scalars().all()
        return sorted((Claimed(r.id, r.key, r.kind, r.due_at, dict(r.payload), r.attempts)
                       for r in rows if r.id is not None), key=lambda c: (c.due_at, c.id))


def finish(tx: Session, task_id: int, worker: str, now: datetime, state: str = DONE) -> bool:
    """Close the task inside its effect's transaction: false if this worker lost the claim
    (its lease ran out and another took it), and then the effect must not commit."""
    result = tx.execute(update(TimedTask).where(
        col(TimedTask.id) == task_id, col(TimedTask.state) == CLAIMED,
        col(TimedTask.claimed_by) == worker).values(state=state, done_at=now, lease_until=None))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def next_due(db: Database) -> datetime | None:
    """When the earliest pending task falls due, so the timer can wake for it."""
    with db.reading() as tx:
        return tx.execute(select(func.min(TimedTask.due_at)).where(
            col(TimedTask.state) == PENDING)).scalar()


