"""Buttons: on the session card, in the summary, on the App Home.

A button's value only names the subject; the service decides whether this person may act.
"""

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from kapbot.blocks import help as help_blocks
from kapbot.blocks import modals
from kapbot.blocks.notice import notice
from kapbot.services import Outcome, Services


def _subject(body: dict[str, Any]) -> int | None:
    value = (body.get("actions") or [{}])[0].get("value", "")
    return int(value) if str(value).isdigit() else None


def _refuse(body: dict[str, Any], client: WebClient, respond: Respond, outcome: Outcome
            ) -> None:
    """Only the person who pressed sees why: an ephemeral answer, or on the App Home (which
    has no response URL) a small modal."""
    if body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False,
                **help_blocks.refusal(list(outcome.reasons)))
    else:
        client.views_open(trigger_id=body["trigger_id"],
                          view=notice("Not done", list(outcome.reasons)))


def register(app: App, services: Services) -> None:
    policy = services.policy

    def session_form(form: str, build: Any) -> None:
        @app.action(f"session.{form}")
        def open_form(ack: Ack, body: dict[str, Any], client: WebClient,
                      respond: Respond) -> None:
            ack()
            session_id = _subject(body)
            if session_id is None:
                return
            outcome = services.open_session_form(body["user"]["id"], form, session_id)
            if outcome.refused:
                _refuse(body, client, respond, outcome)
                return
            client.views_open(trigger_id=body["trigger_id"], view=build(outcome.data))

    def meta(data: Any) -> dict[str, Any]:
        return {"session_id": data["session_id"]}

    session_form("checklist", lambda d: modals.checklist(d["code"], d["scheduled"], policy,
                                                         meta(d)))
    session_form("sign_off", lambda d: modals.sign_off(d["code"], d["vitals"],
                                                       d["plan_dose_mg"], meta(d)))
    session_form("presence", lambda d: modals.presence(d["code"], policy, meta(d)))
    session_form("vitals", lambda d: modals.vitals(d["code"], meta(d)))
    session_form("end", lambda d: modals.end_session(d["code"], policy, meta(d)))
    session_form("abort", lambda d: modals.abort_session(d["code"], meta(d)))
    session_form("cancel", lambda d: modals.cancel_session(d["code"], meta(d)))

    def button(action_id: str, act: Callable[[str, int], Outcome], done: str = "") -> None:
        """A button that acts at once: refusals, and cautions, go to the presser alone."""

        @app.action(action_id)
        def pressed(ack: Ack, body: dict[str, Any], client: WebClient,
                    respond: Respond) -> None:
            ack()
            subject = _subject(body)
            if subject is None:
                return
            outcome = act(body["user"]["id"], subject)
            if outcome.refused:
                _refuse(body, client, respond, outcome)
            elif outcome.warnings and body.get("response_url"):
                respond(response_type="ephemeral", replace_original=False,
                        text="\n".join([done, *outcome.warnings]))

    button("session.start", services.start_session, "Session started.")
    button("session.check_in", services.check_in, "Checked in.")
    button("summary.acknowledge", services.acknowledge_summary, "Acknowledged.")
    button("escalation.acknowledge", services.acknowledge_escalation, "Acknowledged.")
    button("outbox.retry", services.retry_message, "Queued again.")

    @app.action("follow_up.done")
    def follow_up(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        follow_up_id = _subject(body)
        if follow_up_id is None:
            return
        outcome = services.open_follow_up_form(body["user"]["id"], follow_up_id)
        if outcome.refused:
            _refuse(body, client, respond, outcome)
            return
        client.views_open(trigger_id=body["trigger_id"], view=modals.follow_up(
            outcome.data["code"], outcome.data["label"], {"follow_up_id": follow_up_id}))
