"""The tamper-evident audit trail: a SHA-256 hash chain over every action, accepted or refused.

entry_hash = sha256(prev_hash + canonical_json(entry)). `seq` is part of the entry, so
editing, deleting or reordering rows breaks the chain at the first row touched. Appends
are serialised — by SQLite's single writer, and by a transaction-scoped advisory lock on
PostgreSQL — so two processes can never both extend the same head.
"""

import hashlib
import json
import multiprocessing
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import chain
from multiprocessing.context import BaseContext
from typing import Any

from sqlalchemy import func, insert
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


_HEAD = select(AuditEntry.seq, AuditEntry.entry_hash).order_by(col(AuditEntry.seq).desc()).limit(1)
_INSERT = insert(AuditEntry)


def append(tx: Session, *, at: datetime, actor: str, action: str, subject: str,
           refused: Iterable[str] = ()) -> None:
    """Add the next link. Call it last in a transaction: the append lock is held to commit.

    Through the transaction's connection, as plain SQL: every action appends, and the
    ORM's unit of work cost several times the insert itself."""
    connection = tx.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_APPEND_LOCK})")
    head = connection.execute(_HEAD).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    reasons = list(refused)
    outcome = "refused" if reasons else "accepted"
    actor, subject = actor[:32], subject[:60]
    connection.execute(_INSERT, {
        "seq": seq, "at": at, "actor": actor, "action": action, "subject": subject,
        "outcome": outcome, "reasons": reasons, "prev_hash": prev,
        "entry_hash": chain_hash(prev, canonical(seq, at, actor, action, subject, outcome,
                                                 reasons))})


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
_SELECT = {
    "sqlite": f"SELECT {_COLUMNS}, at, reasons FROM audit_entry",
    "postgresql": f"SELECT {_COLUMNS}, to_char(at AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD HH24:MI:SS.US'), reasons::text FROM audit_entry",
}
_PLACEHOLDER = {"sqlite": "?", "postgresql": "%s"}
_BATCH = 10_000

SPLIT_FROM = 50_000
"""A chain this long is verified by one process per CPU, each taking a range of seqs.
About here, on two cores, the split's forks and connections cost what it saves."""


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


def _reasons(stored: str) -> list[str] | None:
    """The stored reasons, or None when they are not the list of strings kapbot writes (a
    tampered row: no entry kapbot appended can hash to it)."""
    if stored == "[]":
        return []
    found = json.loads(stored)
    return found if isinstance(found, list) and all(isinstance(r, str) for r in found) else None


def _typed_hash(tx: Session, seq: int) -> str | None:
    """The hash recomputed from the row read through the ORM, exactly as it was appended.

    Only for a row whose stored text the fast path did not reproduce: the verdict is
    always this one, so a storage format the fast path does not expect can never make a
    whole chain look broken.
    """
    row = tx.get(AuditEntry, seq)
    if row is None or not all(isinstance(reason, str) for reason in row.reasons):
        return None
    return chain_hash(row.prev_hash, canonical(row.seq, row.at, row.actor, row.action,
                                               row.subject, row.outcome, row.reasons))


@dataclass(frozen=True)
class _Span:
    """Entries `first`..`last` of the chain, checked on their own.

    A span needs nothing from the others but the stored entry_hash just before it, so
    spans can be checked at once in separate processes. The span from 1 also reads any
    seq below 1, which a chain read whole from its start would meet first.
    """

    first: int
    last: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1


