"""Slack falls over — 500s, hangs, 429s with Retry-After — and the real kapbot rides it out.

Nothing is lost, nothing arrives twice, each channel's messages keep their order, and no
request to a channel goes out before Slack's Retry-After for it has passed. A message
that never gets through is dead-lettered where an administrator sees it and retries it.
"""

import json
from collections import defaultdict
from datetime import timedelta

from kapbot.sandbox.faults import FaultKind
from tests.e2e.conftest import Running
from tests.e2e.test_durable_time import assert_each_once, dm
from tests.e2e.test_pathway import post_plan, set_up_pair
from tests.test_cli import kapbot as kapbot_command

RETRY_AFTER = 2


def book_four(kapbot: Running) -> list[str]:
    """Four sessions a minute apart; returns their times as the reminders show them."""
    shown = []
    for minute in range(4):
        at = kapbot.now() + timedelta(hours=3, minutes=minute)
        kapbot.driver.command("lee", "/kap", f"session KAP-0042 {at:%Y-%m-%d %H:%M}")
        shown.append(f"{at:%Y-%m-%d %H:%M}")
    kapbot.settled()
    return shown


def test_through_an_outage_each_message_arrives_once_in_order_after_retry_after(
        kapbot: Running) -> None:
    set_up_pair(kapbot)
    post_plan(kapbot)
    times = book_four(kapbot)
    faults = kapbot.slack.faults
    faults.server_error(times=3)
    faults.hang(2.0, method="chat.postMessage")
    faults.rate_limited(retry_after=RETRY_AFTER, times=3, method="chat.postMessage")
    faults.drop_after_accept(method="chat.postMessage")
    kapbot.advance(64)
    kapbot.settled(seconds=90)
    assert faults.pending == []  # the whole outage happened

    reminders = dm(kapbot, "lee", "pre-session checklist is not done")
    assert [next(t for t in times if t in text) for text in reminders] == times
    assert len(dm(kapbot, "rowe", "sign-off is still missing")) == 4
    assert_each_once(kapbot)

    posts = kapbot.slack.calls("chat.postMessage")
    waits: dict[str, float] = defaultdict(float)
    for call in posts:
        channel = str(call.args.get("channel"))
        assert call.at >= waits[channel], f"posted to {channel} before its Retry-After"
        if call.status == 429:
            waits[channel] = call.at + RETRY_AFTER
    assert sum(c.status == 429 for c in posts) == 3
    assert any(c.fault is FaultKind.HANG for c in posts)


def test_a_message_that_never_gets_through_waits_for_an_admin_to_retry_it(
        kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    post_plan(kapbot)
    at = kapbot.now() + timedelta(hours=25)  # the 24-hour reminder goes to the therapist alone
    d.command("lee", "/kap", f"session KAP-0042 {at:%Y-%m-%d %H:%M}")
    kapbot.settled()
    kapbot.slack.faults.server_error(times=100, method="chat.postMessage")
    kapbot.advance(61)
    for _ in range(12):  # the worker backs off, up to five minutes between attempts
        kapbot.advance(5)
        kapbot.settled(due_only=True)
    kapbot.slack.faults.clear()
    assert dm(kapbot, "lee", "pre-session checklist") == []

    listed = kapbot_command("outbox", "--json", cwd=kapbot.log.parent,
                            KAPBOT_DATABASE_URL=kapbot.database_url)
    dead = [m for m in json.loads(listed.stdout)["messages"] if m["state"] == "dead"]
    assert [(m["kind"], m["channel"], m["attempts"]) for m in dead] == [
        ("notice", "@UTHERAPST", 8)]

    d.open_home("admin")
    kapbot.settled()
    home = d.sees("admin").home
    assert "Messages that could not be delivered" in home
    assert "notice to @lee" in home and "8 attempts" in home
    d.click("admin", "Retry", where="home", containing="notice to @lee")
    kapbot.settled()
    assert len(dm(kapbot, "lee", "pre-session checklist is not done")) == 1
    assert "notice to @lee" not in d.sees("admin").home
