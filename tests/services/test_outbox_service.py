"""An administrator looks at what has not reached Slack and gives a dead message another go."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from kapbot.clock import ManualClock
from kapbot.services import Services
from kapbot.store import outbox
from kapbot.store.models import AuditEntry, OutboxMessage
from tests.clinic import ADMIN, THERAPIST, accepted, rows

WORKER = "worker-1"
LEASE = timedelta(minutes=1)


def queue(services: Services, key: str, channel: str, kind: str = "session_card") -> int:
    with services.db.transaction() as tx:
        outbox.enqueue(tx, key=key, kind=kind, channel=channel, now=services.clock.now())
        found = tx.exec(select(OutboxMessage.id).where(col(OutboxMessage.key) == key)).one()
    assert found is not None
    return found


def dead_letter(services: Services, message_id: int, error: str) -> None:
    """The delivery worker's last failed attempt, as it records one."""
    claimed = outbox.claim(services.db, services.clock.now(), WORKER, LEASE)
    assert message_id in [c.id for c in claimed]
    assert outbox.dead(services.db, message_id, WORKER, error)


def message(services: Services, message_id: int) -> OutboxMessage:
    [row] = [m for m in rows(services, OutboxMessage) if m.id == message_id]
    return row


def test_the_outbox_shows_what_waits_and_what_gave_up(services: Services) -> None:
    card = queue(services, "card:1", "C0PAIR42")
    dead_letter(services, card, "channel_not_found")
    summary = queue(services, "summary:1", "@UPRESCRIB", kind="summary")
    sent = queue(services, "home:1", "@UTHERAPST", kind="home")
    with services.db.transaction() as tx:
        tx.execute(update(OutboxMessage).where(col(OutboxMessage.id) == sent)
                   .values(state=outbox.SENT))

    lines = services.outbox_messages()

    assert [(m.id, m.kind, m.channel, m.state, m.attempts, m.last_error) for m in lines] == [
        (card, "session_card", "C0PAIR42", "dead", 1, "channel_not_found"),
        (summary, "summary", "@UPRESCRIB", "pending", 0, None)]
    assert lines[0].next_attempt_at is None  # nothing will try a dead message again
    assert lines[1].next_attempt_at == services.clock.now()
    assert services.outbox_counts() == {"pending": 1, "dead": 1}


def test_the_outbox_listing_stops_at_its_limit_oldest_first(services: Services) -> None:
    ids = [queue(services, f"card:{n}", f"C{n}") for n in range(3)]

    assert [m.id for m in services.outbox_messages(limit=2)] == ids[:2]
    assert services.outbox_counts() == {"pending": 3, "dead": 0}


def test_an_administrator_retries_a_dead_message_and_the_worker_takes_it_again(
        services: Services, clock: ManualClock) -> None:
    card = queue(services, "card:1", "C0PAIR42")
    dead_letter(services, card, "channel_not_found")
    clock.advance(timedelta(hours=1))

    outcome = accepted(services.retry_message(ADMIN, card))

    row = message(services, card)
    assert (row.state, row.attempts, row.claimed_by) == ("pending", 0, None)
    assert row.next_attempt_at == services.clock.now()
    assert row.last_error == "channel_not_found"  # what went wrong stays visible
    assert outcome.data == {"kind": "session_card", "channel": "C0PAIR42"}
    claimed = outbox.claim(services.db, services.clock.now(), WORKER, LEASE)
    assert [c.kind for c in claimed if c.id == card] == ["session_card"]
    assert [c.channel for c in claimed if c.kind == "home"] == [f"@{ADMIN}"]  # list redrawn
    entry = rows(services, AuditEntry)[-1]
    assert (entry.actor, entry.action, entry.subject, entry.outcome) == (
        ADMIN, "retry_message", f"outbox:{card}", "accepted")


def test_only_a_dead_message_can_be_retried(services: Services) -> None:
    pending = queue(services, "card:1", "C1")
    sent = queue(services, "card:2", "C2")
    with services.db.transaction() as tx:
        tx.execute(update(OutboxMessage).where(col(OutboxMessage.id) == sent)
                   .values(state=outbox.SENT))

    assert services.retry_message(ADMIN, pending).reasons == (
        f"Message {pending} is still pending: the delivery worker keeps trying it on its own; "
        "only a dead-lettered message can be retried.",)
    assert services.retry_message(ADMIN, sent).reasons == (
        f"Message {sent} was already sent; only a dead-lettered message can be retried.",)
    assert services.retry_message(ADMIN, 999).reasons == ("There is no outgoing message 999.",)
    assert (message(services, pending).state, message(services, sent).state) == (
        "pending", "sent")
    assert [(e.subject, e.outcome) for e in rows(services, AuditEntry)] == [
        (f"outbox:{pending}", "refused"), (f"outbox:{sent}", "refused"),
        ("outbox:999", "refused")]


def test_a_dead_message_is_revived_once_however_often_retry_is_pressed(
        services: Services) -> None:
    card = queue(services, "card:1", "C0PAIR42")
    dead_letter(services, card, "fatal_error")

    accepted(services.retry_message(ADMIN, card))
    again = services.retry_message(ADMIN, card)

    assert again.refused
    assert "still pending" in again.reasons[0]


def test_only_an_administrator_may_retry_a_message(services: Services) -> None:
    card = queue(services, "card:1", "C0PAIR42")
    dead_letter(services, card, "fatal_error")

    outcome = services.retry_message(THERAPIST, card)

    assert outcome.reasons == ("Only an administrator may retry an outgoing message.",)
    assert message(services, card).state == "dead"
