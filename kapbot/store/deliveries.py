"""Slack requests already handled: the memory that makes a re-sent request a no-op."""

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from kapbot.store.db import Database
from kapbot.store.models import SlackDelivery


def seen(db: Database, digest: str) -> bool:
    with db.reading() as tx:
        return tx.exec(select(SlackDelivery.digest).where(
            SlackDelivery.digest == digest)).first() is not None


def remember(tx: Session, digest: str, now: datetime) -> bool:
    """First in the transaction of the request's effect, as its idempotency key: false when
    another copy of the request got there first (on PostgreSQL the insert waits for that
    copy's transaction). Remembered if and only if the effect commits, so a copy re-sent
    after a failure that changed nothing is handled again."""
    connection = tx.connection()
    inserted = connection.execute(_REMEMBER[connection.dialect.name],
                                  {"digest": digest, "at": now}).first()
    return inserted is not None


_REMEMBER = {name: dialect.insert(SlackDelivery).on_conflict_do_nothing(index_elements=["digest"])
             .returning(SlackDelivery.digest)
             for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
