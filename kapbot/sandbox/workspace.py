"""The local Slack workspace: people, conversations, messages, ephemeral notes and views.

One object under one lock, because two parties change it at once: the app, through the
Web API methods served on their own threads, and the driver, acting as people. Tests read
it directly to assert what happened, so its records keep history (a message's edits, a
response URL's uses) rather than only the latest state.
"""

import itertools
import secrets
import threading
from collections.abc import Callable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from kapbot.sandbox import block_kit

TRIGGER_LIFETIME = 3.0
"""Seconds a trigger_id can be exchanged for a view, as on Slack."""
RESPONSE_URL_LIFETIME = 30 * 60.0
RESPONSE_URL_USES = 5
VIEW_STACK_MAX = 3


class SlackError(Exception):
    """A refusal Slack would answer with `{"ok": false, "error": code}`."""

    def __init__(self, code: str, messages: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.messages = messages or []


@dataclass
class User:
    id: str
    name: str
    real_name: str
    team_id: str
    tz: str = "UTC"
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id, "team_id": self.team_id, "name": self.name, "deleted": False,
            "real_name": self.real_name, "tz": self.tz, "tz_label": self.tz, "tz_offset": 0,
            "is_admin": False, "is_owner": False, "is_bot": self.is_bot,
            "is_app_user": False, "updated": 0,
            "profile": {"real_name": self.real_name, "display_name": self.name,
                        "real_name_normalized": self.real_name,
                        "display_name_normalized": self.name, "team": self.team_id},
        }


@dataclass
class Channel:
    id: str
    name: str
    created: int
    creator: str
    is_private: bool = False
    is_general: bool = False
    im_user: str | None = None
    """For a direct message channel: the person the app talks to in it."""
    members: set[str] = field(default_factory=set)

    @property
    def is_im(self) -> bool:
        return self.im_user is not None

    def to_api(self, *, bot_user_id: str, team_id: str) -> dict[str, Any]:
        if self.im_user is not None:
            return {"id": self.id, "created": self.created, "is_im": True,
                    "is_org_shared": False, "user": self.im_user, "is_user_deleted": False,
                    "priority": 0, "context_team_id": team_id}
        return {
            "id": self.id, "name": self.name, "is_channel": True, "is_group": False,
            "is_im": False, "is_mpim": False, "is_private": self.is_private,
            "created": self.created, "is_archived": False, "is_general": self.is_general,
            "unlinked": 0, "name_normalized": self.name, "is_shared": False,
            "is_org_shared": False, "is_pending_ext_shared": False,
            "is_member": bot_user_id in self.members, "creator": self.creator,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [], "context_team_id": team_id,
        }


@dataclass(frozen=True)
class MessageVersion:
    """A message as it read before an edit replaced it."""

    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    edited_ts: str | None = None
    edits: list[MessageVersion] = field(default_factory=list)
    """Earlier versions, oldest first: the card's history of chat.update calls."""


@dataclass
class Ephemeral:
    """A note only one person sees ("Only visible to you"), until it is replaced or deleted."""

    user: str
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    origin: str
    """Who made it: "chat.postEphemeral", "command" (the ack body), "response_url", "slack"."""


@dataclass
class View:
    id: str
    user: str
    payload: dict[str, Any]
    """The app's view as Slack stores it: ids filled in."""
    hash: str
    root_view_id: str
    previous_view_id: str | None = None

    @property
    def type(self) -> str:
        return str(self.payload.get("type"))

    @property
    def external_id(self) -> str:
        return str(self.payload.get("external_id", ""))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.payload.get("blocks", []))


@dataclass
class Trigger:
    id: str
    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    """Where an app answers one interaction; it remembers what it may replace."""

    id: str
    user: str
    channel: str
    issued_at: float
    source_ts: str | None = None
    """The message (or ephemeral note) whose button was pressed, if any."""
    source_is_ephemeral: bool = False
    uses: int = 0


