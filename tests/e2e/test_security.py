"""What is not Slack, or not new, changes nothing."""

import json

import pytest
from sqlmodel import func, select

from kapbot.sandbox import payloads
from kapbot.store.db import Database
from kapbot.store.models import AuditEntry, DosingSession, OutboxMessage
from tests.e2e.conftest import Running
from tests.e2e.test_pathway import (
    card,
    pair_channel,
    post_plan,
    prepare,
    schedule_soon,
    set_up_pair,
)


def count(kapbot: Running, table: type) -> int:
    db = Database(kapbot.database_url)
    try:
        with db.reading() as tx:
            return int(tx.exec(select(func.count()).select_from(table)).one())
    finally:
        db.dispose()


@pytest.mark.parametrize("how", ["unsigned", "bad_signature", "stale_timestamp"])
def test_a_request_not_signed_by_slack_gets_401_and_touches_nothing(
        kapbot: Running, how: str) -> None:
    d = kapbot.driver
    d.command("admin", "/kap", "roster add @rowe prescriber")
    entries, calls = count(kapbot, AuditEntry), len(kapbot.slack.calls())
    answer = d.send_tampered(how)  # the same command, forged
    assert answer.status == 401
    assert count(kapbot, AuditEntry) == entries
    assert len(kapbot.slack.calls()) == calls


def test_a_command_slack_sends_again_has_one_effect(kapbot: Running) -> None:
    set_up_pair(kapbot)
    post_plan(kapbot)
    schedule_soon(kapbot)
    assert kapbot.driver.retry(retry_num=1).status == 200
    assert count(kapbot, DosingSession) == 1


def test_a_double_click_on_start_starts_once(kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    post_plan(kapbot)
    schedule_soon(kapbot)
    prepare(kapbot)
    kapbot.delivered()
    kapbot.slack.faults.hang(2, method="chat.update")  # keep the stale card on screen a while
    d.click("lee", "Start session", where=pair_channel(kapbot, "lee"))
    d.click("rowe", "Start session", where=pair_channel(kapbot, "rowe"))  # still on the card
    assert d.sees("rowe").ephemeral[-1].endswith("The session is in progress, not scheduled.")
    assert "*In progress* — 100 mg" in card(kapbot)


def test_typed_text_never_reaches_the_log(kapbot: Running) -> None:
    set_up_pair(kapbot)
    kapbot.driver.command("rowe", "/kap", "plan KAP-0042")
    kapbot.driver.fill_and_submit("rowe", {
        "Formulation": "RDT", "Route": "Sublingual", "Dose per session (mg)": "100",
        "Maximum dose (mg)": "150", "Sessions authorised": "6", "Valid until": "2099-01-01",
        "Notes": "History of panic attacks"})
    log = kapbot.log.read_text()
    assert "panic" not in log
    assert kapbot.slack.token not in log


def test_an_event_from_another_workspace_is_ignored(kapbot: Running) -> None:
    envelope = payloads.event_callback(kapbot.slack.workspace, {
        "type": "app_home_opened", "user": "UPRESCRIB", "tab": "home"})
    envelope["team_id"] = "TOTHERORG"
    answer = kapbot.driver.send_tampered("stale_timestamp", json.dumps(envelope).encode())
    assert answer.status == 401  # a forged copy is refused outright
    before = count(kapbot, OutboxMessage)
    kapbot.driver.open_home("rowe")  # our own workspace: queued
    assert count(kapbot, OutboxMessage) == before + 1
    signed = kapbot.driver.send_event_callback(envelope)
    assert signed.status == 200
    assert count(kapbot, OutboxMessage) == before + 1  # the other workspace's: ignored


def test_help_is_tailored_to_the_callers_roles(kapbot: Running) -> None:
    d = kapbot.driver
    d.command("admin", "/kap", "roster add @rowe prescriber")
    d.command("rowe", "/kap", "help")
    d.command("admin", "/kap", "help")
    rowe_help, admin_help = d.sees("rowe").ephemeral[-1], d.sees("admin").ephemeral[-1]
    assert "/kap plan CODE" in rowe_help and "/kap patient add" not in rowe_help
    assert "/kap patient add CODE @prescriber @therapist" in admin_help
