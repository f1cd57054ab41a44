"""Time that cannot be lost: the real `kapbot run`, its clock moved on, killed and restarted.

Each reminder, prompt, escalation and summary is counted where the clinicians would see
it — in the local Slack — and must be there exactly once.
"""

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from sqlmodel import select

from kapbot.clock import FileOffsetClock
from kapbot.policy import load_policy
from kapbot.sandbox.faults import FaultKind
from kapbot.services import Services
from kapbot.store.db import Database
from kapbot.store.models import OutboxMessage
from tests.clinic import plan_form
from tests.e2e.conftest import Running
from tests.e2e.test_pathway import CHECKLIST, pair_channel, post_plan, set_up_pair, watch

DEFAULT_POLICY = resources.files("kapbot").joinpath("default_policy.toml").read_text("utf-8")
LEASE_MINUTES = 2  # beyond the 60-second claims of a killed process


def book(kapbot: Running, hours: float = 3) -> None:
    at = kapbot.now() + timedelta(hours=hours)
    kapbot.driver.command("lee", "/kap", f"session KAP-0042 {at:%Y-%m-%d %H:%M}")
    kapbot.settled()


def dm(kapbot: Running, who: str, containing: str) -> list[str]:
    return [text for text in kapbot.driver.sees(who).dm if containing in text]


def keys_in_slack(kapbot: Running) -> Counter[str]:
    """Every message kapbot posted, by the outbox key it carries in its metadata."""
    ws = kapbot.slack.workspace
    with ws.lock:
        return Counter(str(m.metadata["event_payload"]["key"])
                       for channel in ws.channels.values() for m in ws.messages(channel.id)
                       if m.metadata and m.user == ws.bot.id)


def posted_keys(kapbot: Running) -> set[str]:
    """The outbox keys of every message kapbot meant to post (not edits or views)."""
    db = Database(kapbot.database_url)
    try:
        with db.reading() as tx:
            rows = tx.exec(select(OutboxMessage.key, OutboxMessage.state).where(
                OutboxMessage.method == "chat.postMessage")).all()
    finally:
        db.dispose()
    assert {state for _, state in rows} <= {"sent"}, rows
    return {key for key, _ in rows}


def assert_each_once(kapbot: Running) -> None:
    seen = keys_in_slack(kapbot)
    assert {k for k, n in seen.items() if n > 1} == set(), "posted twice"
    assert posted_keys(kapbot) == set(seen), "lost, or posted without a record"


