"""The Slack Web API methods kapbot calls, answered from the local workspace.

Each handler takes a request's arguments (decoded from a form or JSON body) and returns
Slack's response body, or raises SlackError with the error code Slack would give, so
slack_sdk raises the same SlackApiError it would raise against Slack itself.
"""

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from kapbot.sandbox import block_kit
from kapbot.sandbox.workspace import Channel, Message, SlackError, Workspace

Response = dict[str, Any]

HISTORY_LIMIT_DEFAULT = 100
CHANNEL_NAME_MAX = 80
_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")
_CURSOR_PREFIX = "next_ts:"


class Args:
    """A request's arguments. Form bodies carry everything as strings, JSON bodies do not."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw

    def text(self, key: str) -> str | None:
        value = self._raw.get(key)
        return None if value is None else str(value)

    def required(self, key: str, error: str) -> str:
        value = self.text(key)
        if not value:
            raise SlackError(error)
        return value

    def flag(self, key: str) -> bool:
        value = self._raw.get(key)
        if isinstance(value, str):
            return value.lower() in {"1", "true", "yes"}
        return bool(value)

    def number(self, key: str, default: float) -> float:
        value = self._raw.get(key)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None

    def structured(self, key: str, error: str) -> Any:
        """A list or object argument, which form bodies send as a JSON string."""
        value = self._raw.get(key)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackError(error) from None

    def ids(self, key: str) -> list[str]:
        value = self._raw.get(key)
        if isinstance(value, list):
            return [str(v) for v in value]
        return [v.strip() for v in str(value or "").split(",") if v.strip()]


def message_content(text: str | None, blocks: object,
                    *, required: bool) -> tuple[str | None, list[dict[str, Any]] | None]:
    """Text and blocks of a message, refused as Slack refuses them."""
    if text is not None and len(text) > block_kit.MESSAGE_TEXT_MAX:
        raise SlackError("msg_too_long")
    if blocks is not None:
        problems = block_kit.block_problems(blocks, limit=block_kit.MESSAGE_BLOCKS_MAX)
        if problems:
            raise SlackError("invalid_blocks", problems)
    checked = blocks if isinstance(blocks, list) else None
    if required and not text and not checked:
        raise SlackError("no_text")
    return text, checked


def _metadata(args: Args) -> dict[str, Any] | None:
    metadata = args.structured("metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if (not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload"), dict)):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


class WebMethods:
    """Slack's side of every Web API method the sandbox serves."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._handlers: dict[str, Callable[[Args], Response]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "conversations.create": self.conversations_create,
            "conversations.invite": self.conversations_invite,
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "conversations.info": self.conversations_info,
            "conversations.list": self.conversations_list,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "users.info": self.users_info,
        }

    def call(self, method: str, raw_args: Mapping[str, Any]) -> Response:
        handler = self._handlers.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        try:
            with self.workspace.lock:
                return handler(Args(raw_args))
        except SlackError as refusal:
            response: Response = {"ok": False, "error": refusal.code}
            if refusal.messages:
                response["response_metadata"] = {"messages": refusal.messages}
            return response

    # ---- helpers ---------------------------------------------------------------------------

    def _conversation(self, args: Args, *, bot_must_be_member: bool = True) -> Channel:
        """The channel argument, as the bot may see it: private ones it is not in are hidden."""
        channel = self.workspace.find_channel(args.required("channel", "channel_not_found"))
        if channel is None:
            raise SlackError("channel_not_found")
        is_member = self.workspace.bot.id in channel.members
        if channel.is_private and not is_member:
            raise SlackError("channel_not_found")
        if bot_must_be_member and not is_member:
            raise SlackError("not_in_channel")
        return channel

    def _channel_to_api(self, channel: Channel) -> Response:
        return channel.to_api(bot_user_id=self.workspace.bot.id, team_id=self.workspace.team_id)

    def _own_message(self, args: Args, cannot: str) -> Message:
        channel = self._conversation(args)
        message = self.workspace.find_message(channel.id, args.required("ts", "message_not_found"))
        if message is None:
            raise SlackError("message_not_found")
        if message.user != self.workspace.bot.id:
            raise SlackError(cannot)
        return message

    def _view_argument(self, args: Args, surface: str) -> dict[str, Any]:
        view = args.structured("view", "invalid_arguments")
        refusal = block_kit.view_problems(view, surface=surface)
        if refusal is not None:
            raise SlackError(*refusal)
        return view

    def _user(self, args: Args, key: str) -> str:
        user_id = args.required(key, "user_not_found")
        if user_id not in self.workspace.users:
            raise SlackError("user_not_found")
        return user_id

    def _modal_user(self, args: Args) -> str:
        return self.workspace.redeem_trigger(args.required("trigger_id", "invalid_trigger_id"))

    # ---- auth and users --------------------------------------------------------------------

    def auth_test(self, _args: Args) -> Response:
        ws = self.workspace
        return {"ok": True, "url": f"https://{ws.team_domain}.slack.com/", "team": ws.team_name,
                "user": ws.bot.name, "team_id": ws.team_id, "user_id": ws.bot.id,
                "bot_id": ws.bot_id, "is_enterprise_install": False}

    def users_info(self, args: Args) -> Response:
        return {"ok": True, "user": self.workspace.users[self._user(args, "user")].to_api()}

    # ---- chat ------------------------------------------------------------------------------

    def chat_post_message(self, args: Args) -> Response:
        channel = self._conversation(args)
        text, blocks = message_content(args.text("text"),
                                       args.structured("blocks", "invalid_blocks_format"),
                                       required=True)
        message = self.workspace.post(channel, text=text or "", blocks=blocks or [],
                                      metadata=_metadata(args), thread_ts=args.text("thread_ts"))
        return {"ok": True, "channel": channel.id, "ts": message.ts,
                "message": self.workspace.message_to_api(message, with_metadata=True)}

    def chat_update(self, args: Args) -> Response:
        message = self._own_message(args, "cant_update_message")
        text, blocks = message_content(args.text("text"),
                                       args.structured("blocks", "invalid_blocks_format"),
                                       required=False)
        self.workspace.edit(message, text=text, blocks=blocks, metadata=_metadata(args))
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text,
                "message": self.workspace.message_to_api(message, with_metadata=True)}

    def chat_post_ephemeral(self, args: Args) -> Response:
        channel = self._conversation(args)
        user = self._user(args, "user")
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks = message_content(args.text("text"),
                                       args.structured("blocks", "invalid_blocks_format"),
                                       required=True)
        note = self.workspace.add_ephemeral(user, channel.id, text=text or "",
                                            blocks=blocks or [], origin="chat.postEphemeral")
        return {"ok": True, "message_ts": note.ts}

    def chat_delete(self, args: Args) -> Response:
        message = self._own_message(args, "cant_delete_message")
        self.workspace.delete(message)
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    # ---- conversations ---------------------------------------------------------------------

    def conversations_create(self, args: Args) -> Response:
        name = args.required("name", "invalid_name_required")
        if len(name) > CHANNEL_NAME_MAX:
            raise SlackError("invalid_name_maxlength")
        if not _CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        channel = self.workspace.add_channel(name, members=[self.workspace.bot.id],
                                             is_private=args.flag("is_private"))
        return {"ok": True, "channel": self._channel_to_api(channel)}

    def conversations_invite(self, args: Args) -> Response:
        channel = self._conversation(args)
        user_ids = args.ids("users")
        if not user_ids:
            raise SlackError("no_user")
        for user_id in user_ids:
            if user_id == self.workspace.bot.id:
                raise SlackError("cant_invite_self")
            if user_id not in self.workspace.users:
                raise SlackError("user_not_found")
            if user_id in channel.members:
                raise SlackError("already_in_channel")
        channel.members.update(user_ids)
        return {"ok": True, "channel": self._channel_to_api(channel)}

    def conversations_open(self, args: Args) -> Response:
        user_ids = args.ids("users")
        if len(user_ids) != 1:
            raise SlackError("invalid_arguments",
                             ["[ERROR] the sandbox opens direct messages with one person only"])
        if user_ids[0] not in self.workspace.users or user_ids[0] == self.workspace.bot.id:
            raise SlackError("user_not_found")
        already_open = self.workspace.dm_channel(user_ids[0]) is not None
        channel = self.workspace.dm_with(user_ids[0])
        shaped = self._channel_to_api(channel) if args.flag("return_im") else {"id": channel.id}
        response: Response = {"ok": True, "channel": shaped}
        if already_open:
            response |= {"no_op": True, "already_open": True}
        return response

    def conversations_history(self, args: Args) -> Response:
        channel = self._conversation(args)
        inclusive = args.flag("inclusive")
        oldest = args.number("oldest", 0.0)
        latest = args.number("latest", float("inf"))
        cursor = args.text("cursor")
        if cursor:
            decoded = base64.b64decode(cursor).decode()
            latest, inclusive = float(decoded.removeprefix(_CURSOR_PREFIX)), False
        limit = int(args.number("limit", HISTORY_LIMIT_DEFAULT)) or HISTORY_LIMIT_DEFAULT

        def within(message: Message) -> bool:
            ts = float(message.ts)
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        top_level = [m for m in self.workspace.messages(channel.id)
                     if (m.thread_ts is None or m.thread_ts == m.ts) and within(m)]
        newest_first = sorted(top_level, key=lambda m: float(m.ts), reverse=True)
        page, rest = newest_first[:limit], newest_first[limit:]
        next_cursor = ""
        if rest:
            next_cursor = base64.b64encode(f"{_CURSOR_PREFIX}{page[-1].ts}".encode()).decode()
        with_metadata = args.flag("include_all_metadata")
        return {"ok": True,
                "messages": [self.workspace.message_to_api(m, with_metadata=with_metadata)
                             for m in page],
                "has_more": bool(rest), "pin_count": 0, "channel_actions_ts": None,
                "channel_actions_count": 0,
                "response_metadata": {"next_cursor": next_cursor}}

    def conversations_list(self, args: Args) -> Response:
        """The conversations the bot can see, of the asked types, a page at a time."""
        types = set((args.text("types") or "public_channel").split(","))
        with self.workspace.lock:
            visible = [c for c in self.workspace.channels.values()
                       if not c.is_im and ("private_channel" if c.is_private
                                           else "public_channel") in types
                       and (not c.is_private or self.workspace.bot.id in c.members)]
        limit = int(args.number("limit", HISTORY_LIMIT_DEFAULT)) or HISTORY_LIMIT_DEFAULT
        cursor = args.text("cursor")
        start = int(base64.b64decode(cursor).decode()) if cursor else 0
        page = visible[start:start + limit]
        rest = start + limit < len(visible)
        return {"ok": True, "channels": [self._channel_to_api(c) for c in page],
                "response_metadata": {"next_cursor": base64.b64encode(
                    str(start + limit).encode()).decode() if rest else ""}}

    def conversations_info(self, args: Args) -> Response:
        channel = self._conversation(args, bot_must_be_member=False)
        shaped = self._channel_to_api(channel)
        if args.flag("include_num_members"):
            shaped["num_members"] = len(channel.members)
        return {"ok": True, "channel": shaped}

    # ---- views -----------------------------------------------------------------------------

    def views_open(self, args: Args) -> Response:
        view = self._view_argument(args, "modal")
        opened = self.workspace.open_modal(self._modal_user(args), view)
        return {"ok": True, "view": self.workspace.view_to_api(opened)}

    def views_push(self, args: Args) -> Response:
        view = self._view_argument(args, "modal")
        pushed = self.workspace.push_modal(self._modal_user(args), view)
        return {"ok": True, "view": self.workspace.view_to_api(pushed)}

    def views_update(self, args: Args) -> Response:
        view_id, external_id = args.text("view_id"), args.text("external_id")
        if not view_id and not external_id:
            raise SlackError("invalid_arguments",
                             ["[ERROR] view_id or external_id is required"])
        target = self.workspace.find_view(view_id=view_id, external_id=external_id)
        if target is None:
            raise SlackError("not_found")
        expected_hash = args.text("hash")
        if expected_hash and expected_hash != target.hash:
            raise SlackError("hash_conflict")
        view = self._view_argument(args, target.type)
        return {"ok": True, "view": self.workspace.view_to_api(
            self.workspace.replace_view(target, view))}

    def views_publish(self, args: Args) -> Response:
        user = self._user(args, "user_id")
        view = self._view_argument(args, "home")
        current = self.workspace.home(user)
        expected_hash = args.text("hash")
        if current is not None and expected_hash and expected_hash != current.hash:
            raise SlackError("hash_conflict")
        return {"ok": True, "view": self.workspace.view_to_api(
            self.workspace.publish_home(user, view))}
