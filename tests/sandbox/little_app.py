"""A small real Bolt app for proving the sandbox: a command, buttons, modals and the Home tab.

It is no part of kapbot; it uses each Slack surface once so the emulator and the driver
are tested against genuine Bolt behaviour rather than against themselves.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from threading import Thread
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import Ack, App, BoltRequest, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

SIGNING_SECRET = "sandbox-signing-secret"
DOSE_LIMIT_MG = 300


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def dose_modal() -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": "dose_check", "notify_on_close": True,
        "title": _plain("Dose check"), "submit": _plain("Record"), "close": _plain("Cancel"),
        "private_metadata": "KAP-0042",
        "blocks": [
            {"type": "input", "block_id": "dose", "label": _plain("Dose for this session (mg)"),
             "element": {"type": "number_input", "action_id": "dose",
                         "is_decimal_allowed": False, "min_value": "1"}},
            {"type": "input", "block_id": "route", "label": _plain("Route"),
             "element": {"type": "static_select", "action_id": "route",
                         "options": [_option("Sublingual", "sublingual"),
                                     _option("Buccal", "buccal")]}},
            {"type": "input", "block_id": "presence", "label": _plain("Presence"),
             "element": {"type": "checkboxes", "action_id": "presence",
                         "options": [_option("I am in the room with the patient", "yes")]}},
            {"type": "input", "block_id": "date", "label": _plain("Session date"),
             "element": {"type": "datepicker", "action_id": "date",
                         "initial_date": "2026-03-02"}},
            {"type": "input", "block_id": "notes", "label": _plain("Notes"), "optional": True,
             "element": {"type": "plain_text_input", "action_id": "notes", "multiline": True,
                         "max_length": 200}},
            {"type": "actions", "elements": [
                {"type": "button", "action_id": "add_note", "text": _plain("Add note")}]},
        ],
    }


def note_modal() -> dict[str, Any]:
    return {"type": "modal", "callback_id": "note", "title": _plain("Note"),
            "submit": _plain("Save"),
            "blocks": [{"type": "input", "block_id": "note", "label": _plain("Note"),
                        "element": {"type": "plain_text_input", "action_id": "note"}}]}


def card_blocks(state: str) -> list[dict[str, Any]]:
    return [
        {"type": "header", "text": _plain("Session KAP-0042")},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*State:* {state}"}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": "start_session", "text": _plain("Start session"),
             "value": "session-1", "style": "primary"},
            {"type": "button", "action_id": "cancel_session", "text": _plain("Cancel session"),
             "value": "session-1"}]},
    ]


def home_view() -> dict[str, Any]:
    return {"type": "home", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Waiting on you:* a dose check"},
         "accessory": {"type": "button", "action_id": "open_dose_check",
                       "text": _plain("Open dose check")}}]}


@dataclass
class LittleApp:
    app: App
    retry_nums: list[str | None] = field(default_factory=list)
    """X-Slack-Retry-Num of each app_home_opened event the app received."""
    closed_views: list[str] = field(default_factory=list)


def build_app(client: WebClient) -> LittleApp:
    app = App(client=client, signing_secret=SIGNING_SECRET, process_before_response=True)
    little = LittleApp(app)

    @app.command("/kap")
    def kap(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        verb = command["text"].split(" ")[0]
        if verb == "dose":
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=dose_modal())
        elif verb == "card":
            ack()
            client.chat_postMessage(channel=command["channel_id"], text="Session KAP-0042",
                                    blocks=card_blocks("Scheduled"))
        elif verb == "later":
            ack()
            respond(text="Answered later", blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": "Answered later"},
                 "accessory": {"type": "button", "action_id": "show_details",
                               "text": _plain("Show details")}}])
        elif verb == "slow":
            time.sleep(0.3)
            ack(text="Too late")
        else:
            ack(text=f"You typed: {command['text']}")

    @app.action("start_session")
    def start_session(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"],
                           text="Session KAP-0042 started",
                           blocks=card_blocks(f"In progress, started by <@{body['user']['id']}>"))

    @app.action("show_details")
    def show_details(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Details: nothing more to show", replace_original=True)

    @app.action("open_dose_check")
    def open_dose_check(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=dose_modal())

    @app.action("add_note")
    def add_note(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_push(trigger_id=body["trigger_id"], view=note_modal())

    @app.view("dose_check")
    def dose_check(ack: Ack, view: dict[str, Any], body: dict[str, Any],
                   client: WebClient) -> None:
        values = view["state"]["values"]
        dose = int(values["dose"]["dose"]["value"])
        if dose > DOSE_LIMIT_MG:
            ack(response_action="errors",
                errors={"dose": f"Above the policy maximum of {DOSE_LIMIT_MG} mg"})
            return
        ack()
        route = values["route"]["route"]["selected_option"]["value"]
        present = [o["value"] for o in values["presence"]["presence"]["selected_options"]]
        when = values["date"]["date"]["selected_date"]
        client.chat_postMessage(
            channel=body["user"]["id"],
            text=f"Dose check for {view['private_metadata']}: {dose} mg {route} on {when}, "
                 f"present: {present}")

    @app.view_closed("dose_check")
    def dose_check_closed(ack: Ack, view: dict[str, Any]) -> None:
        ack()
        little.closed_views.append(view["id"])

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient, request: BoltRequest) -> None:
        little.retry_nums.append(request.headers.get("x-slack-retry-num", [None])[0])
        client.views_publish(user_id=event["user"], view=home_view())

    return little


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the test output is for the tests."""


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextmanager
def serving(app: App) -> Iterator[str]:
    """The app behind Bolt's WSGI adapter on a free port; yields its /slack/events URL."""
    server = make_server("127.0.0.1", 0, SlackRequestHandler(app),
                         server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
