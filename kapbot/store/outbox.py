"""The transactional outbox: queued inside a use case's transaction, claimed by a worker.

Claims are leases: a claimed row's `next_attempt_at` moves forward by the lease, so a
worker that dies mid-send gives the row back when the lease ends. Only the oldest
pending row of each channel is claimable, which keeps each channel's messages in order.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from kapbot.store.db import Database
from kapbot.store.models import OutboxMessage

PENDING, SENT, COALESCED, DEAD = "pending", "sent", "coalesced", "dead"
QUEUED_DUE = "kapbot_outbox_due"
"""Noted in a transaction's `info`: when the earliest message it queued may go."""


def enqueue(tx: Session, *, key: str, kind: str, channel: str, now: datetime,
            subject_id: int | None = None, edits: str | None = None,
            method: str = "chat.postMessage") -> None:
    """Queue one message. A key already queued is left alone: the same effect, once.

    An edit renders the latest state when it goes, so a new edit makes the older ones of
    the same message still waiting redundant: they are dropped here, in the same
    transaction, so a card edited at every click never builds a queue of edits for the
    worker to claim and drop one by one. And it waits until a second after the message's
    last edit went: a card clicked ten times a second is edited once a second, showing
    the latest click, instead of ten calls that Slack would soon refuse."""
    values = {"key": key, "kind": kind, "channel": channel, "subject_id": subject_id,
              "edits": edits, "method": method, "state": PENDING, "attempts": 0,
              "next_attempt_at": now, "created_at": now}
    connection = tx.connection()  # plain SQL: the ORM's bookkeeping cost more than the work
    if edits is not None:
        connection.execute(_SUPERSEDE, {"target": edits, "new_key": key, "now": now})
        last = connection.execute(_LAST_EDIT_SENT, {"target": edits}).scalar()
        if last is not None and last + EDIT_PACE > now:
            values["next_attempt_at"] = last + EDIT_PACE
    connection.execute(_ENQUEUE[connection.dialect.name], values)
    _note_due(tx, values["next_attempt_at"])


def _note_due(tx: Session, at: datetime) -> None:
    earliest = tx.info.get(QUEUED_DUE)
    if earliest is None or at < earliest:
        tx.info[QUEUED_DUE] = at


