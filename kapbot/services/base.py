"""What every use case shares: one transaction, one audit entry, a result to render.

A use case's body runs inside a savepoint. When it refuses, or loses a uniqueness race,
the savepoint is rolled back — so a refusal can never leave half its writes behind — and
the refusal itself is still recorded in the audit chain in the same transaction.
"""

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from kapbot.care.values import Actor, Decision
from kapbot.clock import Clock
from kapbot.policy import Policy
from kapbot.services import notify
from kapbot.store import audit, deliveries, snapshots
from kapbot.store import models as m
from kapbot.store.db import Database, is_retryable

MAX_ATTEMPTS = 8
SYSTEM_ACTOR = "kapbot"  # kapbot's own workers, in the audit trail
CONFLICT = "Someone else changed this at the same moment; nothing was saved. Please try again."
ALREADY_HANDLED = "Slack sent this twice; it was done once."


@dataclass(frozen=True)
class Outcome:
    """A use case's answer: accepted (with the new row's id and any cautions) or refused."""

    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)  # what the caller shows next

    @property
    def refused(self) -> bool:
        return bool(self.reasons)

    @property
    def ok(self) -> bool:
        return not self.reasons

    @classmethod
    def refuse(cls, *reasons: str) -> Self:
        return cls(tuple(reasons))

    @classmethod
    def from_decision(cls, decision: Decision) -> Self:
        return cls(decision.reasons, decision.warnings)


T = TypeVar("T")


def retrying(transaction: Callable[[], T]) -> T:
    """Run a whole transaction again after a deadlock or serialization failure: those are
    races between replicas, never the user's fault, so they must never reach the user."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return transaction()
        except Exception as exc:
            if attempt == MAX_ATTEMPTS or not is_retryable(exc):
                raise
    raise AssertionError("unreachable")


@dataclass
class _Request:
    digest: str
    is_retry: bool  # Slack marked it re-sent (X-Slack-Retry-Num)
    recorded: bool = False


# Bolt runs a request's middleware and then its listener on one thread; the timer and
# delivery threads never set it.
_REQUEST: ContextVar[_Request | None] = ContextVar("kapbot_slack_request", default=None)


class _RefusedError(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


Body = Callable[[Session, Actor], Outcome]


class ServiceBase:
    def __init__(self, db: Database, policy: Policy, clock: Clock,
                 admins: frozenset[str] = frozenset()) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.admins = admins

    def _refresh_homes(self, tx: Session, *clinician_ids: int) -> None:
        """What waits on these people has changed: their App Home follows."""
        for clinician_id in clinician_ids:
            row = tx.get(m.Clinician, clinician_id)
            if row is not None:
                notify.publish_home(tx, row.slack_user_id, 1, self.clock.now())

    def _patient_subject(self, code: str) -> str:
        """The audit subject for a patient. Text that is not a code (perhaps a name typed by
        mistake) never enters the chain, where it could not be removed."""
        return f"patient:{code}" if self.policy.code_is_valid(code) else "patient:(not a code)"

    def _not_a_patient(self, code: str) -> Outcome:
        if self.policy.code_is_valid(code):
            return Outcome.refuse(f"No patient with code {code}.")
        return Outcome.refuse(f"That is not a patient code: codes match "
                              f"{self.policy.patient_code_pattern} and are never names.")

    def _run(self, actor_id: str, action: str, subject: str, body: Body) -> Outcome:
        """Run `body` as one audited transaction, retrying only races the user never sees."""
        return retrying(lambda: self._attempt(actor_id, action, subject, body))

    def begin_request(self, digest: str, is_retry: bool = False) -> None:
        """A Slack request is being handled on this thread: the use case it runs records
        its digest in its own transaction (one commit per click, and remembered only if
        its effect committed). A request that runs none changes nothing, so a re-sent
        copy of it may simply run again."""
        _REQUEST.set(_Request(digest, is_retry))

    def _attempt(self, actor_id: str, action: str, subject: str, body: Body) -> Outcome:
        request = _REQUEST.get()
        with self.db.transaction() as tx:
            if (request is not None and not request.recorded
                    and not deliveries.remember(tx, request.digest, self.clock.now())
                    and request.is_retry):
                # A copy Slack re-sent while the first was still being handled: the first
                # committed its effect (the insert waited for it), so this one has none.
                return Outcome.refuse(ALREADY_HANDLED)
            actor = snapshots.actor(tx, actor_id, self.admins)
            try:
                with tx.begin_nested():
                    outcome = body(tx, actor)
                    if outcome.refused:
                        raise _RefusedError(outcome)
            except _RefusedError as refusal:
                outcome = refusal.outcome
            except IntegrityError as exc:
                if is_retryable(exc):
                    raise
                outcome = Outcome.refuse(CONFLICT)
            audit.append(tx, at=self.clock.now(), actor=actor_id, action=action,
                         subject=subject, refused=outcome.reasons)
        if request is not None:
            request.recorded = True
        return outcome
