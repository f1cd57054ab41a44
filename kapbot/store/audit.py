"""The tamper-evident audit trail: a SHA-256 hash chain over every action, accepted or refused.

entry_hash = sha256(prev_hash + canonical_json(entry)). `seq` is part of the entry, so
editing, deleting or reordering rows breaks the chain at the first row touched. Appends
are serialised — by SQLite's single writer, and by a transaction-scoped advisory lock on
PostgreSQL — so two processes can never both extend the same head.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from kapbot.store.db import Database
from kapbot.store.models import AuditEntry

GENESIS = "0" * 64
_PG_APPEND_LOCK = 0x617564697421  # "audit!"


def canonical(seq: int, at: datetime, actor: str, action: str, subject: str, outcome: str,
              reasons: Iterable[str]) -> str:
    """The entry as hashed: sorted keys, no spaces, UTC time to the microsecond."""
    return json.dumps({"seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor,
                       "action": action, "subject": subject, "outcome": outcome,
                       "reasons": list(reasons)},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, canonical_json: str) -> str:
    return hashlib.sha256((prev_hash + canonical_json).encode("utf-8")).hexdigest()


def append(tx: Session, *, at: datetime, actor: str, action: str, subject: str,
           refused: Iterable[str] = ()) -> AuditEntry:
    """Add the next link. Call it last in a transaction: the append lock is held to commit."""
    if tx.get_bind().dialect.name == "postgresql":
        tx.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_APPEND_LOCK})")
    head = tx.exec(select(AuditEntry.seq, AuditEntry.entry_hash)
                   .order_by(col(AuditEntry.seq).desc()).limit(1)).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    reasons = list(refused)
    outcome = "refused" if reasons else "accepted"
    entry = AuditEntry(seq=seq, at=at, actor=actor[:32], action=action, subject=subject[:60],
                       outcome=outcome, reasons=reasons, prev_hash=prev,
                       entry_hash=chain_hash(prev, canonical(seq, at, actor[:32], action,
                                                             subject[:60], outcome, reasons)))
    tx.add(entry)
    tx.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    entries: int
    first_bad: int | None = None
    problem: str = ""

    @property
    def whole(self) -> bool:
        return self.first_bad is None


def _rows(db: Database, batch: int = 5000) -> Iterator[AuditEntry]:
    with db.reading() as tx:
        yield from tx.exec(select(AuditEntry).order_by(col(AuditEntry.seq))
                           .execution_options(yield_per=batch))


def verify(db: Database) -> Verification:
    """Recompute the whole chain; name the first entry that does not hold."""
    expected_seq, prev, count = 1, GENESIS, 0
    for row in _rows(db):
        if row.seq != expected_seq:
            return Verification(count, expected_seq,
                                f"entry {expected_seq} is missing (the next entry is {row.seq})")
        if row.prev_hash != prev:
            return Verification(count, row.seq, f"entry {row.seq} does not follow entry "
                                f"{row.seq - 1} (deleted, inserted or reordered)")
        computed = chain_hash(prev, canonical(row.seq, row.at, row.actor, row.action, row.subject,
                                              row.outcome, row.reasons))
        if computed != row.entry_hash:
            return Verification(count, row.seq,
                                f"entry {row.seq} does not match its hash (edited or reordered)")
        prev, expected_seq, count = row.entry_hash, expected_seq + 1, count + 1
    return Verification(count)
