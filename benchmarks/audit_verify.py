"""7. Audit verify: `kapbot audit verify` over a long chain, against hashlib alone.

The floor is the work no verifier can skip: SHA-256 over exactly the bytes the chain
hashes (prev_hash + canonical JSON of each entry), in a Python loop, in this process.
The chain is written in bulk with kapbot's own canonical form and hash, so verify
must find it whole, and then settled as a table that has lived a while is (on
PostgreSQL: vacuumed and checkpointed), so the verify after it is not the one that
pays for the load. The command is timed as a clinic runs it — a new process, start-up
included — and audit.verify() in this process beside it, without the start-up. The
command and the hashing take turns, three rounds, and each side's best is compared. The
start-up alone is the command on the empty database, before the chain is written.
"""

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from benchmarks.context import Context
from benchmarks.report import Figure, Section
from benchmarks.scratch import scratch_url
from benchmarks.seed import settled
from kapbot.store import audit
from kapbot.store.db import Database
from kapbot.store.models import AuditEntry

TARGET = 5.0
ROUNDS = 3  # each side's best of three: a shared machine only ever adds time
BATCH = 20_000
ACTIONS = ("complete_checklist", "sign_off_dose", "confirm_presence", "start_session",
           "record_vitals", "check_in", "end_session", "status", "post_plan")
REFUSALS = ("The therapist has not completed the pre-session checklist.",
            "Double check failed: the dose read off the dispensed tablets does not match "
            "the prescriber's sign-off.")


def _chain(db: Database, entries: int) -> list[bytes]:
    """Write a whole chain of `entries`; return the bytes each link hashes, in order."""
    rng, hashed = random.Random(42), []
    prev, at = audit.GENESIS, datetime(2025, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for seq in range(1, entries + 1):
        at += timedelta(seconds=rng.randint(1, 90), microseconds=rng.randint(0, 999_999))
        actor = f"U{rng.randint(1, 40):07d}"
        action = rng.choice(ACTIONS)
        subject = f"session:{rng.randint(1, entries // 5 + 1)}"
        reasons = [rng.choice(REFUSALS)] if rng.random() < 0.1 else []
        outcome = "refused" if reasons else "accepted"
        text = prev + audit.canonical(seq, at, actor, action, subject, outcome, reasons)
        hashed.append(text.encode("utf-8"))
        entry_hash = hashlib.sha256(hashed[-1]).hexdigest()
        rows.append({"seq": seq, "at": at, "actor": actor, "action": action,
                     "subject": subject, "outcome": outcome, "reasons": reasons,
                     "prev_hash": prev, "entry_hash": entry_hash})
        prev = entry_hash
        if len(rows) == BATCH or seq == entries:
            with db.transaction() as tx:
                tx.execute(insert(AuditEntry), rows)
            rows = []
    return hashed


def _hashlib_alone(hashed: list[bytes]) -> float:
    sha256 = hashlib.sha256
    started = time.perf_counter()
    for data in hashed:
        sha256(data).hexdigest()
    return time.perf_counter() - started


def _command(url: str) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "KAPBOT_DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "kapbot"), "audit", "verify",
                           "--json"], env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"kapbot audit verify failed: {done.stderr or done.stdout}")
    return elapsed, json.loads(done.stdout)


def run(ctx: Context) -> Section:
    section = Section("audit_verify", "7. Audit verify")
    entries = int(ctx.pick(100_000, 1_000_000))
    for database in ("sqlite",) if ctx.quick else ("sqlite", "postgresql"):
        with scratch_url(database, "audit") as url:
            ctx.say(f"audit chain of {entries:,} entries on {database}")
            start_up, _ = _command(url)
            db = Database(url)
            try:
                hashed = _chain(db, entries)
                settled(db)
                started = time.perf_counter()
                result = audit.verify(db)
                in_process = time.perf_counter() - started
            finally:
                db.dispose()
            floors, commands = [], []
            for _ in range(ROUNDS):  # alternated, so both meet the same moments of noise
                floors.append(_hashlib_alone(hashed))
                elapsed, answer = _command(url)
                commands.append(elapsed)
            del hashed
        floor, command = min(floors), min(commands)
        if not (result.whole and answer["whole"] and answer["entries"] == entries):
            section.notes.append(f"{database}: verify did not find the chain whole: {answer}")
        ratio = command / floor
        section.add(Figure(f"{database} kapbot audit verify", command, "s",
                           f"÷ hashlib ≤ {TARGET:.0f}", ratio, ratio <= TARGET,
                           f"hashlib alone {floor:.2f} s; in-process verify "
                           f"{in_process:.2f} s (÷ hashlib {in_process / floor:.1f}); "
                           f"start-up {start_up:.2f} s"))
        section.details[database] = {"entries": entries, "hashlib_seconds": floor,
                                     "command_seconds": command,
                                     "hashlib_rounds": floors, "command_rounds": commands,
                                     "in_process_seconds": in_process,
                                     "start_up_seconds": start_up}
    if ctx.quick:
        section.notes.append(f"quick mode: {entries:,} entries on SQLite (the full run "
                             "verifies 1,000,000 on SQLite and PostgreSQL)")
    return section
