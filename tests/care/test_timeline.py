"""When kapbot speaks up, as pure arithmetic: 24 hours before is 24 real hours before."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kapbot.care import timeline
from kapbot.care.timeline import TimerKind
from kapbot.policy import load_policy

POLICY = load_policy()
NEW_YORK = ZoneInfo("America/New_York")


def test_a_reminder_a_day_before_a_session_after_the_clock_change_is_24_real_hours_before() -> None:
    session = datetime(2026, 11, 1, 10, 0, tzinfo=NEW_YORK)  # EST, the day clocks fall back
    timers = timeline.before_start(session, 1, datetime(2026, 10, 1, tzinfo=UTC), POLICY)
    day_before = next(t for t in timers if t.name == "checklist:24h")
    assert day_before.due_at == datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    assert session - day_before.due_at == timedelta(hours=24)
    assert day_before.due_at.astimezone(NEW_YORK).hour == 11  # 11:00 EDT by the wall clock


def test_reminders_already_gone_when_a_session_is_booked_are_not_planned() -> None:
    session = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    booked = session - timedelta(hours=3)
    kinds = [t.name for t in timeline.before_start(session, 1, booked, POLICY)]
    assert kinds == ["checklist:2h", "sign_off:2h:v1", "opens", "overdue"]


def test_check_ins_after_an_outage_skip_the_prompts_already_gone() -> None:
    started = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    every = POLICY.check_in_interval
    assert timeline.next_number(started, every, 1, started + timedelta(minutes=21)) == 2
    assert timeline.next_number(started, every, 1, started + timedelta(minutes=75)) == 4
    assert timeline.check_in_deadline(started, 2, POLICY).due_at == started + timedelta(
        minutes=45)


def test_follow_up_timers_fall_at_its_due_time_and_the_end_of_its_window() -> None:
    due = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    timers = timeline.follow_up(due, due + timedelta(days=3))
    assert [(t.kind, t.due_at) for t in timers] == [
        (TimerKind.FOLLOW_UP_DUE, due), (TimerKind.FOLLOW_UP_MISSED, due + timedelta(days=3))]


def test_a_late_timer_is_one_that_fired_more_than_a_minute_after_its_time() -> None:
    due = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert not timeline.is_late(due, due + timedelta(seconds=59))
    assert timeline.is_late(due, due + timedelta(seconds=61))
