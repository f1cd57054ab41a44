"""Many hands on one session at once: the gate must hold when clicks really collide.

A busy clinic runs several kapbot replicas on PostgreSQL. Here ten threads — each its
own replica, with its own connections — press Start, re-sign the dose, redo the checklist,
reconfirm presence and post new plan versions for the same session at the same instant,
round after round. Afterwards the rows themselves must show that no session started twice
and none started on a voided sign-off, and the audit chain must hold one link per click.
"""

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from kapbot.clock import ManualClock
from kapbot.policy import Policy
from kapbot.services import Outcome, Services
from kapbot.store import audit
from kapbot.store import models as m
from kapbot.store.db import Database
from tests.clinic import ADMIN, ALL_ITEMS, PRESCRIBER, THERAPIST, Clinic, accepted, plan_form
from tests.conftest import DATABASES, START, _truncate_all

# About 16 service calls a round at ~15 ms of CPU each (the GIL serialises the threads):
# 100 rounds take ~25 s on an idle two-core machine.
# Set KAPBOT_TEST_RACE_ROUNDS for a longer soak.
ROUNDS = int(os.environ.get("KAPBOT_TEST_RACE_ROUNDS", "100"))
WORKERS = 10
DOSES = (100, 150)  # both within the plan and the first-session limit; they must match
ROUTES = ("sublingual", "buccal")
BARRIER_TIMEOUT = 60


class TickingClock(ManualClock):
    """One clock for every replica; each reading is a microsecond after the last.

    Every change reads the time while it holds the patient's lock, so the times on
    the rows follow the order in which the database let the actions happen.
    """

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return super().advance(timedelta(microseconds=1))

    def set(self, instant: datetime) -> None:
        with self._lock:
            super().set(instant)


@dataclass(frozen=True)
class Click:
    action: str
    session_id: int
    outcome: Outcome


@dataclass
class Ledger:
    """Every service call the test made, so the audit trail can be held to account."""

    clicks: list[Click] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, action: str, session_id: int, outcome: Outcome) -> Outcome:
        with self.lock:
            self.clicks.append(Click(action, session_id, outcome))
        return outcome


Action = Callable[[Services, random.Random, int, str], tuple[str, Outcome]]


def _start(actor: str) -> Action:
    def act(s: Services, _r: random.Random, session_id: int, _code: str) -> tuple[str, Outcome]:
        return "start_session", s.start_session(actor, session_id)
    return act


def _sign_off(s: Services, r: random.Random, session_id: int, _code: str) -> tuple[str, Outcome]:
    return "sign_off_dose", s.sign_off_dose(PRESCRIBER, session_id, r.choice(DOSES))


def _presence(s: Services, r: random.Random, session_id: int, _code: str) -> tuple[str, Outcome]:
    return "confirm_presence", s.confirm_presence(THERAPIST, session_id, True, r.choice(DOSES),
                                                  r.choice(ROUTES))


def _checklist(s: Services, _r: random.Random, session_id: int, _code: str
               ) -> tuple[str, Outcome]:
    return "complete_checklist", s.complete_checklist(THERAPIST, session_id, ALL_ITEMS, 120, 80,
                                                      72, 98)


def _new_plan(s: Services, r: random.Random, _session_id: int, code: str) -> tuple[str, Outcome]:
    form = plan_form(route=r.choice(ROUTES), maximum=r.choice((150, 300)))
    return "post_plan", s.post_plan(PRESCRIBER, code, form)


# Who is at the keyboard: four people pressing Start, the rest changing what it depends on.
ROLES: list[Action] = [_start(THERAPIST), _start(PRESCRIBER), _start(THERAPIST),
                       _start(PRESCRIBER), _sign_off, _sign_off, _presence, _presence,
                       _checklist, _new_plan]
assert len(ROLES) == WORKERS


def _replica(url: str, policy: Policy, clock: ManualClock) -> Services:
    return Services(Database(url), policy, clock, admins=frozenset({ADMIN}))


def _prepared_session(clinic: Clinic, ledger: Ledger, number: int) -> tuple[int, str]:
    """A new patient with a plan and a session prepared by both clinicians, ready to start."""
    services = clinic.services
    code = f"KAP-{1000 + number:04d}"
    ledger.record("add_patient", 0, accepted(services.add_patient(ADMIN, code, PRESCRIBER,
                                                                  THERAPIST)))
    ledger.record("post_plan", 0, accepted(services.post_plan(PRESCRIBER, code, plan_form())))
    scheduled = accepted(services.schedule_session(THERAPIST, code,
                                                   clinic.clock.now() + timedelta(hours=3)))
    assert scheduled.id is not None
    session_id = scheduled.id
    ledger.record("schedule_session", session_id, scheduled)
    clinic.at_scheduled_time(session_id)
    ledger.record("complete_checklist", session_id, accepted(clinic.checklist(session_id)))
    ledger.record("sign_off_dose", session_id, accepted(clinic.sign_off(session_id, 100)))
    ledger.record("confirm_presence", session_id, accepted(clinic.presence(session_id, 100)))
    return session_id, code


