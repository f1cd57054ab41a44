"""A long audit chain verified by several processes at once, each taking a span of seqs.

The verdict must be exactly the one a single process gives reading the chain whole: the
same first bad entry, the same problem, the same count of entries before it. The split
threshold is lowered so a 60-entry chain splits into three spans (1-20 in this process,
21-40 and 41-60 in forked workers); each kind of tampering is tried in the second span and
across the spans' edges. Runs on SQLite and PostgreSQL.
"""

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlmodel import col

from kapbot.store import audit
from kapbot.store.db import Database
from kapbot.store.models import AuditEntry, metadata

ENTRIES = 60
PROCESSES = 3  # spans 1-20, 21-40, 41-60
SECOND_SPAN_FIRST, SECOND_SPAN_LAST = 21, 40
REASONS = ("Double check failed: the dose read off the tablets (400 mg) ≠ the sign-off.",
           'The "consent" item is not ticked.')


def _append_chain(db: Database, entries: int = ENTRIES) -> None:
    """`entries` links through audit.append, some refused, some with quotes and non-ASCII."""
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with db.transaction() as tx:
        for i in range(entries):
            audit.append(tx, at=at + timedelta(seconds=37 * i, microseconds=1_013 * i),
                         actor=f"U{i % 5:08d}", action=("sign_off_dose", "start_session")[i % 2],
                         subject=f"session:{i // 7}", refused=REASONS[:i % 3])


def verdict(db: Database) -> audit.Verification:
    """The split verdict, after checking it is the single-process one."""
    alone = audit.verify(db, split_from=ENTRIES + 1)
    split = audit.verify(db, split_from=2, processes=PROCESSES)
    assert split == alone
    return split


def _entry(db: Database, seq: int) -> dict[str, Any]:
    table = metadata.tables["audit_entry"]
    with db.engine.connect() as connection:
        return dict(connection.execute(table.select().where(table.c.seq == seq)).mappings().one())


def _edit(db: Database, seq: int, /, **values: Any) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(AuditEntry).where(col(AuditEntry.seq) == seq).values(**values))


def _delete(db: Database, first: int, last: int | None = None) -> None:
    with db.engine.begin() as connection:
        connection.execute(delete(AuditEntry).where(col(AuditEntry.seq) >= first,
                                                    col(AuditEntry.seq) <= (last or first)))


def _swap(db: Database, first: int, second: int) -> None:
    """Two whole entries trade places, hashes and all: only their seqs stay put."""
    a, b = _entry(db, first), _entry(db, second)
    with db.engine.begin() as connection:
        for seq, source in ((first, b), (second, a)):
            connection.execute(update(AuditEntry).where(col(AuditEntry.seq) == seq)
                               .values({k: v for k, v in source.items() if k != "seq"}))


def _pid_of_worker(url: str, span: Any) -> audit.Verification:
    """Stands in for a worker's check: names the span's first entry and the process it ran in."""
    return audit.Verification(0, span.first, f"checked in process {os.getpid()}")


# --- the split itself -------------------------------------------------------------------------


