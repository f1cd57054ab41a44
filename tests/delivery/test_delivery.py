"""The delivery worker against the local Slack: once, in order, through outages."""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from kapbot.care.dosing import PlanForm
from kapbot.delivery import Delivery, DeliveryThread
from kapbot.outgoing import Outgoing
from kapbot.sandbox import SlackEmulator
from kapbot.store.models import OutboxMessage, Patient
from tests.clinic import ADMIN, PRESCRIBER, THERAPIST, Clinic, accepted, plan_form, rows

NEW_CODE = "KAP-0043"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        for user_id, name in ((PRESCRIBER, "rowe"), (THERAPIST, "lee")):
            emulator.workspace.add_user(name, user_id=user_id)
        yield emulator


@pytest.fixture
def worker(clinic: Clinic, slack: SlackEmulator) -> Delivery:
    client = WebClient(token=slack.token, base_url=slack.base_url, timeout=2, retry_handlers=[])
    content = Outgoing(clinic.services, clinic.services.policy, salt="test")
    return Delivery(clinic.services.db, client, content, clinic.clock, "worker-1",
                    max_attempts=4)


def drain(worker: Delivery, rounds: int = 5) -> None:
    for _ in range(rounds):
        worker.run_once()


@pytest.fixture
def pair_channel(clinic: Clinic, worker: Delivery, slack: SlackEmulator) -> str:
    """A second patient whose care-pair channel the worker opens."""
    accepted(clinic.services.add_patient(ADMIN, NEW_CODE, PRESCRIBER, THERAPIST))
    drain(worker)
    [patient] = [p for p in rows(clinic.services, Patient) if p.code == NEW_CODE]
    assert patient.channel_id is not None
    return patient.channel_id


def texts(slack: SlackEmulator, channel: str) -> list[str]:
    return [m.text for m in slack.workspace.messages(channel)]


def schedule_new_patients_session(clinic: Clinic) -> int:
    outcome = accepted(clinic.services.schedule_session(
        THERAPIST, NEW_CODE, clinic.clock.now() + timedelta(hours=3)))
    assert outcome.id is not None
    return outcome.id


def card_posted_on_the_day(clinic: Clinic, worker: Delivery) -> int:
    """A plan, a session booked and its card posted; the clock on the session's day."""
    clinic.services.post_plan(PRESCRIBER, NEW_CODE, _plan())
    session = schedule_new_patients_session(clinic)
    drain(worker)
    clinic.at_scheduled_time(session)
    return session


def test_a_new_care_pair_gets_a_private_channel_with_both_and_an_introduction(
        slack: SlackEmulator, pair_channel: str) -> None:
    channel = slack.workspace.channel(pair_channel)
    assert channel.is_private
    assert channel.name.startswith("kap-pair-") and "0043" not in channel.name
    assert {PRESCRIBER, THERAPIST} <= set(channel.members)
    assert texts(slack, pair_channel) == [f"Care-pair channel for {NEW_CODE}"]


def test_a_channel_created_by_a_try_whose_answer_was_lost_is_found_not_made_again(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator) -> None:
    slack.faults.drop_after_accept(method="conversations.create")
    slack.faults.drop_after_accept(method="conversations.invite")
    accepted(clinic.services.add_patient(ADMIN, NEW_CODE, PRESCRIBER, THERAPIST))
    for _ in range(4):
        drain(worker)
        clinic.clock.advance(timedelta(minutes=1))
    made = [c for c in slack.workspace.channels.values() if c.name.startswith("kap-pair-")]
    assert len(made) == 1
    assert {PRESCRIBER, THERAPIST} <= set(made[0].members)
    assert texts(slack, made[0].id) == [f"Care-pair channel for {NEW_CODE}"]
    [patient] = [p for p in rows(clinic.services, Patient) if p.code == NEW_CODE]
    assert patient.channel_id == made[0].id


def test_the_session_card_is_posted_once_and_edited_in_place(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator, pair_channel: str) -> None:
    session = card_posted_on_the_day(clinic, worker)
    accepted(clinic.services.complete_checklist(THERAPIST, session, _items(), 120, 80, 70, 98))
    accepted(clinic.services.sign_off_dose(PRESCRIBER, session, 100))
    drain(worker)
    cards = [m for m in slack.workspace.messages(pair_channel) if m.text.startswith(NEW_CODE)]
    assert len(cards) == 1
    shown = str(cards[0].blocks)
    assert "Prescriber's dose sign-off* — <@UPRESCRIB>" in shown
    assert len(slack.calls("chat.update")) == 1  # two changes, one edit: coalesced


def test_a_card_changed_again_within_a_second_is_edited_when_the_second_is_up(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator, pair_channel: str) -> None:
    session = card_posted_on_the_day(clinic, worker)
    accepted(clinic.services.complete_checklist(THERAPIST, session, _items(), 120, 80, 70, 98))
    drain(worker)
    assert len(slack.calls("chat.update")) == 1
    accepted(clinic.services.sign_off_dose(PRESCRIBER, session, 100))
    drain(worker)
    assert len(slack.calls("chat.update")) == 1  # Slack is not asked twice in a second
    clinic.clock.advance(timedelta(milliseconds=999))
    drain(worker)
    assert len(slack.calls("chat.update")) == 1
    clinic.clock.advance(timedelta(milliseconds=1))
    drain(worker)
    assert len(slack.calls("chat.update")) == 2
    [card] = [m for m in slack.workspace.messages(pair_channel) if m.text.startswith(NEW_CODE)]
    assert "Prescriber's dose sign-off* — <@UPRESCRIB>" in str(card.blocks)