def _spans(last: int, parts: int) -> list[_Span]:
    """1..last cut into `parts` spans of (nearly) equal length, in seq order."""
    size = -(-last // parts)
    return [_Span(first, min(first + size - 1, last)) for first in range(1, last + 1, size)]


@contextmanager
def _snapshot(db: Database) -> Iterator[Session]:
    """A read transaction that sees one snapshot throughout: the last seq, the hash before
    a span, its rows and any re-check all agree. SQLite's read transaction already does;
    PostgreSQL needs REPEATABLE READ, set before the first statement."""
    with db.reading() as tx:
        if not db.is_sqlite:
            tx.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield tx


@contextmanager
def _raw_rows(tx: Session, span: _Span) -> Iterator[Iterable[Sequence[Any]]]:
    """The span's rows as the driver returns them, in seq order, never all in memory.

    SQLite's cursor steps through the table as it is iterated; PostgreSQL's rows come
    through a server-side cursor in batches. Either way the iteration stays in C: on
    SQLite, batches handed on by a Python generator cost about a microsecond a row more.
    """
    connection = tx.connection()
    dialect = connection.dialect.name
    p = _PLACEHOLDER[dialect]
    if span.first == 1:  # and any seq below 1, which a chain read from its start meets first
        where, bounds = f"seq <= {p}", (span.last,)
    else:
        where, bounds = f"seq >= {p} AND seq <= {p}", (span.first, span.last)
    driver = connection.connection.dbapi_connection
    assert driver is not None
    postgres = dialect == "postgresql"
    cursor = driver.cursor(name="kapbot_audit_verify") if postgres else driver.cursor()
    try:
        cursor.execute(f"{_SELECT[dialect]} WHERE {where} ORDER BY seq", bounds)
        if postgres:
            yield chain.from_iterable(iter(partial(cursor.fetchmany, _BATCH), []))
        else:
            yield cursor
    finally:
        cursor.close()


def _hash_before(tx: Session, span: _Span) -> str:
    """What the span's first entry must follow: GENESIS, or the entry_hash stored before it.

    If that entry is missing, the span before this one names it, so whatever this span
    then finds comes after the first bad entry and is never reported.
    """
    if span.first == 1:
        return GENESIS
    stored = tx.exec(select(AuditEntry.entry_hash)
                     .where(col(AuditEntry.seq) == span.first - 1)).first()
    return stored or ""


def _missing(entries: int, seq: int, following: int) -> Verification:
    return Verification(entries, seq, f"entry {seq} is missing (the next entry is {following})")


def _check(tx: Session, span: _Span) -> Verification:
    """Recompute the span's links in seq order; name the first that does not hold."""
    expected_seq, prev, count = span.first, _hash_before(tx, span), 0
    sha256, build, iso = hashlib.sha256, _canonical, _iso
    with _raw_rows(tx, span) as rows:
        for actor, action, subject, outcome, prev_hash, entry_hash, seq, at, reasons in rows:
            if seq != expected_seq:
                return _missing(count, expected_seq, seq)
            if prev_hash != prev:
                return Verification(count, seq, f"entry {seq} does not follow entry "
                                    f"{seq - 1} (deleted, inserted or reordered)")
            listed = _reasons(reasons)
            if listed is None or (
                    sha256((prev + build(seq, iso(at), actor, action, subject, outcome, listed))
                           .encode("utf-8")).hexdigest() != entry_hash
                    and _typed_hash(tx, seq) != entry_hash):
                return Verification(count, seq, f"entry {seq} does not match its hash "
                                    "(edited or reordered)")
            prev, expected_seq, count = entry_hash, expected_seq + 1, count + 1
    if expected_seq <= span.last:  # the span's last entries are gone: name what comes next
        following = tx.exec(select(func.min(AuditEntry.seq))
                            .where(col(AuditEntry.seq) > expected_seq)).one()
        if following is not None:
            return _missing(count, expected_seq, following)
    return Verification(count)


def _check_alone(url: str, span: _Span) -> Verification:
    """A worker process's span, over an engine and connection of its own: the engine
    inherited across fork, pool and all, belongs to the parent."""
    db = Database(url)
    try:
        with _snapshot(db) as tx:
            return _check(tx, span)
    finally:
        db.dispose()


def _joined(spans: Sequence[_Span], found: Iterable[Verification]) -> Verification:
    """The spans' verdicts as one over the whole chain: the first bad entry in seq order,
    after every entry before it. A span that ends short (its tail deleted while verify
    ran) ends the chain there, as it would for a single reader."""
    entries = 0
    for span, part in zip(spans, found, strict=True):
        entries += part.entries
        if not part.whole:
            return Verification(entries, part.first_bad, part.problem)
        if part.entries < span.size:
            break
    return Verification(entries)


def _forking() -> BaseContext | None:
    """Worker processes by fork, or None to verify in this process alone.

    Fork starts a worker in milliseconds with kapbot already imported; spawn would import
    it all again in each, costing more than the split saves. Forking while other threads
    run could leave a lock one of them held locked forever in the child.
    """
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return None
    return multiprocessing.get_context("fork")


def _shared(db: Database) -> bool:
    """Whether another process can open this database (an in-memory SQLite one cannot)."""
    return not db.is_sqlite or db.url.database not in (None, "", ":memory:")


def verify(db: Database, *, split_from: int = SPLIT_FROM,
           processes: int | None = None) -> Verification:
    """Recompute the whole chain; name the first entry that does not hold.

    The chain is the entries up to the last seq when verify starts: any appended while it
    runs are left for the next run. From `split_from` entries on, `processes` (default:
    one per CPU) check a span each, this one included; the verdict is the same as one
    process reading the chain from the start. Call it outside any transaction on `db`.
    """
    with _snapshot(db) as tx:
        last = tx.exec(select(func.max(AuditEntry.seq))).one() or 0
        spans = _spans(last, processes or os.cpu_count() or 1) if last >= split_from else []
        forking = _forking() if len(spans) > 1 and _shared(db) else None
        if forking is None:
            return _check(tx, _Span(1, last))
    # No connection may be open across fork: a child opening the same SQLite file would
    # share the parent's lock bookkeeping, and so read without the locks it thinks it holds.
    db.dispose()
    url = db.url.render_as_string(hide_password=False)
    with forking.Pool(len(spans) - 1) as workers:
        others = workers.map_async(partial(_check_alone, url), spans[1:], chunksize=1)
        with _snapshot(db) as tx:
            first = _check(tx, spans[0])
        return _joined(spans, [first, *others.get()])