def test_a_long_chain_is_checked_in_worker_processes(db: Database,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _append_chain(db)
    monkeypatch.setattr(audit, "_check_alone", _pid_of_worker)

    found = audit.verify(db, split_from=2, processes=PROCESSES)

    assert (found.first_bad, found.entries) == (SECOND_SPAN_FIRST, SECOND_SPAN_FIRST - 1)
    assert found.problem.startswith("checked in process ")
    assert found.problem != f"checked in process {os.getpid()}"


def test_a_short_chain_is_checked_in_this_process(db: Database,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _append_chain(db)
    monkeypatch.setattr(audit, "_check_alone", _pid_of_worker)

    found = audit.verify(db, split_from=ENTRIES + 1, processes=PROCESSES)

    assert found == audit.Verification(ENTRIES)


def test_an_untouched_long_chain_verifies_whole(db: Database) -> None:
    _append_chain(db)

    assert verdict(db) == audit.Verification(ENTRIES)


# --- tampering in the second span ------------------------------------------------------------


def test_an_edit_in_the_second_span_is_named(db: Database) -> None:
    _append_chain(db)
    _edit(db, 30, actor="UINTRUDER")

    assert verdict(db) == audit.Verification(
        29, 30, "entry 30 does not match its hash (edited or reordered)")


def test_a_deletion_in_the_second_span_is_named(db: Database) -> None:
    _append_chain(db)
    _delete(db, 30)

    assert verdict(db) == audit.Verification(29, 30, "entry 30 is missing (the next entry is 31)")


def test_a_reordered_pair_in_the_second_span_is_named(db: Database) -> None:
    _append_chain(db)
    _swap(db, 30, 31)

    found = verdict(db)

    assert (found.entries, found.first_bad) == (29, 30)
    assert "does not follow entry 29" in found.problem


def test_only_the_first_of_edits_in_several_spans_is_named(db: Database) -> None:
    _append_chain(db)
    _edit(db, 50, outcome="accepted", reasons=[])
    _edit(db, 35, subject="session:999")

    assert verdict(db).first_bad == 35


def test_an_edit_in_the_last_span_counts_every_entry_before_it(db: Database) -> None:
    _append_chain(db)
    _edit(db, 50, at=_entry(db, 50)["at"] - timedelta(hours=1))

    assert verdict(db) == audit.Verification(
        49, 50, "entry 50 does not match its hash (edited or reordered)")


# --- tampering at the spans' edges -----------------------------------------------------------


@pytest.mark.parametrize(("first", "last"), [(20, 20), (21, 21), (40, 41), (19, 23), (21, 40)],
                         ids=["last-of-first-span", "first-of-second-span", "across-an-edge",
                              "several-across-an-edge", "a-whole-span"])
def test_a_deletion_at_a_span_edge_is_named(db: Database, first: int, last: int) -> None:
    _append_chain(db)
    _delete(db, first, last)

    assert verdict(db) == audit.Verification(
        first - 1, first, f"entry {first} is missing (the next entry is {last + 1})")


def test_a_reordered_pair_across_a_span_edge_is_named(db: Database) -> None:
    _append_chain(db)
    _swap(db, SECOND_SPAN_FIRST - 1, SECOND_SPAN_FIRST)

    assert verdict(db).first_bad == SECOND_SPAN_FIRST - 1


def test_a_rehashed_edit_at_a_span_end_is_caught_by_the_next_span(db: Database) -> None:
    """The forged entry 40 holds on its own; entry 41, first of the next span, does not."""
    _append_chain(db)
    row = _entry(db, SECOND_SPAN_LAST)
    forged_hash = audit.chain_hash(row["prev_hash"], audit.canonical(
        row["seq"], row["at"], "UINTRUDER", row["action"], row["subject"], row["outcome"],
        row["reasons"]))
    _edit(db, SECOND_SPAN_LAST, actor="UINTRUDER", entry_hash=forged_hash)

    assert verdict(db) == audit.Verification(
        SECOND_SPAN_LAST, SECOND_SPAN_LAST + 1,
        f"entry {SECOND_SPAN_LAST + 1} does not follow entry {SECOND_SPAN_LAST} "
        "(deleted, inserted or reordered)")


def test_a_seq_moved_below_one_is_met_first(db: Database) -> None:
    _append_chain(db)
    _edit(db, 30, seq=-30)

    assert verdict(db) == audit.Verification(0, 1, "entry 1 is missing (the next entry is -30)")


def test_deleted_last_entries_shorten_the_chain(db: Database) -> None:
    _append_chain(db)
    _delete(db, ENTRIES - 2, ENTRIES)

    assert verdict(db) == audit.Verification(ENTRIES - 3)


# --- the ORM re-check, in the workers too ---------------------------------------------------


def test_rows_the_fast_path_misreads_are_settled_by_the_orm(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row's stored time read wrong (as a storage format verify does not expect
    would be): the typed re-check still finds the chain whole, and an edit still named."""
    _append_chain(db)
    monkeypatch.setattr(audit, "_iso", lambda stored: "not a time")

    assert verdict(db) == audit.Verification(ENTRIES)
    _edit(db, 33, action="end_session")
    assert verdict(db) == audit.Verification(
        32, 33, "entry 33 does not match its hash (edited or reordered)")
