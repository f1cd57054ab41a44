"""A person using Slack, aimed at an app over HTTP (`POST /slack/events`) or Socket Mode.

It sends what Slack would send — signed with the app's signing secret over HTTP, in an
envelope down the app's WebSocket in Socket Mode (see transports) — and then does what
Slack would do with the app's answer: show a command's reply, close or update the modal,
put errors under the fields. People find buttons by their labels and fill modals by
their input labels, so a test reads like a clinician's afternoon, not like JSON.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

from kapbot.sandbox import block_kit, payloads
from kapbot.sandbox.modal_form import Answer, fields, fill, initial_values
from kapbot.sandbox.rendering import message_text, view_text
from kapbot.sandbox.responses import show_answer
from kapbot.sandbox.screen import Screen, screen_of
from kapbot.sandbox.slack_api import SlackEmulator
from kapbot.sandbox.transports import (
    NO_ANSWER,
    AppResponse,
    HttpTransport,
    SocketModeTransport,
    Tamper,
    Transport,
)
from kapbot.sandbox.workspace import Channel, SlackError, User, View

SLACK_ACK_DEADLINE = 3.0
"""Seconds Slack waits for an app's answer before telling the person it failed."""

SubmitAction = Literal["close", "clear", "update", "push", "errors", "failed"]


@dataclass(frozen=True)
class SubmitOutcome:
    """What the person saw after pressing Submit."""

    action: SubmitAction
    """close (this view), clear (all), update, push, errors (under fields), or failed
    (Slack's generic "trouble connecting" while the modal stays as it was)."""
    errors: dict[str, str]
    """Field label → the message under it (from the app, or from Slack's client)."""
    response: AppResponse | None
    """None when Slack's client refused to send (a required field left empty…)."""
    problem: str = ""
    """Why it failed, for the failed action."""


@dataclass(frozen=True)
class _Target:
    """Where a button was found: a view, an ephemeral note or a message."""

    kind: Literal["view", "ephemeral", "message"]
    place: str
    blocks: list[dict[str, Any]]
    text: str
    channel: Channel | None = None
    ts: str | None = None
    view: View | None = None


