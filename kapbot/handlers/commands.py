"""`/kap …`: the one slash command, parsed and answered in the acknowledgement itself."""

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from kapbot.blocks import help as help_blocks
from kapbot.blocks import modals
from kapbot.care import inputs
from kapbot.services import Outcome, Services

# With `should_escape`, Slack sends `@ada` as `<@U123|ada>`.
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")


def _user(word: str) -> tuple[str, str]:
    """(user ID, display name) from an escaped mention; anything else is passed on as typed,
    so the service can say why it is not a user."""
    found = MENTION.match(word)
    return (found.group(1), found.group(2) or "") if found else (word, "")


def _answer(ack: Ack, outcome: Outcome, accepted: str) -> None:
    if outcome.refused:
        ack(**help_blocks.refusal(list(outcome.reasons)))
    else:
        lines = [accepted, *outcome.warnings]
        ack(text="\n".join(lines))


class _Kap:
    """The sub-commands of `/kap`, each answering through `ack` within Slack's 3 seconds."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.policy = services.policy

    def roster(self, ack: Ack, actor: str, words: list[str]) -> None:
        services = self.services
        if not words:
            outcome = services.roster(actor)
            if outcome.refused:
                ack(**help_blocks.refusal(list(outcome.reasons)))
            else:
                ack(text="*Roster*\n" + ("\n".join(outcome.data["lines"]) or "Nobody yet."))
            return
        if len(words) != 3 or words[0].lower() not in ("add", "remove"):
            ack(text="Usage: `/kap roster add @user prescriber|therapist|admin` or "
                     "`/kap roster remove @user ROLE`")
            return
        user, name = _user(words[1])
        if words[0].lower() == "add":
            outcome = services.add_clinician(actor, user, [words[2]], display_name=name)
            _answer(ack, outcome, f"<@{user}> now holds the {words[2].lower()} role.")
        else:
            outcome = services.remove_role(actor, user, words[2])
            _answer(ack, outcome, f"<@{user}> no longer holds the {words[2].lower()} role.")

    def patient(self, ack: Ack, actor: str, words: list[str]) -> None:
        if len(words) != 4 or words[0].lower() != "add":
            ack(text="Usage: `/kap patient add CODE @prescriber @therapist`")
            return
        code = words[1]
        outcome = self.services.add_patient(actor, code, _user(words[2])[0],
                                            _user(words[3])[0])
        _answer(ack, outcome, f"{code} added. Their private care-pair channel is being "
                              "created and both clinicians invited.")

    def plan(self, ack: Ack, actor: str, words: list[str], client: WebClient,
             trigger: str) -> None:
        if len(words) != 1:
            ack(text="Usage: `/kap plan CODE`")
            return
        outcome = self.services.open_plan_form(actor, words[0])
        if outcome.refused:
            ack(**help_blocks.refusal(list(outcome.reasons)))
            return
        ack()
        code = outcome.data["code"]
        client.views_open(trigger_id=trigger, view=modals.dose_plan(code, self.policy,
                                                                    {"code": code}))

    def session(self, ack: Ack, actor: str, words: list[str]) -> None:
        tz_name = self.policy.timezone
        if len(words) != 3:
            ack(text=f"Usage: `/kap session CODE YYYY-MM-DD HH:MM` (clinic time, {tz_name})")
            return
        at, reason = inputs.local_time(f"{words[1]} {words[2]}", self.policy.tz)
        if at is None:
            ack(**help_blocks.refusal([reason or "Time not understood."]))
            return
        outcome = self.services.schedule_session(actor, words[0], at)
        _answer(ack, outcome, f"Session for {words[0]} scheduled at {words[1]} {words[2]} "
                              f"({tz_name}). Its card is in the care-pair channel.")

    def status(self, ack: Ack, actor: str, words: list[str]) -> None:
        if len(words) != 1:
            ack(text="Usage: `/kap status CODE`")
            return
        outcome = self.services.status(actor, words[0])
        if outcome.refused:
            ack(**help_blocks.refusal(list(outcome.reasons)))
        else:
            ack(text="\n".join(outcome.data["lines"]))


def register(app: App, services: Services) -> None:
    kap = _Kap(services)
    simple: dict[str, Callable[[Ack, str, list[str]], None]] = {
        "roster": kap.roster, "patient": kap.patient, "session": kap.session,
        "status": kap.status}

    @app.command("/kap")
    def command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        actor = command["user_id"]
        words = (command.get("text") or "").split()
        verb, rest = (words[0].lower(), words[1:]) if words else ("help", [])
        if verb in simple:
            simple[verb](ack, actor, rest)
        elif verb == "plan":
            kap.plan(ack, actor, rest, client, command["trigger_id"])
        else:
            roles, is_admin = services.roles_of(actor)
            ack(**help_blocks.help_text(roles, is_admin))
