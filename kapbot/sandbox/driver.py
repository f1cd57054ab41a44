"""A person using Slack, aimed at an app's HTTP endpoint (`POST /slack/events`).

It sends what Slack would send, signed with the app's signing secret, and then does what
Slack would do with the app's answer: show a command's reply, close or update the modal,
put errors under the fields. People find buttons by their labels and fill modals by
their input labels, so a test reads like a clinician's afternoon, not like JSON.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from kapbot.sandbox import block_kit, payloads
from kapbot.sandbox.modal_form import Answer, fields, fill, initial_values
from kapbot.sandbox.rendering import message_text, view_text
from kapbot.sandbox.responses import show_answer
from kapbot.sandbox.screen import Screen, screen_of
from kapbot.sandbox.slack_api import SlackEmulator
from kapbot.sandbox.workspace import Channel, SlackError, User, View

SLACK_ACK_DEADLINE = 3.0
"""Seconds Slack waits for an app's answer before telling the person it failed."""
STALE_AGE = 10 * 60
"""How old a replayed request's timestamp is: past the 5 minutes apps must accept."""

Tamper = Literal["unsigned", "bad_signature", "stale_timestamp"]
SubmitAction = Literal["close", "clear", "update", "push", "errors", "failed"]


@dataclass(frozen=True)
class AppResponse:
    """The app's HTTP answer to one request, and how long it took."""

    status: int
    body: str
    headers: dict[str, str]
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


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
    """People of the emulator's workspace, acting on an app over HTTP.

    `who` arguments take a user id or a user name ("ada" or "@ada").
    """

    def __init__(self, slack: SlackEmulator, app_url: str, signing_secret: str, *,
                 timeout: float = 10.0, ack_deadline: float = SLACK_ACK_DEADLINE) -> None:
        self.slack = slack
        self.workspace = slack.workspace
        self.app_url = app_url
        self.timeout = timeout
        self.ack_deadline = ack_deadline
        self._signer = SignatureVerifier(signing_secret)
        self._last: tuple[bytes, str] | None = None

    # ---- sending ---------------------------------------------------------------------------

    def _post(self, body: bytes, content_type: str, *, signer: SignatureVerifier | None,
              timestamp: int | None = None, extra: Mapping[str, str] | None = None,
              remember: bool = True) -> AppResponse:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **(extra or {})}
        if signer is not None:
            headers["X-Slack-Signature"] = str(signer.generate_signature(timestamp=stamp,
                                                                         body=body))
        if remember:
            self._last = (body, content_type)
        request = urllib.request.Request(self.app_url, data=body, headers=headers,
                                         method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status, text, answer_headers = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as refused:
            status, text, answer_headers = refused.code, refused.read(), refused.headers
        return AppResponse(status, text.decode("utf-8", "replace"), dict(answer_headers),
                           time.monotonic() - started)

    def _post_form(self, form: Mapping[str, str]) -> AppResponse:
        return self._post(urlencode(form).encode(), "application/x-www-form-urlencoded",
                          signer=self._signer)

    def _post_payload(self, payload: dict[str, Any]) -> AppResponse:
        return self._post_form({"payload": json.dumps(payload)})

    def _in_time(self, response: AppResponse) -> bool:
        return response.status == 200 and response.elapsed <= self.ack_deadline

    def retry(self, retry_num: int = 1, reason: str = "http_timeout") -> AppResponse:
        """The last request again, freshly signed, marked as Slack marks its re-deliveries."""
        if self._last is None:
            raise RuntimeError("nothing was sent yet, so there is nothing to retry")
        body, content_type = self._last
        return self._post(body, content_type, signer=self._signer,
                          extra={"X-Slack-Retry-Num": str(retry_num),
                                 "X-Slack-Retry-Reason": reason})

    def send_tampered(self, how: Tamper, body: bytes | None = None) -> AppResponse:
        """A request that is not Slack's: unsigned, signed with another secret, or replayed
        with a timestamp older than five minutes. Defaults to the last request's body."""
        if body is None:
            if self._last is None:
                raise RuntimeError("give a body, or send a real request first")
            body, content_type = self._last
        else:
            content_type = "application/x-www-form-urlencoded"
        if how == "unsigned":
            return self._post(body, content_type, signer=None, remember=False)
        if how == "bad_signature":
            return self._post(body, content_type, signer=SignatureVerifier("not-the-secret"),
                              remember=False)
        return self._post(body, content_type, signer=self._signer, remember=False,
                          timestamp=int(time.time()) - STALE_AGE)

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
        response = self._post_form(form)
        if not self._in_time(response):
            error = "operation_timeout" if response.status == 200 else "dispatch_failed"
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
        """One Events API event, in its envelope, as JSON."""
        envelope = payloads.event_callback(self.workspace, dict(event))
        return self._post(json.dumps(envelope).encode(), "application/json",
                          signer=self._signer)

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
        return self._post_payload(payload)

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
        response = self._post_payload(submission)
        return self._after_submission(user, view, response)

    def _after_submission(self, user: User, view: View, response: AppResponse) -> SubmitOutcome:
        ws = self.workspace
        if not self._in_time(response):
            return SubmitOutcome("failed", {}, response,
                                 f"HTTP {response.status} after {response.elapsed:.2f} s")
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
        return self._post_payload(payloads.view_closed(ws, user, shaped, is_cleared=clears))

    # ---- reading ---------------------------------------------------------------------------

    def sees(self, who: str) -> Screen:
        """Everything the person can read right now, as text."""
        return screen_of(self.workspace, who)