# Built once: every click queues a message or three, and building the statement cost more
# than running it.
_ENQUEUE = {name: dialect.insert(OutboxMessage).on_conflict_do_nothing(index_elements=["key"])
            for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
_SUPERSEDE = (update(OutboxMessage)
              .where(col(OutboxMessage.edits) == bindparam("target"),
                     col(OutboxMessage.key) != bindparam("new_key"),
                     col(OutboxMessage.state) == PENDING,
                     col(OutboxMessage.claimed_by).is_(None))
              .values(state=COALESCED, sent_at=bindparam("now")))
_LAST_EDIT_SENT = select(func.max(OutboxMessage.sent_at)).where(
    col(OutboxMessage.edits) == bindparam("target"), col(OutboxMessage.state) == SENT)


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    subject_id: int | None
    channel: str
    method: str
    edits: str | None
    attempts: int


def _first_of_its_channel() -> Any:
    """The oldest pending message of each channel: only it may go, which keeps order."""
    earlier = aliased(OutboxMessage)
    return and_(col(OutboxMessage.state) == PENDING,
                ~exists().where(and_(earlier.channel == OutboxMessage.channel,
                                     earlier.state == PENDING,
                                     col(earlier.id) < OutboxMessage.id)))


# The worker's reads, built once like the enqueue: it runs them after every click.
_DUE = (select(OutboxMessage.id)
        .where(_first_of_its_channel(), col(OutboxMessage.next_attempt_at) <= bindparam("now"))
        .order_by(col(OutboxMessage.id)).limit(bindparam("limit")))
_DUE_SKIPPING_LOCKED = _DUE.with_for_update(skip_locked=True, of=OutboxMessage)
_NEXT_DUE = select(func.min(OutboxMessage.next_attempt_at)).where(_first_of_its_channel())
_DELIVERED = select(OutboxMessage.slack_channel, OutboxMessage.slack_ts).where(
    col(OutboxMessage.key) == bindparam("key"), col(OutboxMessage.state) == SENT)
_NEWER_EDIT = select(OutboxMessage.id).where(
    col(OutboxMessage.edits) == bindparam("target"), col(OutboxMessage.state) == PENDING,
    col(OutboxMessage.id) > bindparam("after")).limit(1)


def claim(db: Database, now: datetime, worker: str, lease: timedelta, limit: int = 20
          ) -> list[Claimed]:
    """Take up to `limit` due messages, the oldest pending one of each channel."""
    with db.transaction() as tx:
        ids = list(tx.execute(_DUE if db.is_sqlite else _DUE_SKIPPING_LOCKED,
                              {"now": now, "limit": limit}).scalars())
        if not ids:
            return []
        rows = tx.execute(update(OutboxMessage).where(col(OutboxMessage.id).in_(ids))
                          .values(next_attempt_at=now + lease, claimed_by=worker,
                                  attempts=OutboxMessage.attempts + 1)
                          .returning(OutboxMessage)).scalars().all()
        return sorted((Claimed(r.id, r.key, r.kind, r.subject_id, r.channel, r.method, r.edits,
                               r.attempts) for r in rows if r.id is not None),
                      key=lambda c: c.id)


def _finish(db: Database, message_id: int, worker: str, **values: object) -> bool:
    """Record a result, but only while this worker still holds the claim."""
    with db.transaction() as tx:
        result = tx.execute(update(OutboxMessage).where(
            col(OutboxMessage.id) == message_id, col(OutboxMessage.claimed_by) == worker,
            col(OutboxMessage.state) == PENDING).values(**values))
        return bool(result.rowcount)  # type: ignore[attr-defined]


POST = "chat.postMessage"
CHANNEL_PACE = timedelta(seconds=1)  # Slack's limit: about one post a second in a channel
EDIT_PACE = timedelta(seconds=1)  # and no more than one edit a second of any one message


def sent(db: Database, message: Claimed, worker: str, now: datetime, channel: str | None,
         ts: str | None) -> bool:
    """Record the delivery. After a post, the channel's next post waits its second, so the
    worker keeps to Slack's per-channel limit instead of learning it from a 429; after an
    edit, so does the next edit of the same message (queued while this one was on its way).
    """
    with db.transaction() as tx:
        result = tx.execute(update(OutboxMessage).where(
            col(OutboxMessage.id) == message.id, col(OutboxMessage.claimed_by) == worker,
            col(OutboxMessage.state) == PENDING).values(
            state=SENT, sent_at=now, slack_channel=channel, slack_ts=ts, last_error=None))
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        if message.method == POST:
            tx.execute(_HOLD_POSTS, {"in_channel": message.channel, "until": now + CHANNEL_PACE})
        elif message.edits is not None:
            tx.execute(_HOLD_EDITS, {"target": message.edits, "until": now + EDIT_PACE})
        return True


# Never a claimed row: its next_attempt_at is its holder's lease.
_HOLD_POSTS = update(OutboxMessage).where(
    col(OutboxMessage.channel) == bindparam("in_channel"), col(OutboxMessage.state) == PENDING,
    col(OutboxMessage.method) == POST, col(OutboxMessage.claimed_by).is_(None),
    col(OutboxMessage.next_attempt_at) < bindparam("until")).values(
    next_attempt_at=bindparam("until"))
_HOLD_EDITS = update(OutboxMessage).where(
    col(OutboxMessage.edits) == bindparam("target"), col(OutboxMessage.state) == PENDING,
    col(OutboxMessage.claimed_by).is_(None),
    col(OutboxMessage.next_attempt_at) < bindparam("until")).values(
    next_attempt_at=bindparam("until"))


def next_due(db: Database) -> datetime | None:
    """When the next message may go, so an idle worker sleeps exactly until then."""
    with db.reading() as tx:
        return tx.execute(_NEXT_DUE).scalar()


def coalesced(db: Database, message_id: int, worker: str, now: datetime) -> bool:
    """An edit made redundant by a newer edit of the same message."""
    return _finish(db, message_id, worker, state=COALESCED, sent_at=now)


def retry_later(db: Database, message_id: int, worker: str, at: datetime, error: str) -> bool:
    return _finish(db, message_id, worker, next_attempt_at=at, last_error=error[:200],
                   claimed_by=None)


def dead(db: Database, message_id: int, worker: str, error: str) -> bool:
    return _finish(db, message_id, worker, state=DEAD, last_error=error[:200])


def delivered(db: Database, key: str) -> tuple[str, str] | None:
    """Where a message landed (channel, ts), once Slack accepted it."""
    with db.reading() as tx:
        row = tx.execute(_DELIVERED, {"key": key}).first()
    return (row[0], row[1]) if row and row[0] and row[1] else None


def newer_edit_pending(db: Database, message: Claimed) -> bool:
    with db.reading() as tx:
        return tx.execute(_NEWER_EDIT, {"target": message.edits, "after": message.id}
                          ).first() is not None


def revive(tx: Session, message_id: int, now: datetime) -> bool:
    """An admin's retry of a dead-lettered message: pending again, attempts reset. Inside
    the retry's audited transaction; compare-and-set, so two retries revive it once."""
    result = tx.execute(update(OutboxMessage).where(
        col(OutboxMessage.id) == message_id, col(OutboxMessage.state) == DEAD).values(
        state=PENDING, attempts=0, next_attempt_at=now, claimed_by=None))
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _note_due(tx, now)
    return True