def test_reminders_prompts_escalation_and_follow_ups_reach_people_at_their_times(
        kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    post_plan(kapbot)
    book(kapbot)
    kapbot.advance(60)
    kapbot.settled()
    [reminder] = dm(kapbot, "lee", "pre-session checklist is not done")
    assert "KAP-0042" in reminder
    d.click("lee", "Pre-session checklist", where="dm")
    assert d.fill_and_submit("lee", CHECKLIST).action == "close"
    kapbot.settled()
    d.click("rowe", "Sign off dose", where="dm", containing="sign-off is still missing")
    assert d.fill_and_submit("rowe", {"Dose for this session (mg)": "100"}).action == "close"
    kapbot.advance(115)
    d.click("lee", "Confirm presence", where=pair_channel(kapbot, "lee"))
    assert d.fill_and_submit("lee", {"I am in the room with the patient": True,
                                     "Dose on the dispensed tablets (mg)": "100",
                                     "Route": "Sublingual"}).action == "close"
    d.click("lee", "Start session", where=pair_channel(kapbot, "lee"))
    watch(kapbot, minutes=20)  # check-in 1 answered from the prompt in the DM

    kapbot.advance(25)  # check-in 2 prompted at +40 and not answered by +45
    kapbot.settled()
    assert dm(kapbot, "lee", "Presence check-in 2 for *KAP-0042*")
    assert dm(kapbot, "lee", "Time for *KAP-0042*'s vitals")
    [raised] = dm(kapbot, "rowe", "Missed presence check-in")
    assert "check-in 2" in raised
    on_call = d.sees("rowe").channels["#kap-on-call"]
    assert len(on_call) == 1 and "Missed presence check-in" in on_call[0]
    kapbot.advance(5)
    kapbot.settled()
    assert len(d.sees("rowe").channels["#kap-on-call"]) == 2  # repeated until acknowledged
    d.click("rowe", "Acknowledge", where="kap-on-call", containing="reminder 1")
    kapbot.advance(10)
    kapbot.settled()
    copies = [*d.sees("rowe").channels["#kap-on-call"], *dm(kapbot, "rowe", "Missed presence")]
    assert len(copies) == 4  # no repeat after the acknowledgement
    assert all("Acknowledged by @rowe" in copy for copy in copies)

    d.click("lee", "Check in", where="dm", containing="check-in 3 ")
    watch(kapbot, minutes=60, first=4)
    d.click("lee", "End session", where=pair_channel(kapbot, "lee"),
            containing="monitored for the minimum time")
    assert d.fill_and_submit("lee", {"Patient is alert and oriented": True,
                                     "Vitals are back within limits": True,
                                     "Escort is present": True}).action == "close"
    kapbot.advance(24 * 60)
    kapbot.settled()
    assert dm(kapbot, "rowe", "post-session summary for *KAP-0042*")
    assert dm(kapbot, "lee", "Integration session is due")
    d.click("lee", "Mark done", where="dm", containing="Integration session")
    refused = d.fill_and_submit("lee", {"PHQ-9 (0-27)": "30"})
    assert refused.action == "errors"
    assert d.fill_and_submit("lee", {"PHQ-9 (0-27)": "9"}).action == "close"
    kapbot.advance(9 * 24 * 60)
    kapbot.settled()
    [missed] = dm(kapbot, "rowe", "is marked *missed*")
    assert "Check-in" in missed
    assert_each_once(kapbot)


def test_killed_mid_delivery_the_reminders_still_arrive_once(kapbot: Running) -> None:
    set_up_pair(kapbot)
    post_plan(kapbot)
    book(kapbot)
    kapbot.slack.faults.drop_after_accept(method="chat.postMessage", times=2)
    kapbot.advance(61)
    _wait_for(lambda: sum(c.fault is FaultKind.DROP_AFTER_ACCEPT
                          for c in kapbot.slack.calls("chat.postMessage")) == 2)
    kapbot.kill()  # Slack has both reminders; kapbot never heard back
    kapbot.restart()
    kapbot.advance(LEASE_MINUTES)
    kapbot.settled()
    assert len(dm(kapbot, "lee", "pre-session checklist is not done")) == 1
    assert len(dm(kapbot, "rowe", "sign-off is still missing")) == 1
    assert_each_once(kapbot)


def test_killed_right_after_a_session_starts_the_watch_goes_on(kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    post_plan(kapbot)
    book(kapbot, hours=0.1)
    for who, label, answers in (
            ("lee", "Pre-session checklist", CHECKLIST),
            ("rowe", "Sign off dose", {"Dose for this session (mg)": "100"}),
            ("lee", "Confirm presence", {"I am in the room with the patient": True,
                                         "Dose on the dispensed tablets (mg)": "100",
                                         "Route": "Sublingual"})):
        d.click(who, label, where=pair_channel(kapbot, who))
        assert d.fill_and_submit(who, answers).action == "close"
    d.click("lee", "Start session", where=pair_channel(kapbot, "lee"))
    kapbot.kill()
    kapbot.restart()
    kapbot.advance(LEASE_MINUTES)
    watch(kapbot, minutes=40)
    assert len(dm(kapbot, "lee", "Presence check-in 1 for")) == 1
    assert len(dm(kapbot, "lee", "Presence check-in 2 for")) == 1
    assert dm(kapbot, "rowe", "Missed presence") == []
    assert_each_once(kapbot)


def test_killed_at_random_moments_nothing_is_lost_or_sent_twice(kapbot: Running) -> None:
    """Twelve patients' reminders fall due together; kapbot dies three times among them."""
    services = Services(Database(kapbot.database_url), load_policy(),
                        FileOffsetClock(str(kapbot.clock_file)), frozenset({"UADMIN"}))
    set_up_pair(kapbot)
    valid_until = (kapbot.now() + timedelta(days=90)).date().isoformat()
    for number in range(12):
        code = f"KAP-{number + 100:04d}"
        assert services.add_patient("UADMIN", code, "UPRESCRIB", "UTHERAPST").ok
        assert services.post_plan("UPRESCRIB", code, plan_form(valid_until=valid_until)).ok
        at = kapbot.now() + timedelta(hours=3, seconds=number)
        assert services.schedule_session("UTHERAPST", code, at).ok
    kapbot.advance(61)
    dice = random.Random()
    for _ in range(3):
        kapbot.advance(0.5)
        time.sleep(dice.uniform(0.0, 0.6))
        kapbot.kill()
        kapbot.restart()
    kapbot.advance(LEASE_MINUTES)
    kapbot.settled(seconds=60)
    assert len(dm(kapbot, "lee", "pre-session checklist is not done")) == 12
    assert len(dm(kapbot, "rowe", "sign-off is still missing")) == 12
    assert_each_once(kapbot)
    services.db.dispose()


def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the condition never held")


def test_a_reminder_due_while_kapbot_was_down_arrives_on_recovery_marked_late(
        kapbot: Running) -> None:
    set_up_pair(kapbot)
    post_plan(kapbot)
    book(kapbot, hours=25)
    kapbot.kill()
    kapbot.advance(90)  # the 24-hour reminder fell due half an hour ago, while down
    kapbot.restart()
    kapbot.settled()
    [reminder] = dm(kapbot, "lee", "pre-session checklist is not done")
    assert "(in 24 h)" in reminder
    assert "Late: this was due at" in reminder and "while kapbot was not running" in reminder
    assert_each_once(kapbot)


def test_across_the_autumn_clock_change_each_reminder_fires_once_at_its_instant(
        kapbot: Running, tmp_path: Path) -> None:
    """New York falls back at 06:00 UTC on 1 November 2026; the session is at 10:00 that
    day (15:00 UTC), so its 24-hour reminder is due at 15:00 UTC the day before."""
    policy = tmp_path / "new-york.toml"
    policy.write_text(DEFAULT_POLICY.replace('timezone = "UTC"',
                                             'timezone = "America/New_York"'), "utf-8")
    kapbot.kill()
    kapbot.env["KAPBOT_POLICY"] = str(policy)
    kapbot.travel_to(datetime(2026, 10, 30, 12, 0, tzinfo=UTC))
    kapbot.restart()
    set_up_pair(kapbot)
    post_plan(kapbot)
    kapbot.driver.command("lee", "/kap", "session KAP-0042 2026-11-01 10:00")
    kapbot.settled()
    reminders = {"lee": "pre-session checklist is not done", "rowe": "sign-off is still"}
    for instant, expected in ((datetime(2026, 10, 31, 15, 0), {"lee": 1, "rowe": 0}),
                              (datetime(2026, 11, 1, 13, 0), {"lee": 2, "rowe": 1})):
        kapbot.travel_to(instant.replace(tzinfo=UTC) - timedelta(seconds=30))
        kapbot.settled()
        assert len(dm(kapbot, "lee", reminders["lee"])) == expected["lee"] - 1
        kapbot.travel_to(instant.replace(tzinfo=UTC) + timedelta(seconds=30))
        kapbot.settled()
        seen = {who: len(dm(kapbot, who, text)) for who, text in reminders.items()}
        assert seen == expected, instant
    first, second = dm(kapbot, "lee", reminders["lee"])
    assert "2026-11-01 10:00 (in 24 h)" in first and "2026-11-01 10:00 (in 2 h)" in second
    assert_each_once(kapbot)
