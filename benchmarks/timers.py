"""3. Timers at scale: a large table of pending tasks, a thousand of them due within one
minute, fired by two `kapbot run` replicas sharing one PostgreSQL database.

The due tasks are real: each is the 24-hour checklist reminder of a scheduled session,
so firing one reads the session's gate, writes its outbox row and is delivered to the
local Slack as a direct message. The rest are follow-up reminders a month away, there to
make the claim query find the due ones among many. Lag is the fired instant (`done_at`,
written by the replica that fired it) minus the due instant.
"""

import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import col, func, select

from benchmarks import seed
from benchmarks.context import Context
from benchmarks.live import kapbot_run, local_slack
from benchmarks.report import Figure, Section
from benchmarks.scratch import scratch_url
from kapbot.care.timeline import TimerKind
from kapbot.services import notify
from kapbot.store.db import Database
from kapbot.store.models import OutboxMessage, TimedTask

SESSIONS_PER_PATIENT = 5
LEAD = timedelta(seconds=5)  # the first task falls due this long after they are written


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _filler(db: Database, count: int, now: datetime) -> None:
    later = now + timedelta(days=30)
    for start in range(0, count, 20_000):
        seed.insert_rows(db, TimedTask, [
            {"key": f"follow_up:{n}:due", "kind": TimerKind.FOLLOW_UP_DUE.value,
             "payload": {"follow_up_id": n, "session_id": 0, "patient_id": 0},
             "due_at": later + timedelta(seconds=n), "state": "pending", "attempts": 0,
             "created_at": now} for n in range(start, min(count, start + 20_000))])


def _due(db: Database, sessions: list[tuple[int, int]], window: timedelta) -> None:
    first = datetime.now(UTC) + LEAD
    step = window / len(sessions)
    seed.insert_rows(db, TimedTask, [
        {"key": f"session:{s}:checklist:24h", "kind": TimerKind.CHECKLIST_REMINDER.value,
         "payload": {"session_id": s, "patient_id": p}, "due_at": first + i * step,
         "state": "pending", "attempts": 0, "created_at": first - LEAD}
        for i, (s, p) in enumerate(sessions)])


def _fired(db: Database) -> list[tuple[datetime, datetime, str]]:
    with db.reading() as tx:
        return list(tx.exec(select(TimedTask.due_at, TimedTask.done_at, TimedTask.claimed_by)
                            .where(TimedTask.kind == TimerKind.CHECKLIST_REMINDER.value,
                                   col(TimedTask.state) == "done")).all())


def _notices_per_task(db: Database) -> Counter[int]:
    with db.reading() as tx:
        return Counter(tx.exec(select(OutboxMessage.subject_id).where(
            OutboxMessage.kind == notify.NOTICE)).all())


def _pending(db: Database) -> int:
    with db.reading() as tx:
        return int(tx.exec(select(func.count()).select_from(TimedTask).where(
            col(TimedTask.state) == "pending")).one())


def run(ctx: Context) -> Section:
    section = Section("timers_at_scale", "3. Timers at scale")
    due = int(ctx.pick(200, 1_000))
    pending = int(ctx.pick(10_000, 100_000))
    window = timedelta(seconds=ctx.pick(10, 60))
    with scratch_url("postgresql", "timers") as url, local_slack() as slack:
        db = Database(url)
        now = datetime.now(UTC)
        pair = seed.care_pair(db, now)
        patients = seed.patients(db, pair, range(1, due // SESSIONS_PER_PATIENT + 1), now)
        at = now + timedelta(days=1, hours=1)
        sessions = [(s, p) for _ in range(SESSIONS_PER_PATIENT)
                    for s, p in zip(seed.scheduled(db, pair, patients, at, now), patients,
                                    strict=True)]
        ctx.say(f"timers: {pending - due:,} tasks a month away, then two replicas")
        _filler(db, pending - due, now)
        with kapbot_run(slack, url, ctx.folder) as first, \
                kapbot_run(slack, url, ctx.folder) as second:
            ctx.say(f"timers: {due:,} reminders falling due over {window.seconds} s")
            _due(db, sessions, window)
            deadline = time.monotonic() + (LEAD + window).total_seconds() + 30
            while len(_fired(db)) < due and time.monotonic() < deadline:
                time.sleep(0.5)
            rss = (first.rss_mib(), second.rss_mib())
        fired = _fired(db)
        lags = [(done - due_at).total_seconds() for due_at, done, _ in fired]
        notices = _notices_per_task(db)
        left = _pending(db)
        posted = Counter(str((m.metadata or {}).get("event_payload", {}).get("key"))
                         for c in slack.workspace.channels.values()
                         for m in slack.workspace.messages(c.id) if m.metadata)
        db.dispose()
    by_replica = Counter(worker for _, _, worker in fired)
    twice = [k for k, n in posted.items() if n > 1] + [t for t, n in notices.items() if n > 1]
    p50, p99 = (_percentile(lags, 0.5), _percentile(lags, 0.99)) if lags else (None, None)
    last = max(lags) if lags else None
    section.judge("fired", len(fired), "tasks", f"= {due:,}", len(fired) == due,
                  note=f"{pending:,} pending in all; {left:,} still pending after")
    section.judge("lag p50", p50, "s", "", None)
    section.judge("lag p99", p99, "s", "< 2 s", p99 is not None and p99 < 2)
    section.judge("lag of the last", last, "s", "< 5 s", last is not None and last < 5)
    section.add(Figure("fired twice", len(twice), "tasks", "= 0", None, not twice,
                       f"by replica: {dict(by_replica)}"))
    section.details = {"due": due, "pending": pending, "window_seconds": window.seconds,
                       "by_replica": dict(by_replica), "lag_p50": p50, "lag_p99": p99,
                       "lag_max": last, "lag_mean": statistics.fmean(lags) if lags else None,
                       "delivered_once": len(posted), "replica_rss_mib": rss}
    if ctx.quick:
        section.notes.append(f"quick mode: {pending:,} pending, {due:,} due over "
                             f"{window.seconds} s (the full run: 100,000 and 1,000 over 60 s)")
    section.notes.append("two `kapbot run` replicas on one PostgreSQL database, default "
                         "settings (timer poll 2 s, woken early for the next due task)")
    return section
