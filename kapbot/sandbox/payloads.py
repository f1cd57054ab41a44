"""The requests Slack sends an app when people act, shaped as Slack shapes them.

Bolt routes on these fields (command, action_id, callback_id, event type) and kapbot reads
the ids in them, so they carry the fields Slack's do; only the values are the sandbox's.
"""

import re
import secrets
from typing import Any

from kapbot.sandbox.workspace import Channel, User, Workspace

VERIFICATION_TOKEN = "sandbox-verification-token"
"""The deprecated per-app token Slack still puts in payloads; nothing should trust it."""


def _team(ws: Workspace) -> dict[str, Any]:
    return {"id": ws.team_id, "domain": ws.team_domain}


def _user(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id}


def _channel_name(channel: Channel) -> str:
    return "directmessage" if channel.is_im else channel.name


def slash_command(ws: Workspace, user: User, channel: Channel, command: str, text: str, *,
                  trigger_id: str, response_url: str) -> dict[str, str]:
    """The form fields of a slash command invocation."""
    return {
        "token": VERIFICATION_TOKEN, "team_id": ws.team_id, "team_domain": ws.team_domain,
        "channel_id": channel.id, "channel_name": _channel_name(channel),
        "user_id": user.id, "user_name": user.name, "command": command, "text": text,
        "api_app_id": ws.app_id, "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id,
    }


def block_actions(ws: Workspace, user: User, *, block_id: str, element: dict[str, Any],
                  trigger_id: str, container: dict[str, Any], channel: Channel | None = None,
                  message: dict[str, Any] | None = None, view: dict[str, Any] | None = None,
                  response_url: str | None = None) -> dict[str, Any]:
    """A click on a button, wherever it sits: a message, an ephemeral note or a view."""
    action: dict[str, Any] = {
        "action_id": element["action_id"], "block_id": block_id, "type": element["type"],
        "text": element.get("text"), "action_ts": ws.next_ts(),
    }
    for key in ("value", "style", "url"):
        if key in element:
            action[key] = element[key]
    payload: dict[str, Any] = {
        "type": "block_actions", "user": _user(user), "api_app_id": ws.app_id,
        "token": VERIFICATION_TOKEN, "container": container, "trigger_id": trigger_id,
        "team": _team(ws), "enterprise": None, "is_enterprise_install": False,
        "actions": [action],
    }
    if channel is not None:
        payload["channel"] = {"id": channel.id, "name": _channel_name(channel)}
    if message is not None:
        payload["message"] = message
        payload["state"] = {"values": {}}
    if view is not None:
        payload["view"] = view
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(ws: Workspace, user: User, view: dict[str, Any], *,
                    trigger_id: str) -> dict[str, Any]:
    return {
        "type": "view_submission", "team": _team(ws), "user": _user(user),
        "api_app_id": ws.app_id, "token": VERIFICATION_TOKEN, "trigger_id": trigger_id,
        "view": view, "response_urls": [], "enterprise": None, "is_enterprise_install": False,
    }


def view_closed(ws: Workspace, user: User, view: dict[str, Any], *,
                is_cleared: bool) -> dict[str, Any]:
    return {
        "type": "view_closed", "team": _team(ws), "user": _user(user), "api_app_id": ws.app_id,
        "token": VERIFICATION_TOKEN, "view": view, "is_cleared": is_cleared,
        "enterprise": None, "is_enterprise_install": False,
    }


def event_callback(ws: Workspace, event: dict[str, Any]) -> dict[str, Any]:
    """The Events API envelope around one event."""
    event_ts = ws.next_ts()
    return {
        "token": VERIFICATION_TOKEN, "team_id": ws.team_id, "api_app_id": ws.app_id,
        "event": {"event_ts": event_ts, **event}, "type": "event_callback",
        "event_id": f"Ev{secrets.token_hex(5).upper()}", "event_time": int(float(event_ts)),
        "authorizations": [{"enterprise_id": None, "team_id": ws.team_id,
                            "user_id": ws.bot.id, "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


_MENTION = re.compile(r"(?<![\w<])([@#])([\w.-]+)")


def escaped_command_text(ws: Workspace, typed: str) -> str:
    """What a command's text becomes on the way to the app with `should_escape: true`.

    Slack encodes &, < and >, and turns a typed "@ada" into `<@U…|ada>` and "#general"
    into `<#C…|general>` when they name a real person or channel.
    """
    encoded = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def linked(match: re.Match[str]) -> str:
        sigil, name = match.groups()
        if sigil == "@":
            if name in {"here", "channel", "everyone"}:
                return f"<!{name}>"
            user = next((u for u in ws.users.values() if u.name == name), None)
            return f"<@{user.id}|{name}>" if user else match.group(0)
        channel = next((c for c in ws.channels.values() if not c.is_im and c.name == name),
                       None)
        return f"<#{channel.id}|{name}>" if channel else match.group(0)

    return _MENTION.sub(linked, encoded)
