"""The delivery worker: the only code that sends kapbot's outgoing messages to Slack.

Effects are at-least-once, made idempotent here: every post carries its outbox key in
Slack message metadata, and a post retried after an ambiguous failure (a timeout after
Slack may have accepted it) first looks for that key in the channel's recent history.
"""

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from kapbot.clock import Clock
from kapbot.store import outbox
from kapbot.store.db import Database
from kapbot.store.outbox import Claimed

log = logging.getLogger(__name__)
MIN_IDLE = 0.02  # seconds: never spin, even when a message is due this instant

METADATA_EVENT = "kapbot_message"
# Errors that no retry can mend: dead-letter at once so an admin sees them.
PERMANENT = {"invalid_blocks", "invalid_blocks_format", "channel_not_found", "not_in_channel",
             "is_archived", "msg_too_long", "invalid_auth", "not_authed", "account_inactive",
             "token_revoked", "missing_scope", "no_text", "invalid_arguments",
             "message_not_found", "cant_update_message", "user_not_found", "method_deprecated"}



class Content(Protocol):
    """What to say and where: supplied by `kapbot.outgoing` (it reads the database)."""

    def render(self, message: Claimed) -> dict[str, Any] | None: ...

    def resolve(self, address: str) -> str | None: ...

    def opened(self, message: Claimed, channel_id: str) -> None: ...

    def dead_lettered(self, message: Claimed) -> None: ...


