"""The whole schedule of a session, on an injected clock, across a daylight-saving change.

The clinic is in New York; clocks fall back at 06:00 UTC on Sunday 1 November 2026. The
session is at 10:00 that Sunday (15:00 UTC), so its 24-hour reminder is 24 real hours
earlier, at 11:00 on Saturday by the wall clock. Every timer is checked one second
before its instant (nothing yet) and at it (exactly once).
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from kapbot.blocks.notices import notice
from kapbot.care.timeline import TimerKind
from kapbot.clock import ManualClock
from kapbot.policy import Policy, load_policy
from kapbot.scheduler import Timer
from kapbot.services import Services, notify
from kapbot.store import models as m
from kapbot.store import tasks
from kapbot.store.db import Database
from tests.clinic import ADMIN, DISCHARGE, PRESCRIBER, THERAPIST, Clinic, accepted, rows

SESSION = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York, after the change
BOOKED = datetime(2026, 10, 29, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
ON_CALL = "#kap-on-call"


@pytest.fixture
def policy() -> Policy:
    return load_policy().model_copy(update={"timezone": "America/New_York"})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(BOOKED)


@pytest.fixture
def timer(services: Services) -> Timer:
    return Timer(services, "test-timer")


def told(services: Services, kind: TimerKind | None = None) -> list[tuple[str, str, datetime]]:
    """(timer kind, to whom, when) of every message a timer queued, oldest first."""
    with services.db.reading() as tx:
        found = tx.exec(select(m.TimedTask.kind, m.OutboxMessage.channel,
                               m.OutboxMessage.created_at)
                        .join(m.TimedTask, col(m.TimedTask.id) == m.OutboxMessage.subject_id)
                        .where(m.OutboxMessage.kind == notify.NOTICE)
                        .order_by(col(m.OutboxMessage.id))).all()
    return [(k, c, at) for k, c, at in found if kind is None or k == kind]


def escalations(services: Services) -> list[tuple[str, datetime]]:
    with services.db.reading() as tx:
        return [(c, at) for c, at in tx.exec(
            select(m.OutboxMessage.channel, m.OutboxMessage.created_at)
            .where(m.OutboxMessage.kind == notify.ESCALATION,
                   col(m.OutboxMessage.edits).is_(None))
            .order_by(col(m.OutboxMessage.id))).all()]


def fires_at(timer: Timer, clock: ManualClock, instant: datetime, services: Services,
             kind: TimerKind, *to: str) -> None:
    """Nothing of this kind a second early; at the instant, one message to each of `to`."""
    before = told(services, kind)
    clock.set(instant - SECOND)
    timer.run_once()
    assert told(services, kind) == before, f"{kind} fired early"
    clock.set(instant)
    timer.run_once()
    timer.run_once()  # a second round changes nothing
    new = told(services, kind)[len(before):]
    assert sorted(c for _, c, _ in new) == sorted(to), (kind, new)
    assert all(at == instant for _, _, at in new)


def book(clinic: Clinic, clock: ManualClock) -> int:
    clinic.post_plan()
    return clinic.schedule(in_=SESSION - clock.now())


def under_way(clinic: Clinic, clock: ManualClock) -> tuple[int, datetime]:
    """A booked session, prepared by both and started: (its id, when it started)."""
    session_id = book(clinic, clock)
    clinic.prepare(session_id)
    accepted(clinic.start(session_id))
    return session_id, clock.now()


def test_reminders_before_the_session_fire_24_h_and_2_h_before_across_the_clock_change(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer,
        policy: Policy) -> None:
    session_id = book(clinic, clock)
    fires_at(timer, clock, SESSION - timedelta(hours=24), services,
             TimerKind.CHECKLIST_REMINDER, f"@{THERAPIST}")
    first = told(services, TimerKind.CHECKLIST_REMINDER)[0]
    assert first[2].astimezone(policy.tz).strftime("%a %H:%M %Z") == "Sat 11:00 EDT"
    fires_at(timer, clock, SESSION - timedelta(hours=2), services,
             TimerKind.CHECKLIST_REMINDER, f"@{THERAPIST}")
    assert [c for _, c, _ in told(services, TimerKind.SIGN_OFF_REMINDER)] == [f"@{PRESCRIBER}"]
    view = services.notice_view(_task_id(services, TimerKind.CHECKLIST_REMINDER))
    assert view is not None
    shown = notice(view, policy)
    assert "2026-11-01 10:00" in shown["text"]  # the wall-clock time the clinic reads
    buttons = [e["text"]["text"] for b in shown["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert buttons == ["Pre-session checklist"]
    assert session_id


def _task_id(services: Services, kind: TimerKind) -> int:
    with services.db.reading() as tx:
        found = tx.exec(select(m.TimedTask.id).where(m.TimedTask.kind == kind.value)
                        .order_by(col(m.TimedTask.id))).first()
    assert found is not None
    return found


def test_no_reminder_for_a_step_already_done(services: Services, clinic: Clinic,
                                             clock: ManualClock, timer: Timer) -> None:
    session_id = book(clinic, clock)
    clock.set(SESSION - timedelta(hours=24))
    timer.run_once()
    clock.set(SESSION - timedelta(minutes=100))
    accepted(clinic.checklist(session_id))
    accepted(clinic.sign_off(session_id))
    clock.set(SESSION - timedelta(hours=1))
    timer.run_once()
    assert told(services, TimerKind.CHECKLIST_REMINDER) == [
        (TimerKind.CHECKLIST_REMINDER, f"@{THERAPIST}", SESSION - timedelta(hours=24))]
    assert told(services, TimerKind.SIGN_OFF_REMINDER) == []


def test_a_session_not_started_an_hour_late_is_overdue_for_both_and_on_the_card(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer,
        policy: Policy) -> None:
    session_id = book(clinic, clock)
    fires_at(timer, clock, SESSION + timedelta(minutes=60), services,
             TimerKind.SESSION_OVERDUE, f"@{PRESCRIBER}", f"@{THERAPIST}")
    from kapbot.blocks.session_card import session_card
    view = services.session_view(session_id)
    assert view is not None
    assert "overdue" in session_card(view, policy)["text"]


def test_check_ins_are_prompted_every_20_min_and_a_missed_one_escalates_until_acknowledged(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer) -> None:
    session_id, started = under_way(clinic, clock)
    fires_at(timer, clock, started + timedelta(minutes=20), services,
             TimerKind.CHECK_IN_PROMPT, f"@{THERAPIST}")
    clock.set(started + timedelta(minutes=21))
    accepted(services.check_in(THERAPIST, session_id))
    clock.set(started + timedelta(minutes=25))
    timer.run_once()
    assert escalations(services) == []  # the first check-in was answered in time
    fires_at(timer, clock, started + timedelta(minutes=40), services,
             TimerKind.CHECK_IN_PROMPT, f"@{THERAPIST}")
    clock.set(started + timedelta(minutes=45) - SECOND)
    timer.run_once()
    assert escalations(services) == []
    clock.set(started + timedelta(minutes=45))
    timer.run_once()
    missed = started + timedelta(minutes=45)
    assert sorted(escalations(services)) == [(ON_CALL, missed), (f"@{PRESCRIBER}", missed)]
    clock.set(started + timedelta(minutes=50))
    timer.run_once()
    assert len(escalations(services)) == 4  # repeated to both, 5 min later
    clock.set(started + timedelta(minutes=52))
    escalation = rows(services, m.Escalation)[0]
    accepted(services.acknowledge_escalation(PRESCRIBER, escalation.id))
    clock.set(started + timedelta(minutes=59))
    timer.run_once()
    assert len(escalations(services)) == 4  # acknowledged: no more repeats
    assert services.acknowledge_escalation(PRESCRIBER, escalation.id).reasons == (
        "This escalation was already acknowledged.",)


def test_vitals_are_reminded_at_40_min_and_the_minimum_monitoring_is_announced(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer) -> None:
    _, started = under_way(clinic, clock)
    fires_at(timer, clock, started + timedelta(minutes=40), services,
             TimerKind.VITALS_REMINDER, f"@{THERAPIST}")
    with services.db.reading() as tx:
        patient = tx.exec(select(m.Patient)).one()
    fires_at(timer, clock, started + timedelta(minutes=120), services,
             TimerKind.MONITORING_REACHED, f"pair:{patient.id}")


def test_ending_the_session_stops_the_prompts_and_chases_the_summary(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer) -> None:
    session_id, started = under_way(clinic, clock)
    clock.set(started + timedelta(minutes=121))
    accepted(services.end_session(THERAPIST, session_id, DISCHARGE))
    ended = clock.now()
    prompts = len(told(services, TimerKind.CHECK_IN_PROMPT))
    fires_at(timer, clock, ended + timedelta(hours=24), services,
             TimerKind.SUMMARY_REMINDER, f"@{PRESCRIBER}")
    assert len(told(services, TimerKind.CHECK_IN_PROMPT)) == prompts
    clock.set(ended + timedelta(days=7) - SECOND)
    timer.run_once()
    assert not services.home_view(PRESCRIBER).summaries.items[0].overdue
    clock.set(ended + timedelta(days=7))
    timer.run_once()
    assert services.home_view(PRESCRIBER).summaries.items[0].overdue
    homes = [r for r in rows(services, m.OutboxMessage)
             if r.kind == notify.HOME and r.channel == f"@{PRESCRIBER}"
             and r.created_at == ended + timedelta(days=7)]
    assert len(homes) == 1  # the Home is re-published with the overdue mark


def test_follow_ups_are_reminded_when_due_and_a_missed_one_is_escalated(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer) -> None:
    clinic.post_plan()
    session_id = clinic.run_session()
    ended = clock.now()
    fires_at(timer, clock, ended + timedelta(days=1), services,
             TimerKind.FOLLOW_UP_DUE, f"@{THERAPIST}")
    integration = next(f for f in rows(services, m.FollowUp) if f.kind == "integration_session")
    accepted(services.complete_follow_up(THERAPIST, integration.id, 9, 7, "Doing well."))
    fires_at(timer, clock, ended + timedelta(days=7), services,
             TimerKind.FOLLOW_UP_DUE, f"@{THERAPIST}")
    fires_at(timer, clock, ended + timedelta(days=10), services,
             TimerKind.FOLLOW_UP_MISSED, f"@{PRESCRIBER}")
    states = {f.kind: f.state for f in rows(services, m.FollowUp)}
    assert states == {"integration_session": "done", "check_in": "missed"}
    assert services.session_view(session_id) is not None


def test_cancelling_a_session_withdraws_its_reminders(services: Services, clinic: Clinic,
                                                      clock: ManualClock, timer: Timer) -> None:
    session_id = book(clinic, clock)
    accepted(services.cancel_session(THERAPIST, session_id, "Patient unwell."))
    states = {t.state for t in rows(services, m.TimedTask)}
    assert states == {"cancelled"}
    clock.set(SESSION + timedelta(hours=2))
    assert timer.run_once() == 0
    assert told(services) == []


def test_a_new_plan_moves_the_prescribers_reminder_to_the_new_version(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer) -> None:
    book(clinic, clock)
    clinic.post_plan(dose=125)
    pending = sorted(t.key for t in rows(services, m.TimedTask)
                     if t.kind == TimerKind.SIGN_OFF_REMINDER and t.state == "pending")
    assert [k.rsplit(":", 1)[1] for k in pending] == ["v2"]
    fires_at(timer, clock, SESSION - timedelta(hours=2), services,
             TimerKind.SIGN_OFF_REMINDER, f"@{PRESCRIBER}")


def test_a_reminder_that_fell_due_while_kapbot_was_down_is_sent_once_marked_late(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer,
        policy: Policy) -> None:
    book(clinic, clock)
    clock.set(SESSION - timedelta(hours=20))  # kapbot was down at the 24-hour mark
    timer.run_once()
    view = services.notice_view(_task_id(services, TimerKind.CHECKLIST_REMINDER))
    assert view is not None and view.late
    context = [b for b in notice(view, policy)["blocks"] if b["type"] == "context"]
    assert "Late: this was due at 2026-10-31 11:00" in context[0]["elements"][0]["text"]


def test_two_timers_racing_for_one_task_fire_it_once(db: Database, policy: Policy,
                                                       clock: ManualClock) -> None:
    services = Services(db, policy, clock, admins=frozenset({ADMIN}))
    clinic = Clinic.open(services, clock)
    book(clinic, clock)
    clock.set(SESSION - timedelta(hours=24))
    first, second = Timer(services, "replica-a"), Timer(services, "replica-b")
    assert first.run_once() + second.run_once() == 1
    assert len(told(services, TimerKind.CHECKLIST_REMINDER)) == 1


def test_a_task_held_by_a_timer_that_died_is_fired_by_another_once_its_lease_ends(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer) -> None:
    book(clinic, clock)
    clock.set(SESSION - timedelta(hours=24))
    held = tasks.claim(services.db, clock.now(), "died-mid-claim", timedelta(seconds=60))
    assert [t.kind for t in held] == [TimerKind.CHECKLIST_REMINDER]
    assert timer.run_once() == 0  # still leased to the dead one
    clock.advance(timedelta(seconds=61))
    assert timer.run_once() == 1
    assert services.fire(held[0], "died-mid-claim") is False  # it wakes up: too late
    assert len(told(services, TimerKind.CHECKLIST_REMINDER)) == 1


def test_aborting_a_session_stops_its_prompts_and_chases_its_summary(
        services: Services, clinic: Clinic, clock: ManualClock, timer: Timer) -> None:
    session_id, started = under_way(clinic, clock)
    clock.set(started + timedelta(minutes=10))
    accepted(services.abort_session(THERAPIST, session_id, "Patient asked to stop."))
    clock.set(started + timedelta(hours=3))
    timer.run_once()
    assert told(services, TimerKind.CHECK_IN_PROMPT) == []
    assert escalations(services) == []
    fires_at(timer, clock, started + timedelta(minutes=10, hours=24), services,
             TimerKind.SUMMARY_REMINDER, f"@{PRESCRIBER}")
