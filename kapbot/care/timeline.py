"""When kapbot speaks up, as pure arithmetic on instants.

Every instant is computed in UTC from the one it hangs on (the scheduled time, the
start, the end, a follow-up's due time), never from the moment a timer happened to
run, so a late or repeated run cannot shift the schedule and a daylight-saving change
in the clinic's timezone neither skips nor doubles a reminder.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from kapbot.policy import Policy

LATE_AFTER = timedelta(minutes=1)  # fired this long after its time: kapbot was not running


class TimerKind(StrEnum):
    CHECKLIST_REMINDER = "checklist_reminder"
    SIGN_OFF_REMINDER = "sign_off_reminder"
    START_OPENS = "start_opens"
    SESSION_OVERDUE = "session_overdue"
    CHECK_IN_PROMPT = "check_in_prompt"
    CHECK_IN_MISSED = "check_in_missed"
    ESCALATION_REPEAT = "escalation_repeat"
    VITALS_REMINDER = "vitals_reminder"
    MONITORING_REACHED = "monitoring_reached"
    SUMMARY_REMINDER = "summary_reminder"
    SUMMARY_OVERDUE = "summary_overdue"
    FOLLOW_UP_DUE = "follow_up_due"
    FOLLOW_UP_MISSED = "follow_up_missed"


@dataclass(frozen=True)
class Timer:
    """One thing to do at one instant; `name` is unique within its subject."""

    name: str
    kind: TimerKind
    due_at: datetime


def _utc(instant: datetime) -> datetime:
    """Arithmetic on an aware datetime in a zone with daylight saving is wall-clock
    arithmetic (10:00 EST minus 24 h is 10:00 EDT, 25 real hours earlier), so every
    anchor is turned into UTC before anything is added to it."""
    return instant.astimezone(UTC)


def _future(timers: list[Timer], now: datetime) -> tuple[Timer, ...]:
    return tuple(t for t in timers if t.due_at > now)


def before_start(scheduled_at: datetime, plan_version: int | None, now: datetime,
                 policy: Policy) -> tuple[Timer, ...]:
    """A scheduled session's reminders. Ones whose time has already gone when the session
    is booked are not sent: a 24 h reminder for a session booked 3 h ahead says nothing.
    The prescriber's reminder is tied to the plan version their sign-off must match."""
    r = policy.reminders
    scheduled_at = _utc(scheduled_at)
    timers = [Timer(f"checklist:{h}h", TimerKind.CHECKLIST_REMINDER,
                    scheduled_at - timedelta(hours=h)) for h in r.checklist_hours_before]
    timers += [Timer(f"sign_off:{h}h:v{plan_version or 0}", TimerKind.SIGN_OFF_REMINDER,
                     scheduled_at - timedelta(hours=h)) for h in r.sign_off_hours_before]
    timers.append(Timer("opens", TimerKind.START_OPENS, scheduled_at - policy.earliest_start))
    timers.append(Timer("overdue", TimerKind.SESSION_OVERDUE,
                        scheduled_at + timedelta(minutes=r.overdue_minutes)))
    return _future(timers, now)


def check_in_due(started_at: datetime, number: int, policy: Policy) -> datetime:
    """When the `number`th presence check-in (1 = the first) falls due."""
    return _utc(started_at) + number * policy.check_in_interval


def check_in_prompt(started_at: datetime, number: int, policy: Policy) -> Timer:
    return Timer(f"check_in:{number}", TimerKind.CHECK_IN_PROMPT,
                 check_in_due(started_at, number, policy))


def check_in_deadline(started_at: datetime, number: int, policy: Policy) -> Timer:
    return Timer(f"check_in_missed:{number}", TimerKind.CHECK_IN_MISSED,
                 check_in_due(started_at, number, policy) + policy.check_in_grace)


def next_number(origin: datetime, every: timedelta, number: int, now: datetime) -> int:
    """The repeat after `number` of something due every `every` from `origin`. After an
    outage the ones already gone are skipped: one late prompt is useful, a burst of stale
    ones is noise."""
    passed = int((_utc(now) - _utc(origin)) / every)
    return max(number + 1, passed + 1)


def answers_check_in(checked_in_at: datetime, due_at: datetime, policy: Policy) -> bool:
    """A check-in counts for a prompt from one grace period before it falls due."""
    return checked_in_at >= due_at - policy.check_in_grace


def during(started_at: datetime, policy: Policy) -> tuple[Timer, ...]:
    """The session's fixed timers; check-in prompts chain one after another instead."""
    started_at = _utc(started_at)
    return (Timer("vitals", TimerKind.VITALS_REMINDER,
                  started_at + timedelta(minutes=policy.session.vitals_reminder_minutes)),
            Timer("monitored", TimerKind.MONITORING_REACHED,
                  started_at + policy.min_monitoring))


def after_end(ended_at: datetime, policy: Policy) -> tuple[Timer, ...]:
    ended_at = _utc(ended_at)
    return (Timer("summary:reminder", TimerKind.SUMMARY_REMINDER,
                  ended_at + timedelta(hours=policy.summary.reminder_hours)),
            Timer("summary:overdue", TimerKind.SUMMARY_OVERDUE,
                  ended_at + timedelta(days=policy.summary.overdue_days)))


def follow_up(due_at: datetime, window_ends_at: datetime) -> tuple[Timer, ...]:
    return (Timer("due", TimerKind.FOLLOW_UP_DUE, _utc(due_at)),
            Timer("missed", TimerKind.FOLLOW_UP_MISSED, _utc(window_ends_at)))


def escalation_every(policy: Policy) -> timedelta:
    return timedelta(minutes=policy.reminders.escalation_repeat_minutes)


def escalation_repeat(raised_at: datetime, repeat: int, policy: Policy) -> Timer:
    """The `repeat`th reminder of an unacknowledged escalation (1 = the first repeat)."""
    return Timer(f"repeat:{repeat}", TimerKind.ESCALATION_REPEAT,
                 _utc(raised_at) + repeat * escalation_every(policy))


def is_late(due_at: datetime, fired_at: datetime) -> bool:
    return fired_at - due_at > LATE_AFTER


@dataclass(frozen=True)
class Notice:
    """What a fired timer says, read back when the message is sent."""

    kind: TimerKind
    code: str
    session_id: int
    due_at: datetime
    fired_at: datetime
    scheduled_at: datetime | None = None  # the session's time
    number: int | None = None  # which check-in
    follow_up_id: int | None = None
    label: str = ""  # the follow-up's label
    window_ends_at: datetime | None = None

    @property
    def late(self) -> bool:
        return is_late(self.due_at, self.fired_at)


@dataclass(frozen=True)
class EscalationView:
    """A missed check-in as the prescriber and the on-call channel see it."""

    id: int
    code: str
    session_id: int
    check_in: int
    due_at: datetime  # when the check-in was due
    deadline_at: datetime  # the end of its grace, when it became missed
    raised_at: datetime
    prescriber: str  # Slack user IDs, for mentions
    therapist: str
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None

    @property
    def late(self) -> bool:
        return is_late(self.deadline_at, self.raised_at)
