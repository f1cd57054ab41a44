"""What a change means for later: task rows written inside the change's own transaction.

The keys say whose work a task is (`session:7:check_in:3`, `follow_up:12:due`), so a
change can withdraw what no longer applies by prefix, and a task planned twice (a
retried transaction, a second replica) exists once. Each task's effect re-checks its
condition when it fires; withdrawing is what keeps the table an honest list of what
kapbot still means to say.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from kapbot.care import timeline
from kapbot.care.timeline import Timer
from kapbot.policy import Policy
from kapbot.store import tasks
from kapbot.store.tasks import Planned

# What each lifecycle step leaves behind: the session's timers of earlier stages go.
_BEFORE_START = ("checklist:", "sign_off:", "opens", "overdue")
_DURING = ("check_in:", "check_in_missed:", "vitals", "monitored")


def session_prefix(session_id: int) -> str:
    return f"session:{session_id}:"


def follow_up_prefix(follow_up_id: int) -> str:
    return f"follow_up:{follow_up_id}:"


def escalation_prefix(escalation_id: int) -> str:
    return f"escalation:{escalation_id}:"


def plan(tx: Session, prefix: str, timers: Iterable[Timer], now: datetime,
         **payload: int) -> None:
    for timer in timers:
        tasks.schedule(tx, Planned(prefix + timer.name, timer.kind.value, timer.due_at,
                                   dict(payload)), now)


def _withdraw(tx: Session, prefix: str, names: Iterable[str], now: datetime) -> None:
    for name in names:
        tasks.withdraw(tx, prefix + name, now=now)


def session_booked(tx: Session, session_id: int, patient_id: int, scheduled_at: datetime,
                   plan_version: int | None, now: datetime, policy: Policy) -> None:
    plan(tx, session_prefix(session_id),
         timeline.before_start(scheduled_at, plan_version, now, policy), now,
         session_id=session_id, patient_id=patient_id)


def plan_changed(tx: Session, session_id: int, patient_id: int, scheduled_at: datetime,
                 plan_version: int, now: datetime, policy: Policy) -> None:
    """The prescriber's reminder follows the plan their sign-off must now match."""
    prefix = session_prefix(session_id)
    wanted = [t for t in timeline.before_start(scheduled_at, plan_version, now, policy)
              if t.kind is timeline.TimerKind.SIGN_OFF_REMINDER]
    tasks.withdraw(tx, prefix + "sign_off:", keep=[prefix + t.name for t in wanted], now=now)
    plan(tx, prefix, wanted, now, session_id=session_id, patient_id=patient_id)


def session_started(tx: Session, session_id: int, patient_id: int, started_at: datetime,
                    now: datetime, policy: Policy) -> None:
    prefix = session_prefix(session_id)
    _withdraw(tx, prefix, _BEFORE_START, now)
    plan(tx, prefix, timeline.during(started_at, policy), now, session_id=session_id,
         patient_id=patient_id)
    plan(tx, prefix, (timeline.check_in_prompt(started_at, 1, policy),), now,
         session_id=session_id, patient_id=patient_id, number=1)


def session_ended(tx: Session, session_id: int, patient_id: int, ended_at: datetime,
                  now: datetime, policy: Policy) -> None:
    """Completed or aborted: the watch stops, the summary is chased."""
    prefix = session_prefix(session_id)
    _withdraw(tx, prefix, _DURING, now)
    plan(tx, prefix, timeline.after_end(ended_at, policy), now, session_id=session_id,
         patient_id=patient_id)


def session_called_off(tx: Session, session_id: int, now: datetime) -> None:
    tasks.withdraw(tx, session_prefix(session_id), now=now)


def summary_acknowledged(tx: Session, session_id: int, now: datetime) -> None:
    tasks.withdraw(tx, session_prefix(session_id) + "summary:", now=now)


def follow_up_created(tx: Session, follow_up_id: int, patient_id: int, session_id: int,
                      due_at: datetime, window_ends_at: datetime, now: datetime) -> None:
    plan(tx, follow_up_prefix(follow_up_id), timeline.follow_up(due_at, window_ends_at), now,
         follow_up_id=follow_up_id, session_id=session_id, patient_id=patient_id)


def follow_up_closed(tx: Session, follow_up_id: int, now: datetime) -> None:
    tasks.withdraw(tx, follow_up_prefix(follow_up_id), now=now)


def escalation_acknowledged(tx: Session, escalation_id: int, now: datetime) -> None:
    tasks.withdraw(tx, escalation_prefix(escalation_id), now=now)