def _race(url: str, policy: Policy, clock: ManualClock, clinic: Clinic, ledger: Ledger,
          rounds: int) -> list[int]:
    """Run `rounds` rounds; each prepares a session, then every worker acts on it at once."""
    go = threading.Barrier(WORKERS + 1, timeout=BARRIER_TIMEOUT)
    done = threading.Barrier(WORKERS + 1, timeout=BARRIER_TIMEOUT)
    current: list[tuple[int, str]] = []
    failures: list[BaseException] = []

    def worker(index: int) -> None:
        services = _replica(url, policy, clock)
        rng = random.Random(index)
        try:
            for round_ in range(rounds):
                go.wait()
                session_id, code = current[round_]
                if rng.random() < 0.5:
                    time.sleep(rng.uniform(0, 0.002))
                action, outcome = ROLES[index](services, rng, session_id, code)
                ledger.record(action, session_id, outcome)
                done.wait()
        except BaseException as exc:
            failures.append(exc)
            go.abort()
            done.abort()
        finally:
            services.db.dispose()

    threads = [threading.Thread(target=worker, args=(i,), name=f"replica-{i}", daemon=True)
               for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(rounds):
            current.append(_prepared_session(clinic, ledger, round_ + 1))
            go.wait()
            done.wait()
    except threading.BrokenBarrierError:
        pass  # a worker failed: its exception is raised below
    except BaseException:
        go.abort()
        done.abort()
        raise
    for thread in threads:
        thread.join(BARRIER_TIMEOUT)
    if failures:
        raise failures[0]
    return [session_id for session_id, _ in current]


def _latest_before(rows: list[Any], instant: datetime) -> Any:
    earlier = [r for r in rows if r.at < instant]
    assert earlier, "a session started without the row the gate requires"
    return max(earlier, key=lambda r: (r.at, r.id))


def _check_the_start(tx: Session, session: m.DosingSession, patient: m.Patient) -> int:
    """The rows as they stood at `started_at` satisfied every part of the two-person gate.

    Returns how many sign-offs the session had before it started.
    """
    started = session.started_at
    assert started is not None
    assert session.state == "in_progress"
    assert session.started_by in (patient.prescriber_id, patient.therapist_id)

    plans = tx.exec(select(m.DosePlan).where(m.DosePlan.patient_id == patient.id)).all()
    active = [p for p in plans if p.created_at <= started
              and (p.superseded_at is None or p.superseded_at > started)]
    assert len(active) == 1, f"session {session.id}: {len(active)} plans active at the start"
    plan = active[0]
    assert session.plan_id == plan.id, f"session {session.id} started under a superseded plan"
    assert session.route == plan.route

    def of_session(table: Any) -> list[Any]:
        return list(tx.exec(select(table).where(table.session_id == session.id)))

    checklists = [c for c in of_session(m.ChecklistResponse) if c.kind == "pre_session"]
    checklist = _latest_before(checklists, started)
    sign_off = _latest_before(of_session(m.DoseSignOff), started)
    presence = _latest_before(of_session(m.PresenceConfirmation), started)

    where = f"session {session.id} started at {started.isoformat()}"
    assert sign_off.plan_id == plan.id, f"{where} on a sign-off voided by plan v{plan.version}"
    assert sign_off.checklist_id == checklist.id, f"{where} on a sign-off voided by a checklist"
    assert sign_off.at >= checklist.at, f"{where} on a sign-off older than the checklist"
    assert sign_off.by_id == patient.prescriber_id
    assert checklist.by_id == patient.therapist_id
    assert set(checklist.affirmed) == set(ALL_ITEMS)
    assert session.dose_mg == sign_off.dose_mg <= plan.max_dose_mg
    assert presence.by_id == patient.therapist_id and presence.in_room
    assert presence.dose_mg == sign_off.dose_mg, f"{where}: tablets do not match the sign-off"
    assert presence.route == plan.route, f"{where}: route does not match the plan"
    for row in (*of_session(m.DoseSignOff), *of_session(m.PresenceConfirmation), *checklists):
        assert row.at < started, f"{where}: preparation recorded after the start"
    return len(of_session(m.DoseSignOff))


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", [d for d in DATABASES if d == "postgresql"])
def test_ten_replicas_racing_on_one_session_never_start_it_wrongly(
        backend: str, postgres_url: str, policy: Policy) -> None:
    database = Database(postgres_url)
    _truncate_all(database)
    clock = TickingClock(START)
    ledger = Ledger()
    services = Services(database, policy, clock, admins=frozenset({ADMIN}))
    clinic = Clinic.open(services, clock)
    for action in ("add_clinician", "add_clinician", "add_clinician", "add_patient"):
        ledger.record(action, 0, Outcome())
    try:
        session_ids = _race(postgres_url, policy, clock, clinic, ledger, ROUNDS)

        starts = Counter(c.session_id for c in ledger.clicks
                         if c.action == "start_session" and c.outcome.ok)
        assert max(starts.values(), default=0) <= 1, "a session was started twice"
        with database.reading() as tx:
            sessions = {s.id: s for s in tx.exec(select(m.DosingSession))}
            assert set(sessions) == set(session_ids)
            signed_before_start: dict[int, int] = {}
            for session_id in session_ids:
                session = sessions[session_id]
                if starts[session_id]:
                    patient = tx.get(m.Patient, session.patient_id)
                    assert patient is not None
                    signed_before_start[session_id] = _check_the_start(tx, session, patient)
                else:
                    assert (session.state, session.started_at) == ("scheduled", None)
            accepted_starts = Counter(
                e.subject for e in tx.exec(select(m.AuditEntry).where(
                    m.AuditEntry.action == "start_session", m.AuditEntry.outcome == "accepted")))
            trail = Counter((e.action, e.outcome) for e in tx.exec(select(m.AuditEntry)))
        assert accepted_starts == Counter(f"session:{s}" for s in starts)

        for click in ledger.clicks:
            if click.action == "start_session" and click.outcome.refused:
                assert click.outcome.reasons, "a refused start gave no reason"
        # Both outcomes must really have happened, or the race proved nothing.
        assert 0 < len(starts) < len(session_ids), dict(started=len(starts))
        # The race really exercised the gate: starts refused on voided sign-offs, and starts
        # accepted only after the prescriber signed off again during the race.
        told = Counter(r for c in ledger.clicks if c.action == "start_session"
                       for r in c.outcome.reasons)
        assert any("voided" in reason for reason in told), told
        assert any(n > 1 for n in signed_before_start.values()), "no start followed a re-sign-off"

        verified = audit.verify(database)
        assert verified.whole, verified.problem
        assert verified.entries == len(ledger.clicks)
        assert trail == Counter((c.action, "refused" if c.outcome.refused else "accepted")
                                for c in ledger.clicks)
    finally:
        database.dispose()


# --- the simple race, on both databases ----------------------------------------------------------


def test_many_clicks_on_start_at_once_start_the_session_once(clinic: Clinic, db: Database,
                                                             policy: Policy) -> None:
    clinic.post_plan()
    session_id = clinic.schedule()
    clinic.prepare(session_id)
    url = db.url.render_as_string(hide_password=False)
    replicas = [_replica(url, policy, clinic.clock) for _ in range(WORKERS)]
    everyone_ready = threading.Barrier(WORKERS, timeout=BARRIER_TIMEOUT)
    outcomes: list[Outcome] = []
    failures: list[BaseException] = []

    def click(services: Services, actor: str) -> None:
        try:
            everyone_ready.wait()
            outcomes.append(services.start_session(actor, session_id))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=click, args=(r, (THERAPIST, PRESCRIBER)[i % 2]))
               for i, r in enumerate(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_TIMEOUT)
    for replica in replicas:
        replica.db.dispose()
    if failures:
        raise failures[0]

    assert len(outcomes) == WORKERS
    assert sum(o.ok for o in outcomes) == 1
    for refused in (o for o in outcomes if o.refused):
        told = " ".join(refused.reasons)
        assert "already started" in told or "in progress, not scheduled" in told, told
    with db.reading() as tx:
        session = tx.get(m.DosingSession, session_id)
        starts = tx.exec(select(m.AuditEntry).where(
            col(m.AuditEntry.action) == "start_session")).all()
    assert session is not None and session.state == "in_progress"
    assert len(starts) == WORKERS
    assert [e.outcome for e in starts].count("accepted") == 1
    found = audit.verify(db)
    assert found.whole, found.problem
    assert found.entries == 4 + 5 + WORKERS  # roster, plan and preparation, every click
