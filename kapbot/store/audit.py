"""The tamper-evident audit trail: a SHA-256 hash chain over every action, accepted or refused.

entry_hash = sha256(prev_hash + canonical_json(entry)). `seq` is part of the entry, so
editing, deleting or reordering rows breaks the chain at the first row touched. Appends
are serialised — by SQLite's single writer, and by a transaction-scoped advisory lock on
PostgreSQL — so two processes can never both extend the same head.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from kapbot.store.db import Database
from kapbot.store.models import AuditEntry

GENESIS = "0" * 64
_PG_APPEND_LOCK = 0x617564697421  # "audit!"


def canonical(seq: int, at: datetime, actor: str, action: str, subject: str, outcome: str,
              reasons: Iterable[str]) -> str:
    """The entry as hashed: sorted keys, no spaces, UTC time to the microsecond.

    Exactly `json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`,
    written out by hand: it is the verifier's inner loop, and json.dumps with sort_keys
    costs more than the hashing itself.
    """
    return _canonical(seq, at.isoformat(timespec="microseconds"), actor, action, subject,
                      outcome, reasons)


_quote = json.encoder.encode_basestring  # what json.dumps quotes a str with (ensure_ascii=False)


def _canonical(seq: int, at: str, actor: str, action: str, subject: str, outcome: str,
               reasons: Iterable[str]) -> str:
    return (f'{{"action":{_quote(action)},"actor":{_quote(actor)},"at":{_quote(at)},'
            f'"outcome":{_quote(outcome)},"reasons":[{",".join(map(_quote, reasons))}],'
            f'"seq":{int.__repr__(seq)},"subject":{_quote(subject)}}}')


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


# The columns as stored, not as the ORM types them: building a million AuditEntry objects
# costs ten times the hashing. `at` comes as SQLite stores it, 'YYYY-MM-DD HH:MM:SS.ffffff'
# in UTC (PostgreSQL is asked for the same text), `reasons` as its JSON text.
_COLUMNS = "actor, action, subject, outcome, prev_hash, entry_hash, seq"
_RAW_SQL = {
    "sqlite": f"SELECT {_COLUMNS}, at, reasons FROM audit_entry ORDER BY seq",
    "postgresql": f"SELECT {_COLUMNS}, to_char(at AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD HH24:MI:SS.US'), reasons::text FROM audit_entry ORDER BY seq",
}
_BATCH = 10_000


def _iso(stored: str) -> str:
    """The stored UTC time as `datetime.isoformat(timespec="microseconds")` writes it."""
    if len(stored) == 26 and stored[10] == " ":
        return f"{stored[:10]}T{stored[11:]}+00:00"
    try:
        parsed = datetime.fromisoformat(stored)
    except ValueError:  # not a time: the hash will not match, and _typed_hash decides
        return stored
    aware = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def _reasons(stored: str) -> list[str]:
    return [] if stored == "[]" else json.loads(stored)


def _typed_hash(tx: Session, seq: int) -> str | None:
    """The hash recomputed from the row read through the ORM, exactly as it was appended.

    Only for a row whose stored text the fast path did not reproduce: the verdict is
    always this one, so a storage format the fast path does not expect can never make a
    whole chain look broken.
    """
    row = tx.get(AuditEntry, seq)
    if row is None:
        return None
    return chain_hash(row.prev_hash, canonical(row.seq, row.at, row.actor, row.action,
                                               row.subject, row.outcome, row.reasons))


def _raw_rows(tx: Session) -> Iterator[Sequence[Any]]:
    """The rows as the driver returns them, in batches, inside the reading transaction
    (on PostgreSQL through a server-side cursor, so a long chain is never all in memory)."""
    connection = tx.connection()
    driver = connection.connection.dbapi_connection
    assert driver is not None
    postgres = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="kapbot_audit_verify") if postgres else driver.cursor()
    try:
        cursor.execute(_RAW_SQL[connection.dialect.name])
        while batch := cursor.fetchmany(_BATCH):
            yield from batch
    finally:
        cursor.close()


def verify(db: Database) -> Verification:
    """Recompute the whole chain; name the first entry that does not hold."""
    expected_seq, prev, count = 1, GENESIS, 0
    sha256, build, iso = hashlib.sha256, _canonical, _iso
    with db.reading() as tx:
        for actor, action, subject, outcome, prev_hash, entry_hash, seq, at, reasons in (
                _raw_rows(tx)):
            if seq != expected_seq:
                return Verification(count, expected_seq, f"entry {expected_seq} is missing "
                                    f"(the next entry is {seq})")
            if prev_hash != prev:
                return Verification(count, seq, f"entry {seq} does not follow entry "
                                    f"{seq - 1} (deleted, inserted or reordered)")
            text = build(seq, iso(at), actor, action, subject, outcome, _reasons(reasons))
            if (sha256((prev + text).encode("utf-8")).hexdigest() != entry_hash
                    and _typed_hash(tx, seq) != entry_hash):
                return Verification(count, seq, f"entry {seq} does not match its hash "
                                    "(edited or reordered)")
            prev, expected_seq, count = entry_hash, expected_seq + 1, count + 1
    return Verification(count)
