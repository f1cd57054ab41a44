"""What the session card says, decided here so the card and the gate can never disagree."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kapbot.care import gate
from kapbot.care.values import SessionSnapshot, SessionState
from kapbot.policy import Policy


class Mark(StrEnum):
    MET = "met"
    WAITING = "waiting"
    FAILED = "failed"


@dataclass(frozen=True)
class Line:
    """One requirement as the card shows it: its mark, who did it and when, and why not."""

    title: str
    mark: Mark
    by: int | None
    at: datetime | None
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    key: str = ""  # the gate requirement's key: plan, checklist, sign_off, presence, …


@dataclass(frozen=True)
class FollowUpLine:
    label: str
    due_at: datetime
    window_ends_at: datetime
    state: str


@dataclass(frozen=True)
class SessionView:
    """Everything the session card shows, read in one transaction."""

    snapshot: SessionSnapshot
    now: datetime
    people: Mapping[int, str]  # clinician id → Slack user ID, for mentions
    ended_at: datetime | None = None
    dose_mg: int | None = None
    follow_ups: tuple[FollowUpLine, ...] = ()


def _who(s: SessionSnapshot, key: str) -> tuple[int | None, datetime | None, bool]:
    """Who acted on a requirement and when, and whether anything was done at all."""
    if key == "plan":
        return (s.plan.prescriber_id, None, True) if s.plan else (None, None, False)
    record = {"checklist": s.checklist, "sign_off": s.sign_off, "presence": s.presence}
    if key not in record:  # facts, not anyone's act: a timing not yet reached is waited for
        return None, None, key != "timing"
    found = record[key]
    return (found.by, found.at, True) if found is not None else (None, None, False)


def overdue(s: SessionSnapshot, now: datetime, policy: Policy) -> bool:
    """Not started this long after its time: the card says so, and both were told."""
    return (s.state is SessionState.SCHEDULED
            and now >= s.scheduled_at + timedelta(minutes=policy.reminders.overdue_minutes))


def lines(s: SessionSnapshot, now: datetime, policy: Policy) -> tuple[Line, ...]:
    """The six requirements, each met, waiting (nothing done yet) or failed."""
    out = []
    for req in gate.requirements(s, now, policy):
        by, at, done = _who(s, req.key)
        mark = Mark.MET if req.met else (Mark.FAILED if done else Mark.WAITING)
        out.append(Line(req.title, mark, by, at, req.reasons, req.warnings, req.key))
    return tuple(out)



@dataclass(frozen=True)
class Reading:
    at: datetime
    phase: str
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    sedation: int | None = None
    dissociation: int | None = None


@dataclass(frozen=True)
class AdverseEventLine:
    description: str
    severity: str


@dataclass(frozen=True)
class SummaryView:
    """The post-session summary the prescriber receives: the monitoring record of one session."""

    code: str
    session_id: int
    outcome: str
    dose_mg: int | None
    route: str | None
    started_at: datetime | None
    ended_at: datetime | None
    therapist: str
    readings: tuple[Reading, ...]
    check_ins: tuple[datetime, ...]
    adverse_events: tuple[AdverseEventLine, ...]
    notes: str
    abort_reason: str = ""
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None

    @property
    def monitoring_minutes(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)
