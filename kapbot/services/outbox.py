"""The outbox as an administrator sees it: what is still waiting to reach Slack, and a retry
for what gave up.

Plain values only, so the `kapbot outbox` command and the App Home can show the same thing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from kapbot.care import authority
from kapbot.care.values import Actor
from kapbot.services import notify
from kapbot.services.base import Outcome, ServiceBase
from kapbot.store import outbox
from kapbot.store.models import OutboxMessage
from kapbot.store.outbox import COALESCED, DEAD, PENDING, SENT

WAITING = (PENDING, DEAD)
_NOT_DEAD = {
    PENDING: "is still pending: the delivery worker keeps trying it on its own",
    SENT: "was already sent",
    COALESCED: "was replaced by a newer edit of the same message, which carries its content",
}


@dataclass(frozen=True)
class OutboxLine:
    id: int
    kind: str
    channel: str  # a channel ID, or "@U…" for a direct message
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None  # None once dead: nothing will try it again
    created_at: datetime


class OutboxService(ServiceBase):
    def outbox_messages(self, states: Iterable[str] = WAITING, limit: int = 100
                        ) -> tuple[OutboxLine, ...]:
        """The oldest `limit` messages in these states: dead ones need an administrator."""
        with self.db.reading() as tx:
            rows = tx.exec(select(OutboxMessage).where(col(OutboxMessage.state).in_(
                list(states))).order_by(col(OutboxMessage.id)).limit(limit)).all()
            return tuple(OutboxLine(r.id or 0, r.kind, r.channel, r.state, r.attempts,
                                    r.last_error,
                                    r.next_attempt_at if r.state == PENDING else None,
                                    r.created_at) for r in rows)

    def outbox_counts(self) -> dict[str, int]:
        """How many messages wait in each state (pending and dead, zero included)."""
        with self.db.reading() as tx:
            found = dict(tx.exec(select(OutboxMessage.state, func.count()).where(
                col(OutboxMessage.state).in_(WAITING)).group_by(OutboxMessage.state)).all())
        return {state: found.get(state, 0) for state in WAITING}

    def retry_message(self, actor_id: str, message_id: int) -> Outcome:
        """Give a dead-lettered message to the delivery worker again, with fresh attempts.

        Only a dead message: a pending one is still being tried, and a sent or coalesced
        one would reach Slack twice. The reset is compare-and-set, so two administrators
        retrying at once revive it once.
        """

        def body(tx: Session, actor: Actor) -> Outcome:
            who = authority.admin(actor, "retry an outgoing message")
            if who:
                return Outcome.refuse(who)
            row = tx.get(OutboxMessage, message_id)
            if row is None:
                return Outcome.refuse(f"There is no outgoing message {message_id}.")
            if row.state != DEAD:
                why = _NOT_DEAD.get(row.state, f"is {row.state}")
                return Outcome.refuse(f"Message {message_id} {why}; only a dead-lettered "
                                      "message can be retried.")
            if not outbox.revive(tx, message_id, self.clock.now()):
                return Outcome.refuse(f"Message {message_id} was retried by someone else at "
                                      "the same moment.")
            notify.publish_home(tx, actor.slack_user_id, 1, self.clock.now())  # it left the list
            return Outcome(id=message_id, data={"kind": row.kind, "channel": row.channel})

        return self._run(actor_id, "retry_message", f"outbox:{message_id}", body)