class Delivery:
    """Claims due outbox rows and sends them, one channel's messages in order."""

    def __init__(self, db: Database, client: WebClient, content: Content, clock: Clock,
                 worker: str, max_attempts: int = 8, lease: timedelta = timedelta(seconds=60),
                 backoff: timedelta = timedelta(seconds=2)) -> None:
        self.db, self.client, self.content, self.clock = db, client, content, clock
        self.worker, self.max_attempts, self.lease, self.backoff = (
            worker, max_attempts, lease, backoff)
        self._dm_channels: dict[str, str] = {}
        self._paused: dict[str, datetime] = {}  # method → not before, after a method-wide 429

    def run_once(self, limit: int = 20) -> int:
        """Deliver what is due now; return how many messages reached Slack."""
        sent = 0
        for message in outbox.claim(self.db, self.clock.now(), self.worker, self.lease, limit):
            sent += self._deliver(message)
        return sent

    def next_look(self, longest: float) -> datetime:
        """When to look again: as the next message may go, and within `longest` seconds."""
        now = self.clock.now()
        latest = now + timedelta(seconds=longest)
        due = outbox.next_due(self.db)
        if due is None:
            return latest
        return min(latest, max(now + timedelta(seconds=MIN_IDLE), due))

    def _deliver(self, message: Claimed) -> int:
        now = self.clock.now()
        if now < self._paused.get(message.method, now):
            outbox.retry_later(self.db, message.id, self.worker, self._paused[message.method],
                               "rate limited")
            return 0
        if message.edits and outbox.newer_edit_pending(self.db, message):
            outbox.coalesced(self.db, message.id, self.worker, now)
            return 0
        try:
            where = self._send(message)
        except SlackApiError as exc:
            self._failed(message, exc)
            return 0
        except _MustWaitError as waiting:
            self._retry(message, str(waiting), now + self.backoff)
            return 0
        except (OSError, TimeoutError) as exc:  # connection refused, reset, timed out
            self._retry(message, f"no answer from Slack ({type(exc).__name__})",
                        now + self._backoff(message))
            return 0
        outbox.sent(self.db, message, self.worker, self.clock.now(), *where)
        return 1

    def _send(self, message: Claimed) -> tuple[str | None, str | None]:
        content = self.content.render(message)
        if content is None:  # nothing left to say (e.g. the subject is gone)
            return None, None
        if message.method == "conversations.create":
            return self._create_channel(message, content)
        if message.method == "views.publish":
            self.client.api_call("views.publish", json=content)
            return None, None
        if message.method == "chat.update":
            target = outbox.delivered(self.db, message.edits or "")
            if target is None:
                raise _MustWaitError("the message to edit has not been delivered yet")
            channel, ts = target
            self.client.api_call("chat.update", json={**content, "channel": channel, "ts": ts})
            return channel, ts
        channel = self._channel(message.channel)
        if message.attempts > 1 and (ts := self._already_posted(channel, message.key)):
            return channel, ts
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": message.key}}
        response = self.client.api_call("chat.postMessage", json={
            **content, "channel": channel, "metadata": metadata})
        return response.get("channel", channel), response.get("ts")

    def _create_channel(self, message: Claimed, content: dict[str, Any]
                        ) -> tuple[str | None, str | None]:
        """A private channel, its members invited, then recorded for the messages after it.

        Every step may be a retry of one that got through before a timeout or a crash: a
        channel already created is found by its name, a member already invited is fine.
        """
        invite = content.pop("invite", [])
        try:
            channel = self.client.api_call("conversations.create", json=content)["channel"]["id"]
        except SlackApiError as exc:
            found = (self._private_channel(content["name"])
                     if exc.response.get("error") == "name_taken" else None)
            if found is None:
                raise
            channel = found
        for user in invite:
            try:
                self.client.api_call("conversations.invite",
                                     json={"channel": channel, "users": user})
            except SlackApiError as exc:
                if exc.response.get("error") != "already_in_channel":
                    raise
        self.content.opened(message, channel)
        return channel, None

    def _private_channel(self, name: str) -> str | None:
        """The ID of the bot's own private channel with this name (one it created)."""
        cursor = ""
        while True:
            page = self.client.api_call("conversations.list", params={
                "types": "private_channel", "exclude_archived": "true", "limit": 200,
                "cursor": cursor})
            for channel in page.get("channels", []):
                if channel.get("name") == name:
                    return str(channel["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor", "")
            if not cursor:
                return None

    def _channel(self, address: str) -> str:
        """A channel ID for an outbox address; `@U…` is the bot's direct message with U…."""
        if address.startswith("@"):
            user = address[1:]
            if user not in self._dm_channels:
                opened = self.client.conversations_open(users=user)
                self._dm_channels[user] = opened["channel"]["id"]
            return self._dm_channels[user]
        channel = self.content.resolve(address)
        if channel is None:
            raise _MustWaitError(f"{address} has no Slack channel yet")
        return channel

    def _already_posted(self, channel: str, key: str) -> str | None:
        """The ts of a message this key already produced, if an earlier try got through."""
        history = self.client.conversations_history(channel=channel, limit=100,
                                                    include_all_metadata=True)
        for found in history.get("messages", []):
            meta = found.get("metadata") or {}
            if (meta.get("event_type") == METADATA_EVENT
                    and (meta.get("event_payload") or {}).get("key") == key):
                return str(found["ts"])
        return None

    def _failed(self, message: Claimed, exc: SlackApiError) -> None:
        response = exc.response
        error = str(response.get("error") or f"HTTP {response.status_code}")
        now = self.clock.now()
        if response.status_code == 429:
            wait = timedelta(seconds=int(response.headers.get("Retry-After", 1) or 1))
            if message.method not in ("chat.postMessage", "chat.update"):
                self._paused[message.method] = now + wait
            outbox.retry_later(self.db, message.id, self.worker, now + wait, "rate limited")
        elif error in PERMANENT:
            log.warning("outbox message %s dead-lettered: %s", message.id, error)
            self._dead(message, error)
        else:
            self._retry(message, error, now + self._backoff(message))

    def _retry(self, message: Claimed, error: str, at: datetime) -> None:
        if message.attempts >= self.max_attempts:
            log.warning("outbox message %s dead-lettered after %s attempts: %s", message.id,
                        message.attempts, error)
            self._dead(message, error)
        else:
            outbox.retry_later(self.db, message.id, self.worker, at, error)

    def _dead(self, message: Claimed, error: str) -> None:
        if outbox.dead(self.db, message.id, self.worker, error):
            self.content.dead_lettered(message)

    def _backoff(self, message: Claimed) -> timedelta:
        return min(self.backoff * 2 ** (message.attempts - 1), timedelta(minutes=5))


class _MustWaitError(Exception):
    """Not a failure: the message must wait for another to be delivered first."""


class DeliveryThread(threading.Thread):
    """Runs the worker until stopped; a service commit can `wake` it for low latency."""

    def __init__(self, delivery: Delivery, poll: float = 1.0) -> None:
        super().__init__(name="kapbot-delivery", daemon=True)
        self.delivery, self.poll = delivery, poll
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._looking_at: datetime | None = None  # when the idle worker looks again

    def wake(self, noted: Mapping[str, Any]) -> None:
        """A commit queued messages: look at once if one may go before the worker would
        look anyway. Neither the worker's own commits nor an edit held for its second (a
        card clicked again within a second) count: they would keep waking it to find
        nothing due."""
        due = noted.get(outbox.QUEUED_DUE)
        if due is None or threading.current_thread() is self:
            return
        looking = self._looking_at
        if looking is None or due < looking:
            self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the round in hand, then end (a message half sent stays claimed and its
        lease returns it to whoever runs next)."""
        self._stopping.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        while not self._stopping.is_set():
            self._looking_at = None  # a commit during the round wakes the next one
            try:
                busy = self.delivery.run_once() > 0
            except Exception:  # the worker must outlive one bad round; the row stays queued
                log.exception("delivery round failed")
                busy = False
            if not busy:
                # The instant itself, not a duration: a message queued to go exactly then
                # (an edit waiting out its second) must not count as sooner.
                self._looking_at = self._next_look()
                idle = (self._looking_at - self.delivery.clock.now()).total_seconds()
                self._wake.wait(max(0.0, idle))
                self._wake.clear()

    def _next_look(self) -> datetime:
        try:
            return self.delivery.next_look(self.poll)
        except Exception:  # the database may be briefly unreachable: poll as usual
            log.exception("delivery could not read the next due time")
            return self.delivery.clock.now() + timedelta(seconds=self.poll)
