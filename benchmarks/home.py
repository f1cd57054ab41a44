"""5. App Home at scale: a clinician with 500 patients and 5,000 past sessions against one
with 5 patients and 50, everything else in proportion.

Each patient has ten past sessions (completed, summaries acknowledged, follow-ups done
but the last session's two), one session scheduled in the next fortnight, and an active
plan. The figure is the time to read the Home (HomeService.home_view) and build its
Block Kit view (blocks.home.home) — what the delivery worker does before views.publish —
for the pair's prescriber and therapist, median of many builds.
"""

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks import seed
from benchmarks.context import Context
from benchmarks.report import Figure, Section
from benchmarks.scratch import KINDS as DATABASES
from benchmarks.scratch import scratch_database
from kapbot.blocks.home import home
from kapbot.clock import ManualClock
from kapbot.policy import load_policy
from kapbot.services import Services
from kapbot.store import models as m
from kapbot.store.db import Database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAST = 10  # past sessions per patient
SIZES = {"small": 5, "large": 500}
VIEWERS = {"prescriber": seed.PRESCRIBER, "therapist": seed.THERAPIST}
MAX_BLOCKS = 100  # Slack's limit for a Home view


def _clinic(db: Database, patients: int) -> None:
    pair = seed.care_pair(db, NOW - timedelta(days=800))
    ids = seed.patients(db, pair, range(1, patients + 1), NOW - timedelta(days=400))
    plans = seed.plans(db, ids)
    sessions: list[dict[str, Any]] = []
    for p in ids:
        for k in range(PAST):
            at = NOW - timedelta(days=14 * (PAST - k))
            ended = at + timedelta(minutes=125)
            sessions.append({
                "patient_id": p, "state": "completed", "scheduled_at": at,
                "created_by": pair.therapist, "created_at": at - timedelta(days=7),
                "plan_id": plans[p], "dose_mg": 100, "route": "sublingual", "started_at": at,
                "started_by": pair.therapist, "ended_at": ended, "ended_by": pair.therapist,
                "administered_mg": 100, "summary_acknowledged_at": ended + timedelta(hours=3),
                "summary_acknowledged_by": pair.prescriber})
    past = seed.insert_rows(db, m.DosingSession, sessions, m.DosingSession.id)
    follow_ups = []
    for index, (session, row) in enumerate(zip(past, sessions, strict=True)):
        latest = index % PAST == PAST - 1
        for kind, days in (("integration_session", 1), ("check_in", 7)):
            due = row["ended_at"] + timedelta(days=days)
            follow_ups.append({
                "session_id": session, "patient_id": row["patient_id"], "kind": kind,
                "label": kind.replace("_", " ").capitalize(), "due_at": due,
                "window_ends_at": due + timedelta(days=3),
                "state": "open" if latest else "done",
                "completed_at": None if latest else due, "notes": "",
                "completed_by": None if latest else pair.therapist})
    seed.insert_rows(db, m.FollowUp, follow_ups)
    seed.insert_rows(db, m.DosingSession, [
        {"patient_id": p, "state": "scheduled", "created_by": pair.therapist,
         "scheduled_at": NOW + timedelta(days=i % 14, hours=1), "created_at": NOW}
        for i, p in enumerate(ids)])
    seed.analysed(db)


def _build(services: Services, viewer: str) -> int:
    return len(home(services.home_view(viewer), services.policy)["blocks"])


def _time(services: Services, viewer: str, repeats: int) -> tuple[float, int]:
    blocks = _build(services, viewer)  # warm the caches, as a running kapbot's are
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        _build(services, viewer)
        times.append(time.perf_counter() - started)
    return statistics.median(times), blocks


def run(ctx: Context) -> Section:
    section = Section("home", "5. App Home at scale")
    repeats = int(ctx.pick(10, 50))
    for database in ("sqlite",) if ctx.quick else DATABASES:
        found: dict[str, dict[str, tuple[float, int]]] = {}
        for size, patients in SIZES.items():
            ctx.say(f"App Home on {database}: {patients} patients")
            with scratch_database(database, f"home_{size}") as db:
                _clinic(db, patients)
                services = Services(db, load_policy(), ManualClock(NOW))
                found[size] = {who: _time(services, slack_id, repeats)
                               for who, slack_id in VIEWERS.items()}
        for who in VIEWERS:
            (small, _), (large, blocks) = found["small"][who], found["large"][who]
            ratio = large / small
            section.add(Figure(f"{database} {who} 500 patients", large * 1000, "ms",
                               "÷ 5 patients ≤ 2.0", ratio, ratio <= 2,
                               f"5 patients: {small * 1000:.1f} ms"))
            section.add(Figure(f"{database} {who} blocks", blocks, "", f"≤ {MAX_BLOCKS}",
                               met=blocks <= MAX_BLOCKS))
        section.details[database] = {size: {who: {"seconds": s, "blocks": b}
                                            for who, (s, b) in views.items()}
                                     for size, views in found.items()}
    if ctx.quick:
        section.notes.append("quick mode: SQLite only (the full run adds PostgreSQL)")
    section.notes.append(f"median of {repeats} builds after one warm-up; each patient has "
                         f"{PAST} past sessions and one scheduled")
    return section
