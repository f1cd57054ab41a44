"""The audit chain: every action, accepted or refused, one link; any tampering is named.

Each test builds a real chain through the services (a morning at the clinic, with some
clicks refused), then alters the `audit_entry` table behind kapbot's back, as someone with
database access might. `audit.verify` and the `kapbot audit verify` command must both name
the first entry that no longer holds. Runs on SQLite and PostgreSQL.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from kapbot.services import Outcome
from kapbot.store import audit
from kapbot.store import models as m
from kapbot.store.db import Database
from kapbot.store.models import metadata
from tests.clinic import (
    CODE,
    PRESCRIBER,
    STRANGER,
    THERAPIST,
    Clinic,
    accepted,
    plan_form,
)

PLAN_NOTES = "Pt disclosed childhood trauma; titrate slowly, watch for panic (Dr R)."
ABORT_REASON = "Pt vomited twice and became acutely distressed; BP 172/104."
CANCEL_REASON = "Pt's mother admitted to hospital this morning."
FOLLOW_UP_NOTES = "Integration: pt described seeing late father; tearful but grounded."
CLINICAL_TEXT = (PLAN_NOTES, ABORT_REASON, CANCEL_REASON, FOLLOW_UP_NOTES)

# The morning below, entry by entry (the four roster entries come from Clinic.open).
FIRST_PLAN, REFUSED_PLAN, SCHEDULED, CHECKLIST, REFUSED_SIGN_OFF, SIGN_OFF = 5, 6, 7, 8, 9, 10
PRESENCE, REFUSED_START, START, REFUSED_ABORT, ABORT = 11, 12, 13, 14, 15
MORNING_ENTRIES = 15
PAYLOAD = ("at", "actor", "action", "subject", "outcome", "reasons")


def a_morning_at_the_clinic(clinic: Clinic) -> int:
    """Entries 5–15: a plan, a session prepared, started and aborted, with refusals between."""
    services = clinic.services
    clinic.post_plan(notes=PLAN_NOTES)
    assert services.post_plan(THERAPIST, CODE, plan_form()).refused
    session_id = clinic.schedule()
    clinic.at_scheduled_time(session_id)
    accepted(clinic.checklist(session_id))
    assert clinic.sign_off(session_id, dose=400).refused
    accepted(clinic.sign_off(session_id))
    accepted(clinic.presence(session_id))
    assert services.start_session(STRANGER, session_id).refused
    accepted(clinic.start(session_id))
    assert services.abort_session(STRANGER, session_id, ABORT_REASON).refused
    accepted(services.abort_session(THERAPIST, session_id, ABORT_REASON))
    return MORNING_ENTRIES


def _kapbot() -> str:
    found = shutil.which("kapbot") or str(Path(sys.executable).parent / "kapbot")
    assert Path(found).exists(), "the kapbot console script is not installed"
    return found


def run_kapbot(db: Database, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`kapbot …` as a person runs it, against this test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPBOT_")}
    env["KAPBOT_DATABASE_URL"] = db.url.render_as_string(hide_password=False)
    return subprocess.run([_kapbot(), *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120, check=False)


def assert_named(db: Database, first_bad: int, tmp_path: Path) -> audit.Verification:
    """Both the library and the command name `first_bad` as the first entry that fails."""
    found = audit.verify(db)
    assert not found.whole
    assert found.first_bad == first_bad, found.problem
    assert f"entry {first_bad} " in f"{found.problem} "

    result = run_kapbot(db, "audit", "verify", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert re.search(rf"\bbroken at entry {first_bad}\b", result.stderr), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return found


def _entry(db: Database, seq: int) -> dict[str, Any]:
    table = metadata.tables["audit_entry"]
    with db.engine.connect() as connection:
        return dict(connection.execute(table.select().where(table.c.seq == seq)).mappings().one())


def _tamper(db: Database, statement: Any) -> None:
    with db.engine.begin() as connection:
        assert connection.execute(statement).rowcount >= 1


def _edit(db: Database, seq: int, /, **values: Any) -> None:
    _tamper(db, update(m.AuditEntry).where(col(m.AuditEntry.seq) == seq).values(**values))


def _delete(db: Database, seq: int) -> None:
    _tamper(db, delete(m.AuditEntry).where(col(m.AuditEntry.seq) == seq))


def _swap(db: Database, first: int, second: int, columns: tuple[str, ...]) -> None:
    a, b = _entry(db, first), _entry(db, second)
    with db.engine.begin() as connection:
        for seq, source in ((first, b), (second, a)):
            connection.execute(update(m.AuditEntry).where(col(m.AuditEntry.seq) == seq)
                               .values({c: source[c] for c in columns}))


def _entries(db: Database) -> list[m.AuditEntry]:
    with db.reading() as tx:
        return list(tx.exec(select(m.AuditEntry).order_by(col(m.AuditEntry.seq))))


def _clinical_rows(db: Database) -> dict[str, int]:
    """How many rows every table but the audit trail holds."""
    with db.reading() as tx:
        return {t.name: tx.exec(select(func.count()).select_from(t)).one()
                for t in metadata.sorted_tables if t.name != "audit_entry"}


def refused_alone(db: Database, action: str, click: Callable[[], Outcome]) -> None:
    """The click is refused, leaves no clinical row, and is exactly one refused entry."""
    rows_before, entries_before = _clinical_rows(db), len(_entries(db))
    outcome = click()
    assert outcome.refused, f"{action} was accepted"
    assert _clinical_rows(db) == rows_before, f"a refused {action} left clinical rows"
    entries = _entries(db)
    assert len(entries) == entries_before + 1, f"a refused {action} is not exactly one entry"
    last = entries[-1]
    assert (last.action, last.outcome) == (action, "refused")
    assert tuple(last.reasons) == outcome.reasons


# --- an intact chain -----------------------------------------------------------------------


def test_an_untouched_chain_verifies(clinic: Clinic, db: Database, tmp_path: Path) -> None:
    entries = a_morning_at_the_clinic(clinic)

    found = audit.verify(db)
    assert found.whole
    assert found.entries == entries
    result = run_kapbot(db, "audit", "verify", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"audit chain intact: {entries} entries"


def test_every_click_is_one_link_accepted_or_refused(clinic: Clinic, db: Database) -> None:
    a_morning_at_the_clinic(clinic)

    rows = _entries(db)
    assert [r.seq for r in rows] == list(range(1, MORNING_ENTRIES + 1))
    assert rows[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in pairwise(rows))
    refused = {r.seq for r in rows if r.outcome == "refused"}
    assert refused == {REFUSED_PLAN, REFUSED_SIGN_OFF, REFUSED_START, REFUSED_ABORT}
    assert all(r.reasons for r in rows if r.outcome == "refused")
    assert all(not r.reasons for r in rows if r.outcome == "accepted")
    assert rows[START - 1].action == "start_session"
    assert rows[START - 1].actor == THERAPIST
    assert rows[REFUSED_START - 1].actor == STRANGER


def test_the_json_report_names_the_first_bad_entry(clinic: Clinic, db: Database,
                                                   tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _edit(db, SIGN_OFF, actor=STRANGER)

    result = run_kapbot(db, "audit", "verify", "--json", cwd=tmp_path)

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["whole"] is False
    assert report["first_bad"] == SIGN_OFF
    assert report["entries"] == SIGN_OFF - 1


# --- tampering, each kind named at the first entry it touches ---------------------------------


def test_an_edited_reason_is_named_by_verify(clinic: Clinic, db: Database,
                                             tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _edit(db, REFUSED_SIGN_OFF, reasons=["Verbal approval by phone."])

    assert_named(db, REFUSED_SIGN_OFF, tmp_path)


def test_reasons_that_are_not_text_are_named_by_verify(clinic: Clinic, db: Database,
                                                       tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _edit(db, REFUSED_SIGN_OFF, reasons=[5])

    assert_named(db, REFUSED_SIGN_OFF, tmp_path)


def test_an_edited_actor_is_named_by_verify(clinic: Clinic, db: Database,
                                            tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _edit(db, START, actor=PRESCRIBER)

    assert_named(db, START, tmp_path)


def test_a_refusal_rewritten_as_accepted_is_named_by_verify(clinic: Clinic, db: Database,
                                                            tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _edit(db, REFUSED_PLAN, outcome="accepted", reasons=[])

    found = assert_named(db, REFUSED_PLAN, tmp_path)
    assert "hash" in found.problem


def test_an_edited_time_is_named_by_verify(clinic: Clinic, db: Database, tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _edit(db, PRESENCE, at=_entry(db, PRESENCE)["at"] - timedelta(hours=1))

    assert_named(db, PRESENCE, tmp_path)


def test_a_deleted_audit_entry_is_named_by_verify(clinic: Clinic, db: Database,
                                                  tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _delete(db, REFUSED_START)

    found = assert_named(db, REFUSED_START, tmp_path)
    assert "missing" in found.problem


def test_a_deleted_first_entry_is_named_by_verify(clinic: Clinic, db: Database,
                                                  tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _delete(db, 1)

    found = assert_named(db, 1, tmp_path)
    assert found.entries == 0


def test_a_deletion_hidden_by_renumbering_is_named_by_verify(clinic: Clinic, db: Database,
                                                             tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _delete(db, REFUSED_START)
    later = col(m.AuditEntry.seq) > REFUSED_START
    _tamper(db, update(m.AuditEntry).where(later).values(seq=-m.AuditEntry.seq))
    _tamper(db, update(m.AuditEntry).where(col(m.AuditEntry.seq) < 0)
            .values(seq=-m.AuditEntry.seq - 1))

    found = assert_named(db, REFUSED_START, tmp_path)
    assert "does not follow" in found.problem


def test_two_swapped_entries_are_named_by_verify(clinic: Clinic, db: Database,
                                                 tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _swap(db, SIGN_OFF, REFUSED_START, (*PAYLOAD, "prev_hash", "entry_hash"))

    assert_named(db, SIGN_OFF, tmp_path)


def test_two_swapped_payloads_under_their_old_hashes_are_named_by_verify(
        clinic: Clinic, db: Database, tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _swap(db, REFUSED_START, START, PAYLOAD)

    found = assert_named(db, REFUSED_START, tmp_path)
    assert "hash" in found.problem


def test_a_changed_seq_is_named_by_verify(clinic: Clinic, db: Database, tmp_path: Path) -> None:
    a_morning_at_the_clinic(clinic)
    _edit(db, SCHEDULED, seq=MORNING_ENTRIES + 100)

    found = assert_named(db, SCHEDULED, tmp_path)
    assert "missing" in found.problem


def test_an_edit_with_a_recomputed_hash_is_caught_at_the_next_entry(
        clinic: Clinic, db: Database, tmp_path: Path) -> None:
    """A forger who re-hashes the edited entry still breaks the link to the one after it."""
    a_morning_at_the_clinic(clinic)
    row = _entry(db, REFUSED_ABORT)
    forged = {**row, "outcome": "accepted", "reasons": []}
    forged["entry_hash"] = audit.chain_hash(row["prev_hash"], audit.canonical(
        forged["seq"], forged["at"], forged["actor"], forged["action"], forged["subject"],
        forged["outcome"], forged["reasons"]))
    _edit(db, REFUSED_ABORT, outcome="accepted", reasons=[], entry_hash=forged["entry_hash"])

    found = assert_named(db, ABORT, tmp_path)
    assert "does not follow" in found.problem


# --- refusals and privacy ------------------------------------------------------------------


def test_each_refused_action_leaves_one_entry_and_no_clinical_rows(clinic: Clinic,
                                                                   db: Database) -> None:
    services = clinic.services
    refused_alone(db, "post_plan",
                  lambda: services.post_plan(THERAPIST, CODE, plan_form(notes=PLAN_NOTES)))
    refused_alone(db, "post_plan",
                  lambda: services.post_plan(PRESCRIBER, CODE, plan_form(route="intravenous")))
    refused_alone(db, "post_plan",
                  lambda: services.post_plan(PRESCRIBER, CODE, plan_form(dose=200, maximum=150)))
    refused_alone(db, "schedule_session", lambda: services.schedule_session(
        THERAPIST, CODE, clinic.clock.now() - timedelta(hours=1)))
    refused_alone(db, "add_patient",
                  lambda: services.add_patient(THERAPIST, "KAP-0777", PRESCRIBER, THERAPIST))
    assert _clinical_rows(db)["dose_plan"] == 0

    clinic.post_plan()
    session_id = clinic.schedule()
    clinic.at_scheduled_time(session_id)
    refused_alone(db, "complete_checklist", lambda: services.complete_checklist(
        THERAPIST, session_id, ("consent",), 300, 80, 72, 98))
    refused_alone(db, "complete_checklist", lambda: services.complete_checklist(
        THERAPIST, session_id, ("consent", "astrology"), 120, 80, 72, 98))
    refused_alone(db, "complete_checklist", lambda: services.complete_checklist(
        PRESCRIBER, session_id, ("consent",), 120, 80, 72, 98))
    refused_alone(db, "sign_off_dose", lambda: clinic.sign_off(session_id))  # no checklist yet
    refused_alone(db, "confirm_presence", lambda: clinic.presence(session_id,
                                                                  route="intravenous"))
    refused_alone(db, "confirm_presence", lambda: services.confirm_presence(
        THERAPIST, session_id, False, 100, "sublingual"))
    refused_alone(db, "start_session", lambda: clinic.start(session_id))
    refused_alone(db, "cancel_session",
                  lambda: services.cancel_session(STRANGER, session_id, CANCEL_REASON))

    accepted(clinic.checklist(session_id))
    refused_alone(db, "sign_off_dose", lambda: clinic.sign_off(session_id, dose=400))

    with db.reading() as tx:
        session = tx.get(m.DosingSession, session_id)
        assert session is not None
        assert (session.state, session.started_at, session.end_reason) == ("scheduled", None,
                                                                             None)
    assert audit.verify(db).whole


def test_the_audit_trail_holds_no_clinical_free_text(clinic: Clinic, db: Database) -> None:
    services = clinic.services
    clinic.post_plan(notes=PLAN_NOTES)
    first = clinic.run_session()
    follow_up = _first_follow_up(db, first)
    accepted(services.complete_follow_up(THERAPIST, follow_up, 9, 6, FOLLOW_UP_NOTES))
    assert services.complete_follow_up(STRANGER, follow_up, 9, 6, FOLLOW_UP_NOTES).refused

    clinic.clock.advance(timedelta(days=8))
    cancelled = clinic.schedule()
    assert services.cancel_session(STRANGER, cancelled, CANCEL_REASON).refused
    accepted(services.cancel_session(THERAPIST, cancelled, CANCEL_REASON))

    aborted = clinic.schedule()
    clinic.prepare(aborted)
    accepted(clinic.start(aborted))
    assert services.abort_session(PRESCRIBER, aborted, "").refused  # a reason is required
    assert services.abort_session(STRANGER, aborted, ABORT_REASON).refused
    accepted(services.abort_session(PRESCRIBER, aborted, ABORT_REASON))
    assert services.post_plan(THERAPIST, CODE, plan_form(notes=PLAN_NOTES)).refused

    with db.reading() as tx:  # the text is kept where it belongs: in the clinical rows
        assert tx.exec(select(m.DosePlan.notes)).all() == [PLAN_NOTES]
        ends = {s.id: s.end_reason for s in tx.exec(select(m.DosingSession))}
        assert (ends[cancelled], ends[aborted]) == (CANCEL_REASON, ABORT_REASON)
        assert tx.exec(select(m.FollowUp.notes).where(col(m.FollowUp.id) == follow_up)
                       ).one() == FOLLOW_UP_NOTES

    trail = json.dumps([[getattr(e, c) for c in (*PAYLOAD, "prev_hash", "entry_hash")]
                        for e in _entries(db)], default=str, ensure_ascii=False)
    for text in CLINICAL_TEXT:
        for fragment in (text, text[:20], text[-20:]):
            assert fragment not in trail, f"clinical text in the audit trail: {fragment!r}"
    assert audit.verify(db).whole


def _first_follow_up(db: Database, session_id: int) -> int:
    with db.reading() as tx:
        row = tx.exec(select(m.FollowUp).where(col(m.FollowUp.session_id) == session_id)
                      .order_by(col(m.FollowUp.id))).first()
    assert row is not None and row.id is not None
    return row.id


def test_a_session_through_to_discharge_is_all_accepted(clinic: Clinic, db: Database) -> None:
    clinic.post_plan()
    clinic.run_session()

    rows = _entries(db)
    assert [r.outcome for r in rows] == ["accepted"] * len(rows)
    assert [r.action for r in rows[4:]] == ["post_plan", "schedule_session",
                                            "complete_checklist", "sign_off_dose",
                                            "confirm_presence", "start_session", "end_session"]
    assert audit.verify(db).entries == len(rows)
