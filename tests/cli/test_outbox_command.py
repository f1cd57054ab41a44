"""`kapbot outbox` and `kapbot outbox retry ID`: what has not reached Slack, and another go."""

import json

import pytest

from kapbot.services import Services
from kapbot.store.models import AuditEntry
from tests.cli.conftest import Run
from tests.clinic import rows
from tests.services.test_outbox_service import dead_letter, message, queue
from tests.test_cli import one_line_error


@pytest.fixture
def stuck(services: Services) -> tuple[int, int]:
    """A session card Slack refused for good (its channel is gone), and a summary waiting."""
    card = queue(services, "card:7", "C0GONE")
    dead_letter(services, card, "channel_not_found")
    summary = queue(services, "summary:7", "@UPRESCRIB", kind="summary")
    return card, summary


def test_the_administrator_sees_what_waits_and_what_gave_up(stuck: tuple[int, int],
                                                            run: Run) -> None:
    card, summary = stuck

    result = run("outbox")

    assert result.returncode == 0, result.stderr
    assert "Outbox: 1 pending, 1 dead" in result.stdout
    assert "kapbot outbox retry ID" in result.stdout
    dead_line, pending_line = (line for line in result.stdout.splitlines()
                               if "C0GONE" in line or "@UPRESCRIB" in line)
    for shown in (str(card), "session_card", "C0GONE", "channel_not_found", "dead"):
        assert shown in dead_line, shown
    for shown in (str(summary), "summary", "@UPRESCRIB", "2026-03-02 09:00", "pending"):
        assert shown in pending_line, shown


def test_a_script_gets_the_outbox_as_json(stuck: tuple[int, int], run: Run) -> None:
    card, summary = stuck

    result = run("outbox", "--json")

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["pending"], shown["dead"]) == (1, 1)
    assert [(m["id"], m["state"], m["attempts"], m["last_error"], m["next_attempt_at"])
            for m in shown["messages"]] == [
        (card, "dead", 1, "channel_not_found", None),
        (summary, "pending", 0, None, "2026-03-02T09:00:00+00:00")]


def test_a_dead_message_is_retried_once_and_the_audit_trail_says_who(
        stuck: tuple[int, int], run: Run, services: Services) -> None:
    card, _ = stuck

    retried = run("outbox", "retry", str(card))
    again = run("outbox", "retry", str(card))

    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.strip() == (f"message {card} (session_card to C0GONE) is pending "
                                      "again: the delivery worker sends it next")
    assert (message(services, card).state, message(services, card).attempts) == ("pending", 0)
    line = one_line_error(again)
    assert f"Message {card} is still pending" in line
    assert "only a dead-lettered message can be retried" in line
    trail = [(e.actor.split(":")[0], e.action, e.subject, e.outcome)
             for e in rows(services, AuditEntry)]
    assert trail == [("cli", "retry_message", f"outbox:{card}", "accepted"),
                     ("cli", "retry_message", f"outbox:{card}", "refused")]


def test_a_retry_answers_a_script_in_json(stuck: tuple[int, int], run: Run) -> None:
    card, _ = stuck

    result = run("outbox", "retry", str(card), "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"id": card, "state": "pending", "kind": "session_card",
                                         "channel": "C0GONE"}


@pytest.mark.parametrize(("given", "said"), [
    pytest.param("999", "There is no outgoing message 999.", id="unknown"),
    pytest.param("card:7", "'card:7' is not a message id", id="a key, not an id"),
    pytest.param("²", "'²' is not a message id", id="not an ascii digit"),
])
def test_a_retry_of_no_such_message_is_one_line(run: Run, given: str, said: str) -> None:
    line = one_line_error(run("outbox", "retry", given))

    assert said in line
