"""Scripted outages: 5xx, 429 with Retry-After, timeouts, ambiguous drops, channel limits."""

import time
from urllib.error import URLError

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from kapbot.sandbox import FaultKind, SlackEmulator
from tests.sandbox.conftest import FakeClock


def test_server_errors_fail_the_next_calls_of_a_method_then_stop(
        slack: SlackEmulator, care_channel: str) -> None:
    client = slack.client(retry_handlers=[])
    slack.faults.server_error(times=2, method="chat.postMessage", status=503)
    assert client.auth_test()["ok"]  # another method is untouched
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel=care_channel, text="card")
        assert raised.value.response.status_code == 503
    assert client.chat_postMessage(channel=care_channel, text="card")["ok"]
    assert [m.text for m in slack.workspace.messages(care_channel)] == ["card"]
    assert [(c.status, c.fault) for c in slack.calls("chat.postMessage")] == [
        (503, FaultKind.SERVER_ERROR), (503, FaultKind.SERVER_ERROR), (200, None)]
    assert slack.faults.pending == []
    slack.faults.hang(5.0)
    slack.faults.clear()
    assert slack.faults.pending == [] and client.auth_test()["ok"]


def test_a_429_carries_retry_after_and_is_counted(slack: SlackEmulator,
                                                  care_channel: str) -> None:
    slack.faults.rate_limited(retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        slack.client(retry_handlers=[]).chat_postMessage(channel=care_channel, text="card")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"
    assert slack.rate_limited_count == 1 and slack.workspace.messages(care_channel) == []


def test_slack_sdks_rate_limit_handler_waits_out_retry_after(slack: SlackEmulator,
                                                             care_channel: str) -> None:
    client = slack.client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    slack.faults.rate_limited(retry_after=1, method="chat.postMessage")
    started = time.monotonic()
    assert client.chat_postMessage(channel=care_channel, text="card")["ok"]
    calls = slack.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0 and time.monotonic() - started >= 1.0
    assert len(slack.workspace.messages(care_channel)) == 1


def test_a_hang_is_a_timeout_and_stores_nothing(slack: SlackEmulator,
                                                care_channel: str) -> None:
    slack.faults.hang(0.5, method="chat.postMessage")
    client = slack.client(timeout=0.2, retry_handlers=[])
    with pytest.raises((TimeoutError, URLError)):
        client.chat_postMessage(channel=care_channel, text="card")
    assert slack.workspace.messages(care_channel) == []
    deadline = time.monotonic() + 2.0
    while not slack.calls("chat.postMessage") and time.monotonic() < deadline:
        time.sleep(0.05)  # the emulator records the hung request when it gives up on it
    [call] = slack.calls("chat.postMessage")
    assert (call.fault, call.answered) == (FaultKind.HANG, False)


def test_a_dropped_answer_after_acceptance_is_ambiguous(slack: SlackEmulator,
                                                        care_channel: str) -> None:
    slack.faults.drop_after_accept(method="chat.postMessage")
    with pytest.raises(ConnectionError):
        slack.client(retry_handlers=[]).chat_postMessage(channel=care_channel, text="card")
    [stored] = slack.workspace.messages(care_channel)
    [call] = slack.calls("chat.postMessage")
    assert call.answered is False and call.response["ts"] == stored.ts  # type: ignore[index]


def test_slack_sdks_default_retry_turns_a_drop_into_a_duplicate(
        slack: SlackEmulator, care_channel: str) -> None:
    """Why kapbot's outbox must be idempotent: the default connection-error retry re-posts."""
    slack.faults.drop_after_accept(method="chat.postMessage")
    answer = slack.client().chat_postMessage(channel=care_channel, text="card")
    assert answer["ok"]
    assert [m.text for m in slack.workspace.messages(care_channel)] == ["card", "card"]


def test_channel_rate_limit_allows_about_one_post_per_second_per_channel(
        slack_on_clock: SlackEmulator, clock: FakeClock) -> None:
    slack = slack_on_clock
    client = slack.client(retry_handlers=[])
    first = client.conversations_create(name="care-1")["channel"]["id"]
    second = client.conversations_create(name="care-2")["channel"]["id"]
    slack.limit_channel_posts(per_second=1.0)
    assert client.chat_postMessage(channel=first, text="1")["ok"]
    clock.advance(0.4)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=first, text="2")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert client.chat_postMessage(channel=second, text="elsewhere")["ok"]
    assert client.chat_update(channel=first, ts=slack.workspace.messages(first)[0].ts,
                              text="edits are not limited")["ok"]
    clock.advance(0.6)
    assert client.chat_postMessage(channel="#care-1", text="2")["ok"]
    assert slack.rate_limited_count == 1
    slack.limit_channel_posts(None)
    assert client.chat_postMessage(channel=first, text="3")["ok"]


def test_channel_rate_limit_is_honoured_by_slack_sdk(slack: SlackEmulator,
                                                     care_channel: str) -> None:
    slack.limit_channel_posts(per_second=1.0)
    client = slack.client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    for text in ("first", "second"):
        assert client.chat_postMessage(channel=care_channel, text=text)["ok"]
    assert [m.text for m in slack.workspace.messages(care_channel)] == ["first", "second"]
    assert slack.rate_limited_count == 1


def test_faults_can_hit_response_urls(slack: SlackEmulator, care_channel: str) -> None:
    url = slack.workspace.issue_response_url(slack.workspace.user("ada").id, care_channel)
    slack.faults.server_error(method="response_url")
    assert WebhookClient(url).send(text="first try").status_code == 500
    assert WebhookClient(url).send(text="second try").status_code == 200
    assert [e.text for e in slack.workspace.ephemeral("ada")] == ["second try"]
