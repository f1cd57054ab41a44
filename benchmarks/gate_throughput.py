"""2. Gate throughput: whole session pathways through the services, beside raw commits.

A pathway is the five audited transactions of one session — pre-session checklist, dose
sign-off, presence, start, end — each through the gate and the audit chain, as the
Slack handlers call them. Workers are threads sharing one Database, as `kapbot run`'s
8 waitress threads share one; each works on its own patients, with its own clock.
Beside it, the same database's raw commit rate (one one-row INSERT a transaction,
through the same engine, pragmas and BEGIN IMMEDIATE) says what the disk and the
driver allow, so the ratio is kapbot's own cost.

Failures must never reach a user: any exception out of a service, and any refusal
(none is expected on these correct pathways), counts as leaked. Deadlocks and
serialization failures retried inside the services are counted too, to show they
happened and stayed invisible.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text

from benchmarks import seed
from benchmarks.context import Context
from benchmarks.report import Figure, Section
from benchmarks.scratch import KINDS as DATABASES
from benchmarks.scratch import scratch_database
from kapbot.clock import ManualClock
from kapbot.policy import load_policy
from kapbot.services import Outcome, Services
from kapbot.store import audit
from kapbot.store.db import Database, is_retryable

WORKERS = (1, 8)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ITEMS = ("consent", "fasting", "no_substances", "transport", "emergency_contact")
DISCHARGE = ("alert_oriented", "vitals_within_limits", "escort_present")
STEPS = 5


@dataclass
class Tally:
    """What the workers did, shared between them."""

    pathways: int = 0
    leaked: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _pathway(services: Services, clock: ManualClock, session: int) -> list[str]:
    """One session from checklist to end; what went wrong, in the words a user would see."""
    clock.set(T0 - timedelta(minutes=10))
    steps: list[Callable[[], Outcome]] = [
        lambda: services.complete_checklist(seed.THERAPIST, session, ITEMS, 120, 80, 72, 98),
        lambda: services.sign_off_dose(seed.PRESCRIBER, session, 100),
        lambda: services.confirm_presence(seed.THERAPIST, session, True, 100, "sublingual"),
        lambda: services.start_session(seed.THERAPIST, session)]
    problems: list[str] = []
    for step in steps:
        problems += _leaks(step)
    clock.advance(timedelta(minutes=125))
    problems += _leaks(lambda: services.end_session(seed.THERAPIST, session, DISCHARGE))
    return problems


def _leaks(step: Callable[[], Outcome]) -> list[str]:
    try:
        outcome = step()
    except Exception as exc:  # exactly what would reach the person as an error
        return [f"{type(exc).__name__}: {exc}"[:200]]
    return list(outcome.reasons)


def _count_retries(db: Database) -> list[int]:
    """A counter of retryable errors (deadlocks, serialization failures, busy SQLite)."""
    seen = [0]

    def counted(context: Any) -> None:
        if is_retryable(context.sqlalchemy_exception):
            seen[0] += 1

    event.listen(db.engine, "handle_error", counted)
    return seen


def _run_pathways(db: Database, sessions: list[int], workers: int, seconds: float) -> Tally:
    tally, queue, policy = Tally(), iter(sessions), load_policy()
    queue_lock, stop_at = threading.Lock(), time.monotonic() + seconds

    def work() -> None:
        clock = ManualClock(T0)
        services = Services(db, policy, clock)
        while time.monotonic() < stop_at:
            with queue_lock:
                session = next(queue, None)
            if session is None:
                return
            problems = _pathway(services, clock, session)
            with tally.lock:
                tally.pathways += 1
                tally.leaked += problems

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def _commit_rate(db: Database, workers: int, seconds: float) -> float:
    """One-row write transactions per second through kapbot's own transaction()."""
    done, lock, stop_at = [0], threading.Lock(), time.monotonic() + seconds

    def work() -> None:
        count = 0
        while time.monotonic() < stop_at:
            with db.transaction() as tx:
                tx.execute(text("INSERT INTO bench_commit (v) VALUES (:v)"), {"v": "x" * 64})
            count += 1
        with lock:
            done[0] += count

    started = time.monotonic()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.monotonic() - started)


def _measure(ctx: Context, database: str, seconds: float, section: Section) -> None:
    with scratch_database(database, "gate") as db:
        key = "INTEGER PRIMARY KEY" if db.is_sqlite else "SERIAL PRIMARY KEY"
        with db.transaction() as tx:
            tx.execute(text(f"CREATE TABLE bench_commit (id {key}, v TEXT)"))
        pair = seed.care_pair(db, T0 - timedelta(days=500))
        room = int(ctx.pick(300, 1500))  # more than the workers can finish in time
        patients = seed.patients(db, pair, range(1, 2 * room + 1), T0 - timedelta(days=30))
        sessions = seed.scheduled(db, pair, patients, T0, T0 - timedelta(days=1))
        retries = _count_retries(db)
        for workers in WORKERS:
            ctx.say(f"gate on {database}, {workers} worker(s)")
            commits = _commit_rate(db, workers, seconds)
            started, before = time.monotonic(), retries[0]
            mine, sessions = sessions[:room], sessions[room:]
            tally = _run_pathways(db, mine, workers, seconds)
            rate = tally.pathways / (time.monotonic() - started)
            efficiency = rate * STEPS / commits
            name = f"{database} {workers} worker{'s' if workers > 1 else ''}"
            section.add(Figure(f"{name} pathways", rate, "/s", note=(
                f"{rate * STEPS:,.0f} audited transactions/s; raw commits {commits:,.0f}/s")))
            section.add(Figure(f"{name} vs raw commits", rate * STEPS, "tx/s",
                               "context (÷ raw commit rate)", efficiency))
            section.add(Figure(f"{name} errors leaked to users", len(tally.leaked), "",
                               "= 0", met=not tally.leaked,
                               note=f"{retries[0] - before} retried transactions, unseen"))
            section.details[f"{database}_{workers}"] = {
                "pathways": tally.pathways, "pathways_per_second": rate,
                "raw_commits_per_second": commits, "retried": retries[0] - before,
                "leaked": tally.leaked[:20], "ran_out_of_sessions": tally.pathways >= room}
        chain = audit.verify(db)
        section.details[f"{database}_audit_chain"] = {"entries": chain.entries,
                                                      "whole": chain.whole}
        if not chain.whole:
            section.notes.append(f"{database}: the audit chain is broken: {chain.problem}")


def run(ctx: Context) -> Section:
    section = Section("gate_throughput", "2. Gate throughput")
    seconds = ctx.pick(1.5, 10)
    for database in DATABASES:
        _measure(ctx, database, seconds, section)
    section.notes.append(f"{seconds:g} s per measurement; a pathway is {STEPS} audited "
                         "transactions; workers are threads sharing one engine, as in "
                         "`kapbot run`")
    return section