def test_a_message_queued_by_a_click_goes_at_once_not_at_the_next_poll(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator, pair_channel: str) -> None:
    thread = DeliveryThread(worker, poll=60)
    clinic.services.db.on_commit.append(thread.wake)
    thread.start()
    try:
        schedule_new_patients_session(clinic)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
                t.startswith(NEW_CODE) for t in texts(slack, pair_channel)):
            time.sleep(0.02)
    finally:
        thread.stop()
    assert [t for t in texts(slack, pair_channel) if t.startswith(NEW_CODE)]


def test_check_ins_within_a_second_wake_the_worker_once_not_at_each_click(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator, pair_channel: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    session = card_posted_on_the_day(clinic, worker)
    clinic.prepare(session)
    accepted(clinic.start(session))
    drain(worker)
    rounds: list[int] = []
    run_once = worker.run_once
    monkeypatch.setattr(worker, "run_once", lambda: rounds.append(1) or run_once())
    thread = DeliveryThread(worker, poll=60)
    clinic.services.db.on_commit.append(thread.wake)
    thread.start()
    try:
        time.sleep(0.2)  # the worker has looked once and sleeps
        before = len(rounds)
        for _ in range(20):
            clinic.clock.advance(timedelta(milliseconds=5))
            accepted(clinic.services.check_in(THERAPIST, session))
        time.sleep(0.2)
    finally:
        thread.stop()
    assert len(rounds) - before <= 3  # the first check-in's edit woke it; it waits its second


def test_a_timeout_after_slack_accepted_the_post_does_not_post_twice(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator, pair_channel: str) -> None:
    slack.faults.drop_after_accept(method="chat.postMessage")
    schedule_new_patients_session(clinic)
    worker.run_once()
    clinic.clock.advance(timedelta(minutes=2))  # the lease and the backoff have passed
    drain(worker)
    cards = [t for t in texts(slack, pair_channel) if t.startswith(NEW_CODE)]
    assert len(cards) == 1
    assert [m.state for m in rows(clinic.services, OutboxMessage)
            if m.kind == "session_card"] == ["sent"]


def test_no_request_is_made_before_retry_after_has_passed(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator, pair_channel: str) -> None:
    slack.faults.rate_limited(retry_after=30, method="chat.postMessage")
    schedule_new_patients_session(clinic)
    before = len(slack.calls("chat.postMessage"))
    worker.run_once()
    clinic.clock.advance(timedelta(seconds=29))
    drain(worker)
    assert len(slack.calls("chat.postMessage")) == before + 1  # only the refused one
    clinic.clock.advance(timedelta(seconds=1))
    worker.run_once()
    assert len([t for t in texts(slack, pair_channel) if t.startswith(NEW_CODE)]) == 1


def test_server_errors_back_off_and_the_message_arrives_once(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator, pair_channel: str) -> None:
    slack.faults.server_error(times=2, method="chat.postMessage")
    schedule_new_patients_session(clinic)
    for _ in range(3):
        worker.run_once()
        clinic.clock.advance(timedelta(seconds=10))
    assert len([t for t in texts(slack, pair_channel) if t.startswith(NEW_CODE)]) == 1


def test_a_message_that_keeps_failing_is_dead_lettered_and_can_be_revived(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator, pair_channel: str) -> None:
    slack.faults.server_error(times=4, method="chat.postMessage")
    schedule_new_patients_session(clinic)
    for _ in range(5):
        worker.run_once()
        clinic.clock.advance(timedelta(minutes=1))
    [card] = [m for m in rows(clinic.services, OutboxMessage) if m.key.startswith("card:")]
    assert (card.state, card.attempts, card.last_error) == ("dead", 4, "fatal_error")
    assert card.id is not None and accepted(clinic.services.retry_message(ADMIN, card.id))
    worker.run_once()
    assert len([t for t in texts(slack, pair_channel) if t.startswith(NEW_CODE)]) == 1


def test_a_channel_that_does_not_exist_is_dead_lettered_at_once(
        clinic: Clinic, worker: Delivery) -> None:
    clinic.schedule()  # KAP-0042's pair channel C0PAIR42 is unknown to this Slack
    worker.run_once()
    [card] = [m for m in rows(clinic.services, OutboxMessage) if m.key.startswith("card:")]
    assert (card.state, card.last_error, card.attempts) == ("dead", "channel_not_found", 1)


def test_the_prescriber_gets_the_summary_and_acknowledging_it_edits_it(
        clinic: Clinic, worker: Delivery, slack: SlackEmulator, pair_channel: str) -> None:
    clinic.services.post_plan(PRESCRIBER, NEW_CODE, _plan())
    session = schedule_new_patients_session(clinic)
    clinic.at_scheduled_time(session)
    s = clinic.services
    accepted(s.complete_checklist(THERAPIST, session, _items(), 120, 80, 70, 98))
    accepted(s.sign_off_dose(PRESCRIBER, session, 100))
    accepted(s.confirm_presence(THERAPIST, session, True, 100, "sublingual"))
    accepted(s.start_session(THERAPIST, session))
    clinic.clock.advance(timedelta(minutes=121))
    accepted(s.end_session(THERAPIST, session, ["alert_oriented", "vitals_within_limits",
                                               "escort_present"]))
    drain(worker)
    [summary] = slack.workspace.messages(slack.workspace.dm_with(PRESCRIBER).id)
    assert summary.text == f"Post-session summary · {NEW_CODE}"
    accepted(s.acknowledge_summary(PRESCRIBER, session))
    drain(worker)
    [summary] = slack.workspace.messages(slack.workspace.dm_with(PRESCRIBER).id)
    assert "Acknowledged by <@UPRESCRIB>" in str(summary.blocks)


def _plan() -> PlanForm:
    return plan_form()


def _items() -> list[str]:
    return ["consent", "fasting", "no_substances", "transport", "emergency_contact"]