class SlackDriver:
    """People of the emulator's workspace, acting on an app.

    `SlackDriver(slack, app_url, signing_secret)` reaches an app over HTTP;
    `SlackDriver.socket_mode(slack)` reaches it over the emulator's Socket Mode, once
    the app has connected. `who` arguments take a user id or a user name ("ada" or "@ada").
    """

    def __init__(self, slack: SlackEmulator, app_url: str | None = None,
                 signing_secret: str | None = None, *, timeout: float = 10.0,
                 ack_deadline: float = SLACK_ACK_DEADLINE,
                 transport: Transport | None = None) -> None:
        if transport is None:
            if app_url is None or signing_secret is None:
                raise TypeError("give the app's URL and signing secret (HTTP), or a transport")
            transport = HttpTransport(app_url, signing_secret, timeout=timeout)
        self.slack = slack
        self.workspace = slack.workspace
        self.transport = transport
        self.ack_deadline = ack_deadline

    @classmethod
    def socket_mode(cls, slack: SlackEmulator, *, timeout: float = 10.0,
                    queue_timeout: float = 30.0,
                    ack_deadline: float = SLACK_ACK_DEADLINE) -> Self:
        """People reaching the app through its Socket Mode connection to `slack`.

        An action taken while the app has no connection waits up to `queue_timeout` for
        it to reconnect, as Slack holds envelopes; the app then has `timeout` to ack.
        """
        transport = SocketModeTransport(slack.socket_mode, timeout=timeout,
                                        queue_timeout=queue_timeout)
        return cls(slack, ack_deadline=ack_deadline, transport=transport)

    # ---- sending ---------------------------------------------------------------------------

    def _in_time(self, response: AppResponse) -> bool:
        return response.status == 200 and response.elapsed <= self.ack_deadline

    def retry(self, retry_num: int = 1, reason: str = "http_timeout") -> AppResponse:
        """The last request again, marked as Slack marks its re-deliveries (over HTTP,
        X-Slack-Retry-Num and -Reason; in Socket Mode, retry_attempt and retry_reason)."""
        return self.transport.retry(retry_num, reason)

    def send_tampered(self, how: Tamper, body: bytes | None = None) -> AppResponse:
        """A request that is not Slack's: unsigned, signed with another secret, or replayed
        with a timestamp older than five minutes. Defaults to the last request's body.

        HTTP only: Socket Mode envelopes are not signed, they come down the connection the
        app itself opened with its app-level token.
        """
        if not isinstance(self.transport, HttpTransport):
            raise TypeError("only HTTP requests are signed, so only they can be tampered with")
        return self.transport.send_tampered(how, body)

    # ---- commands and events -----------------------------------------------------------

    def command(self, who: str, command: str, text: str = "", *, channel: str = "general",
                escape: bool = True) -> AppResponse:
        """Type `command text` in a channel (by name or id; a person's id means their DM).

        The reply in the ack body is shown as Slack shows it; a late or failed ack shows
        Slack's own "failed with the error" note to the person.
        """
        ws = self.workspace
        user, where = ws.user(who), ws.channel(channel)
        typed = payloads.escaped_command_text(ws, text) if escape else text
        form = payloads.slash_command(ws, user, where, command, typed,
                                      trigger_id=ws.issue_trigger(user.id),
                                      response_url=ws.issue_response_url(user.id, where.id))
        response = self.transport.command(form)
        if not self._in_time(response):
            late = response.status in (200, NO_ANSWER)
            error = "operation_timeout" if late else "dispatch_failed"
            self._slack_says(user, where, f'{command} failed with the error "{error}"')
        elif response.body.strip():
            try:
                body = response.json()
            except json.JSONDecodeError:
                body = {"text": response.body}
            try:
                show_answer(ws, user.id, where.id, body, origin="command")
            except SlackError as refusal:
                self._slack_says(user, where, f'{command} failed with the error '
                                              f'"{refusal.code}"')
        return response

    def _slack_says(self, user: User, channel: Channel, text: str) -> None:
        self.workspace.add_ephemeral(user.id, channel.id, text=text, blocks=[], origin="slack")

    def send_event(self, event: Mapping[str, Any]) -> AppResponse:
        """One Events API event, in its event_callback envelope."""
        return self.send_event_callback(payloads.event_callback(self.workspace, dict(event)))

    def send_event_callback(self, callback: Mapping[str, Any]) -> AppResponse:
        """An event_callback exactly as given (one doctored to come from elsewhere, say),
        delivered as Slack delivers it: signed over HTTP, an envelope in Socket Mode."""
        return self.transport.event(dict(callback))

    def open_home(self, who: str) -> AppResponse:
        """The person opens the app's Home tab (the app_home_opened event)."""
        ws = self.workspace
        user = ws.user(who)
        event: dict[str, Any] = {"type": "app_home_opened", "user": user.id,
                                 "channel": ws.dm_with(user.id).id, "tab": "home"}
        home = ws.home(user.id)
        if home is not None:
            event["view"] = ws.view_to_api(home)
        return self.send_event(event)

    # ---- buttons ---------------------------------------------------------------------------

    def _targets(self, user: User, where: str | None) -> list[_Target]:
        ws = self.workspace
        targets: list[_Target] = []
        if where in (None, "modal") and (stack := ws.modals(user.id)):
            targets.append(_Target("view", "their open modal", stack[-1].blocks,
                                   view_text(stack[-1].payload, ws), view=stack[-1]))
        if where in (None, "home") and (home := ws.home(user.id)) is not None:
            targets.append(_Target("view", "their App Home", home.blocks,
                                   view_text(home.payload, ws), view=home))
        if where in (None, "ephemeral"):
            targets += [_Target("ephemeral", "an ephemeral note", note.blocks,
                                message_text(note.text, note.blocks, ws),
                                ws.channels[note.channel], note.ts)
                        for note in ws.ephemeral(user.id)]
        if where is None:
            channels = [c for c in ws.channels.values() if user.id in c.members]
        elif where == "dm":
            channels = [ws.dm_with(user.id)]
        elif where in ("modal", "home", "ephemeral"):
            channels = []
        else:
            channels = [ws.channel(where)]
            if user.id not in channels[0].members:
                raise LookupError(f"{user.name} is not in {where}, so sees nothing there")
        for channel in channels:
            place = "their DM with the app" if channel.is_im else f"#{channel.name}"
            targets += [_Target("message", place, m.blocks,
                                message_text(m.text, m.blocks, ws), channel, m.ts)
                        for m in ws.messages(channel.id)]
        return targets

    def click(self, who: str, label: str, *, where: str | None = None,
              containing: str | None = None) -> AppResponse:
        """Press the button labelled `label` that the person can see.

        `where` narrows the search to "modal", "home", "ephemeral", "dm" or a channel (name
        or id); `containing` to messages or views whose text contains it. A label found
        nowhere, or in more than one place, is a LookupError naming what was seen.
        """
        ws = self.workspace
        with ws.lock:
            user = ws.user(who)
            found = [(target, block, element)
                     for target in self._targets(user, where)
                     if containing is None or containing in target.text
                     for block, element in block_kit.buttons(target.blocks)
                     if block_kit.button_label(element) == label]
            if len(found) != 1:
                raise LookupError(self._not_one_button(user, label, where, found))
            target, block, element = found[0]
            payload = self._block_actions(user, target, block["block_id"], element)
        return self.transport.interaction(payload)

    def _not_one_button(self, user: User, label: str, where: str | None,
                        found: list[tuple[_Target, dict[str, Any], dict[str, Any]]]) -> str:
        if found:
            places = [target.place for target, _, _ in found]
            return (f"{user.name} sees {len(found)} buttons labelled {label!r} (in {places}); "
                    "narrow with where= or containing=")
        seen = sorted({f"{block_kit.button_label(e)!r} in {t.place}"
                       for t in self._targets(user, where)
                       for _, e in block_kit.buttons(t.blocks)})
        return f"{user.name} sees no button labelled {label!r}; they see: {seen or 'none'}"

    def _block_actions(self, user: User, target: _Target, block_id: str,
                       element: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        trigger_id = ws.issue_trigger(user.id)
        if target.view is not None:
            view = ws.view_to_api(target.view, state=initial_values(target.view.blocks))
            return payloads.block_actions(
                ws, user, block_id=block_id, element=element, trigger_id=trigger_id,
                container={"type": "view", "view_id": target.view.id}, view=view)
        assert target.channel is not None and target.ts is not None
        is_ephemeral = target.kind == "ephemeral"
        message = None
        if not is_ephemeral:
            stored = ws.find_message(target.channel.id, target.ts)
            assert stored is not None
            message = ws.message_to_api(stored, with_metadata=True)
        return payloads.block_actions(
            ws, user, block_id=block_id, element=element, trigger_id=trigger_id,
            container={"type": "message", "message_ts": target.ts,
                       "channel_id": target.channel.id, "is_ephemeral": is_ephemeral},
            channel=target.channel, message=message,
            response_url=ws.issue_response_url(user.id, target.channel.id,
                                               source_ts=target.ts,
                                               source_is_ephemeral=is_ephemeral))

    # ---- modals ----------------------------------------------------------------------------

    def _top_modal(self, user: User) -> View:
        stack = self.workspace.modals(user.id)
        if not stack:
            raise LookupError(f"{user.name} has no modal open")
        return stack[-1]

    def fill_and_submit(self, who: str, answers: Mapping[str, Answer]) -> SubmitOutcome:
        """Fill the person's top modal by input labels (or checkbox option texts), press
        its submit button, and do what Slack does with the app's answer."""
        ws = self.workspace
        user = ws.user(who)
        view = self._top_modal(user)
        form = fill(view.blocks, answers)
        if form.problems:
            return SubmitOutcome("errors", form.problems, None)
        submission = payloads.view_submission(ws, user, ws.view_to_api(view, state=form.values),
                                              trigger_id=ws.issue_trigger(user.id))
        response = self.transport.interaction(submission)
        return self._after_submission(user, view, response)

    def _after_submission(self, user: User, view: View, response: AppResponse) -> SubmitOutcome:
        ws = self.workspace
        if not self._in_time(response):
            answer = "no ack" if response.status == NO_ANSWER else f"HTTP {response.status}"
            return SubmitOutcome("failed", {}, response,
                                 f"{answer} after {response.elapsed:.2f} s")
        try:
            body = response.json() or {}
        except json.JSONDecodeError:
            return SubmitOutcome("failed", {}, response, "the answer is not JSON")
        action = body.get("response_action")
        if action is None:
            ws.close_top_modal(user.id)
            return SubmitOutcome("close", {}, response)
        if action == "clear":
            ws.clear_modals(user.id)
            return SubmitOutcome("clear", {}, response)
        if action == "errors":
            labels = {field.block_id: field.label for field in fields(view.blocks)}
            errors = {labels.get(str(block_id), str(block_id)): str(message)
                      for block_id, message in dict(body.get("errors", {})).items()}
            return SubmitOutcome("errors", errors, response)
        if action not in ("update", "push"):
            return SubmitOutcome("failed", {}, response, f"unknown response_action {action!r}")
        refusal = block_kit.view_problems(body.get("view"), surface="modal")
        if refusal is not None:
            return SubmitOutcome("failed", {}, response, f"{refusal[0]}: {refusal[1]}")
        try:
            if action == "update":
                ws.replace_view(view, body["view"])
            else:
                ws.push_modal(user.id, body["view"])
        except SlackError as refused:
            return SubmitOutcome("failed", {}, response, refused.code)
        return SubmitOutcome(action, {}, response)

    def close_modal(self, who: str) -> AppResponse | None:
        """Press the modal's close button; the app hears of it if it asked to."""
        ws = self.workspace
        user = ws.user(who)
        view = self._top_modal(user)
        clears = bool(view.payload.get("clear_on_close"))
        shaped = ws.view_to_api(view, state=initial_values(view.blocks))
        if clears:
            ws.clear_modals(user.id)
        else:
            ws.close_top_modal(user.id)
        if not view.payload.get("notify_on_close"):
            return None
        return self.transport.interaction(payloads.view_closed(ws, user, shaped,
                                                              is_cleared=clears))

    # ---- reading ---------------------------------------------------------------------------

    def sees(self, who: str) -> Screen:
        """Everything the person can read right now, as text."""
        return screen_of(self.workspace, who)
