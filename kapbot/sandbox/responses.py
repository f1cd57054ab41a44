"""What Slack does with an app's answer to one person's command or click.

Two roads lead here: a POST to a response URL (Bolt's `respond`) and the body of the ack
to a slash command. Both end as an ephemeral note for that person, a message in the
channel, or an edit of the message whose button was pressed.
"""

from typing import Any

from kapbot.sandbox.web_methods import message_content
from kapbot.sandbox.workspace import (
    RESPONSE_URL_LIFETIME,
    RESPONSE_URL_USES,
    Ephemeral,
    Message,
    ResponseUrl,
    SlackError,
    Workspace,
)


def _content(body: dict[str, Any], *, required: bool) -> tuple[str, list[dict[str, Any]]]:
    text = body.get("text")
    text, blocks = message_content(None if text is None else str(text), body.get("blocks"),
                                   required=required)
    return text or "", blocks or []


def show_answer(workspace: Workspace, user: str, channel: str, body: dict[str, Any],
                *, origin: str) -> None:
    """A new answer: in the channel for everyone, or (the default) for this person only."""
    text, blocks = _content(body, required=True)
    if body.get("response_type") == "in_channel":
        workspace.post(workspace.channel(channel), text=text, blocks=blocks)
    else:
        workspace.add_ephemeral(user, channel, text=text, blocks=blocks, origin=origin)


def _source(workspace: Workspace, url: ResponseUrl) -> Message | Ephemeral | None:
    if url.source_ts is None:
        return None
    if url.source_is_ephemeral:
        return workspace.find_ephemeral(url.user, url.source_ts)
    return workspace.find_message(url.channel, url.source_ts)


def post_to_response_url(workspace: Workspace, url_id: str,
                         body: dict[str, Any]) -> tuple[int, str]:
    """HTTP status and text body, as Slack answers a POST to a response URL.

    `replace_original` edits the message (or ephemeral note) whose button was pressed and
    `delete_original` removes it; otherwise the answer is new. A URL works five times
    within thirty minutes.
    """
    with workspace.lock:
        url = workspace.response_urls.get(url_id)
        if url is None:
            return 404, "no_active_hooks"
        if workspace.clock() - url.issued_at > RESPONSE_URL_LIFETIME:
            return 404, "expired_url"
        if url.uses >= RESPONSE_URL_USES:
            return 404, "used_url"
        url.uses += 1
        source = _source(workspace, url)
        try:
            if body.get("delete_original") and source is not None:
                _delete(workspace, source)
            elif body.get("replace_original") and source is not None:
                _replace(workspace, source, body)
            else:
                show_answer(workspace, url.user, url.channel, body, origin="response_url")
        except SlackError as refusal:
            return 400, refusal.code
        return 200, "ok"


def _delete(workspace: Workspace, source: Message | Ephemeral) -> None:
    if isinstance(source, Ephemeral):
        workspace.remove_ephemeral(source)
    else:
        workspace.delete(source)


def _replace(workspace: Workspace, source: Message | Ephemeral, body: dict[str, Any]) -> None:
    text, blocks = _content(body, required=True)
    if isinstance(source, Ephemeral):
        workspace.replace_ephemeral(source, text=text, blocks=blocks)
    else:
        workspace.edit(source, text=text, blocks=blocks, metadata=None)