class Workspace:
    """Everything the local Slack knows. Every public method takes the lock itself."""

    def __init__(self, *, team_id: str, team_name: str, app_id: str, bot_user_id: str,
                 bot_id: str, bot_name: str, clock: Callable[[], float]) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_name.lower().replace(" ", "-")
        self.app_id = app_id
        self.bot_id = bot_id
        self.public_url = ""
        """Root URL of the HTTP face (set when it starts); response URLs live under it."""
        self._counters: dict[str, Iterator[int]] = {}
        self._last_ts = 0.0
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self._messages: dict[str, list[Message]] = {}
        self._ephemeral: dict[str, list[Ephemeral]] = {}
        self._modals: dict[str, list[View]] = {}
        self._homes: dict[str, View] = {}
        self._triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.bot = User(bot_user_id, bot_name, bot_name, team_id, is_bot=True)
        self.users[bot_user_id] = self.bot
        self.general = self.add_channel("general", members=[], is_general=True)

    # ---- ids and time ----------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        counter = self._counters.setdefault(prefix, itertools.count(1))
        return f"{prefix}{next(counter):08d}"

    def next_ts(self) -> str:
        """A message timestamp: the clock's time, strictly increasing so ts stays a key."""
        with self.lock:
            self._last_ts = max(self.clock(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def assign_ids(self, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return block_kit.with_ids(deepcopy(blocks), lambda: self.next_id("b"))

    # ---- people and conversations ------------------------------------------------------

    def add_user(self, name: str, *, real_name: str | None = None, tz: str = "UTC",
                 user_id: str | None = None) -> User:
        """A person in the workspace; everyone starts in #general, as in a new Slack."""
        with self.lock:
            if any(user.name == name for user in self.users.values()):
                raise ValueError(f"a user named {name!r} already exists")
            user = User(user_id or self.next_id("U"), name, real_name or name, self.team_id, tz)
            self.users[user.id] = user
            self.general.members.add(user.id)
            return user

    def user(self, who: str) -> User:
        """A user by id, name or @name: tests speak of people by name."""
        with self.lock:
            if who in self.users:
                return self.users[who]
            name = who.removeprefix("@")
            for user in self.users.values():
                if user.name == name:
                    return user
            raise KeyError(f"no user {who!r} in the sandbox workspace")

    def add_channel(self, name: str, *, members: list[str], is_private: bool = False,
                    is_general: bool = False, creator: str | None = None) -> Channel:
        with self.lock:
            if self.find_channel(name) is not None:
                raise SlackError("name_taken")
            channel = Channel(self.next_id("C"), name, int(self.clock()),
                              creator or self.bot.id, is_private, is_general,
                              members={self.user(m).id for m in members})
            self.channels[channel.id] = channel
            self._messages[channel.id] = []
            return channel

    def find_channel(self, ref: str) -> Channel | None:
        """A conversation by id or name (with or without #).

        A person's user id means their DM with the app, opened if need be, as Slack does
        when an app posts to a user id.
        """
        with self.lock:
            if ref in self.channels:
                return self.channels[ref]
            if ref in self.users and not self.users[ref].is_bot:
                return self.dm_with(ref)
            name = ref.removeprefix("#")
            return next((c for c in self.channels.values() if not c.is_im and c.name == name),
                        None)

    def channel(self, ref: str) -> Channel:
        found = self.find_channel(ref)
        if found is None:
            raise KeyError(f"no channel {ref!r} in the sandbox workspace")
        return found

    def dm_with(self, who: str) -> Channel:
        """The app's direct-message channel with a person: one per person, id stable."""
        with self.lock:
            user = self.user(who)
            for channel in self.channels.values():
                if channel.im_user == user.id:
                    return channel
            channel = Channel(self.next_id("D"), user.id, int(self.clock()), self.bot.id,
                              is_private=True, im_user=user.id,
                              members={user.id, self.bot.id})
            self.channels[channel.id] = channel
            self._messages[channel.id] = []
            return channel

    def dm_channel(self, who: str) -> str | None:
        """The id of a person's DM with the app, if the app ever opened or used one."""
        with self.lock:
            user = self.user(who)
            return next((c.id for c in self.channels.values() if c.im_user == user.id), None)

    # ---- messages ------------------------------------------------------------------------

    def messages(self, ref: str) -> list[Message]:
        """A conversation's top-level messages and thread replies, oldest first."""
        with self.lock:
            return list(self._messages[self.channel(ref).id])

    def post(self, channel: Channel, *, text: str, blocks: list[dict[str, Any]],
             metadata: dict[str, Any] | None = None, thread_ts: str | None = None,
             user: str | None = None) -> Message:
        with self.lock:
            message = Message(channel.id, self.next_ts(), user or self.bot.id, text,
                              self.assign_ids(blocks), metadata, thread_ts)
            self._messages[channel.id].append(message)
            return message

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        with self.lock:
            return next((m for m in self._messages.get(channel_id, []) if m.ts == ts), None)

    def edit(self, message: Message, *, text: str | None, blocks: list[dict[str, Any]] | None,
             metadata: dict[str, Any] | None) -> Message:
        with self.lock:
            message.edits.append(MessageVersion(message.text, message.blocks, message.metadata))
            if text is not None:
                message.text = text
            if blocks is not None:
                message.blocks = self.assign_ids(blocks)
            if metadata is not None:
                message.metadata = metadata
            message.edited_ts = self.next_ts()
            return message

    def delete(self, message: Message) -> None:
        with self.lock:
            self._messages[message.channel].remove(message)

    def message_to_api(self, message: Message, *, with_metadata: bool) -> dict[str, Any]:
        shaped: dict[str, Any] = {
            "type": "message", "user": message.user, "text": message.text, "ts": message.ts,
            "blocks": deepcopy(message.blocks), "team": self.team_id,
        }
        if message.user == self.bot.id:
            shaped |= {"bot_id": self.bot_id, "app_id": self.app_id,
                       "bot_profile": {"id": self.bot_id, "app_id": self.app_id,
                                       "name": self.bot.name, "team_id": self.team_id,
                                       "deleted": False}}
        if message.thread_ts is not None:
            shaped["thread_ts"] = message.thread_ts
        if message.edited_ts is not None:
            shaped["edited"] = {"user": self.bot.id, "ts": message.edited_ts}
        if with_metadata and message.metadata is not None:
            shaped["metadata"] = deepcopy(message.metadata)
        return shaped

    # ---- ephemeral notes -------------------------------------------------------------------

    def ephemeral(self, who: str) -> list[Ephemeral]:
        """What a person was shown "only visible to you", oldest first."""
        with self.lock:
            return list(self._ephemeral.get(self.user(who).id, []))

    def add_ephemeral(self, user: str, channel: str, *, text: str,
                      blocks: list[dict[str, Any]], origin: str) -> Ephemeral:
        with self.lock:
            note = Ephemeral(user, channel, self.next_ts(), text, self.assign_ids(blocks),
                             origin)
            self._ephemeral.setdefault(user, []).append(note)
            return note

    def find_ephemeral(self, user: str, ts: str) -> Ephemeral | None:
        with self.lock:
            return next((e for e in self._ephemeral.get(user, []) if e.ts == ts), None)

    def replace_ephemeral(self, note: Ephemeral, *, text: str,
                          blocks: list[dict[str, Any]]) -> None:
        with self.lock:
            note.text = text
            note.blocks = self.assign_ids(blocks)

    def remove_ephemeral(self, note: Ephemeral) -> None:
        with self.lock:
            self._ephemeral[note.user].remove(note)

    # ---- views -----------------------------------------------------------------------------

    def modals(self, who: str) -> list[View]:
        """A person's open modal stack, bottom first; the last one is the one they see."""
        with self.lock:
            return list(self._modals.get(self.user(who).id, []))

    def home(self, who: str) -> View | None:
        with self.lock:
            return self._homes.get(self.user(who).id)

    def _new_view(self, user: str, payload: dict[str, Any], *, root: str | None,
                  previous: str | None) -> View:
        payload = deepcopy(payload)
        payload["blocks"] = self.assign_ids(payload.get("blocks", []))
        view_id = self.next_id("V")
        return View(view_id, user, payload, self._new_hash(), root or view_id, previous)

    def _new_hash(self) -> str:
        return f"{self.clock():.6f}.{secrets.token_hex(4)}"

    def _check_external_id(self, payload: dict[str, Any], replacing: View | None) -> None:
        external_id = payload.get("external_id")
        if not external_id:
            return
        existing = self.find_view(external_id=external_id)
        if existing is not None and existing is not replacing:
            raise SlackError("duplicate_external_id")

    def open_modal(self, user: str, payload: dict[str, Any]) -> View:
        """A new root modal; whatever stack the person had is replaced."""
        with self.lock:
            self._check_external_id(payload, None)
            view = self._new_view(user, payload, root=None, previous=None)
            self._modals[user] = [view]
            return view

    def push_modal(self, user: str, payload: dict[str, Any]) -> View:
        with self.lock:
            stack = self._modals.setdefault(user, [])
            if len(stack) >= VIEW_STACK_MAX:
                raise SlackError("push_limit_reached")
            self._check_external_id(payload, None)
            below = stack[-1] if stack else None
            view = self._new_view(user, payload, root=below.root_view_id if below else None,
                                  previous=below.id if below else None)
            stack.append(view)
            return view

    def replace_view(self, view: View, payload: dict[str, Any]) -> View:
        """The same view id with new content and a new hash (views.update, views.publish)."""
        with self.lock:
            self._check_external_id(payload, view)
            payload = deepcopy(payload)
            payload["blocks"] = self.assign_ids(payload.get("blocks", []))
            view.payload = payload
            view.hash = self._new_hash()
            return view

    def publish_home(self, user: str, payload: dict[str, Any]) -> View:
        with self.lock:
            current = self._homes.get(user)
            if current is not None:
                return self.replace_view(current, payload)
            self._check_external_id(payload, None)
            view = self._new_view(user, payload, root=None, previous=None)
            self._homes[user] = view
            return view

    def close_top_modal(self, user: str) -> View | None:
        with self.lock:
            stack = self._modals.get(user, [])
            return stack.pop() if stack else None

    def clear_modals(self, user: str) -> None:
        with self.lock:
            self._modals[user] = []

    def find_view(self, *, view_id: str | None = None,
                  external_id: str | None = None) -> View | None:
        with self.lock:
            views = [v for stack in self._modals.values() for v in stack]
            views += self._homes.values()
            for view in views:
                if view_id is not None and view.id == view_id:
                    return view
                if external_id and view.external_id == external_id:
                    return view
            return None

    def view_to_api(self, view: View, *, state: dict[str, Any] | None = None) -> dict[str, Any]:
        payload = view.payload
        shaped: dict[str, Any] = {
            "id": view.id, "team_id": self.team_id, "type": view.type,
            "blocks": deepcopy(payload.get("blocks", [])),
            "private_metadata": payload.get("private_metadata", ""),
            "callback_id": payload.get("callback_id", ""),
            "state": {"values": state or {}}, "hash": view.hash,
            "clear_on_close": bool(payload.get("clear_on_close", False)),
            "notify_on_close": bool(payload.get("notify_on_close", False)),
            "root_view_id": view.root_view_id, "previous_view_id": view.previous_view_id,
            "app_id": self.app_id, "external_id": view.external_id,
            "app_installed_team_id": self.team_id, "bot_id": self.bot_id,
        }
        for key in ("title", "submit", "close"):
            if key in payload:
                shaped[key] = deepcopy(payload[key])
        return shaped

    # ---- triggers and response URLs ------------------------------------------------------

    def issue_trigger(self, user: str) -> str:
        with self.lock:
            now = self.clock()
            trigger = Trigger(f"{int(now)}.{self.next_id('')}.{secrets.token_hex(8)}", user, now)
            self._triggers[trigger.id] = trigger
            return trigger.id

    def redeem_trigger(self, trigger_id: str) -> str:
        """The user a trigger opens a view for; it works once, within 3 seconds."""
        with self.lock:
            trigger = self._triggers.get(trigger_id)
            if trigger is None:
                raise SlackError("invalid_trigger_id")
            if trigger.used:
                raise SlackError("exchanged_trigger_id")
            if self.clock() - trigger.issued_at > TRIGGER_LIFETIME:
                raise SlackError("expired_trigger_id")
            trigger.used = True
            return trigger.user

    def issue_response_url(self, user: str, channel: str, *, source_ts: str | None = None,
                           source_is_ephemeral: bool = False) -> str:
        with self.lock:
            url_id = secrets.token_hex(12)
            self.response_urls[url_id] = ResponseUrl(url_id, user, channel, self.clock(),
                                                     source_ts, source_is_ephemeral)
            return f"{self.public_url}/response/{url_id}"

    def name_of_user(self, user_id: str) -> str | None:
        user = self.users.get(user_id)
        return user.name if user else None

    def name_of_channel(self, channel_id: str) -> str | None:
        channel = self.channels.get(channel_id)
        return channel.name if channel and not channel.is_im else None
