"""What may happen to a session once it exists: during, at the end, or instead of it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from kapbot.care import authority
from kapbot.care.values import Actor, Decision, Role, SessionHead, SessionSnapshot, SessionState
from kapbot.care.wording import duration, local
from kapbot.policy import Policy


def _state(s: SessionHead | SessionSnapshot, wanted: SessionState, doing: str) -> str | None:
    if s.state is not wanted:
        return (f"Cannot {doing}: the session is {s.state.value.replace('_', ' ')}, "
                f"not {wanted.value.replace('_', ' ')}.")
    return None


def may_prepare(s: SessionSnapshot, actor: Actor, doing: str, role: Role) -> Decision:
    """Checklist, sign-off and presence are only for a scheduled session, by the right one."""
    return Decision.of([authority.of_pair(actor, s.pair, doing, (role,))
                        or _state(s, SessionState.SCHEDULED, doing)])


def may_monitor(s: SessionHead | SessionSnapshot, actor: Actor, doing: str,
                roles: tuple[Role, ...] = authority.BOTH) -> Decision:
    """Vitals and check-ins belong to a session in progress."""
    return Decision.of([authority.of_pair(actor, s.pair, doing, roles)
                        or _state(s, SessionState.IN_PROGRESS, doing)])


def may_end(s: SessionSnapshot, actor: Actor, now: datetime, policy: Policy,
            affirmed: frozenset[str]) -> Decision:
    """End only after the minimum monitoring time, with the whole discharge checklist."""
    who = authority.therapist_of(actor, s.pair, "end the session")
    if who:
        return Decision((who,))
    wrong_state = _state(s, SessionState.IN_PROGRESS, "end the session")
    if wrong_state:
        return Decision((wrong_state,))
    assert s.started_at is not None
    reasons = []
    allowed_from = s.started_at + policy.min_monitoring
    if now < allowed_from:
        watched = duration(timedelta(minutes=int((now - s.started_at).total_seconds() // 60)))
        reasons.append(f"Monitoring has lasted {watched}: the session may end after "
                       f"{duration(policy.min_monitoring)}, from {local(allowed_from, policy.tz)}.")
    reasons += [f"Discharge item not affirmed: {item.text}."
                for item in policy.discharge if item.id not in affirmed]
    return Decision.of(reasons)


def may_abort(s: SessionSnapshot, actor: Actor) -> Decision:
    return Decision.of([authority.of_pair(actor, s.pair, "abort the session")
                        or _state(s, SessionState.IN_PROGRESS, "abort the session")])


def may_cancel(s: SessionSnapshot, actor: Actor) -> Decision:
    return Decision.of([authority.of_pair(actor, s.pair, "cancel the session")
                        or _state(s, SessionState.SCHEDULED, "cancel the session")])


@dataclass(frozen=True)
class PlannedFollowUp:
    kind: str
    label: str
    due_at: datetime
    window_ends_at: datetime


def follow_ups(ended_at: datetime, policy: Policy) -> list[PlannedFollowUp]:
    """The integration follow-ups a completed session creates, in UTC from its end."""
    return [PlannedFollowUp(rule.kind, rule.label, ended_at + timedelta(days=rule.due_days),
                            ended_at + timedelta(days=rule.due_days + rule.window_days))
            for rule in policy.follow_ups]
