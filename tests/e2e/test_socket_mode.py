"""Socket Mode, the default deployment, for real: `kapbot run` with SLACK_APP_TOKEN set.

kapbot opens its WebSocket through apps.connections.open, hears `hello`, and acks each
envelope — a command, a button, modal submissions — with the answer Slack shows. When
Slack refreshes the connection, and when the connection is cut outright, kapbot opens a
new one, and the envelope sent meanwhile is handled, once.

A cut connection is noticed when slack_sdk's client next checks it, every `ping_interval`
(10 s, Bolt's SocketModeHandler default, which kapbot keeps): most of this test's time is
that wait, which is also how long a clinic's kapbot would be deaf after a network fault.
"""

import pytest

from kapbot.store.models import AuditEntry
from tests.e2e.conftest import Running
from tests.e2e.test_pathway import CHECKLIST, pair_channel, post_plan, schedule_soon
from tests.e2e.test_security import count

pytestmark = pytest.mark.parametrize("kapbot", ["socket_mode"], indirect=True)


def test_commands_buttons_and_forms_travel_over_the_socket_and_survive_drops(
        kapbot: Running) -> None:
    d, slack = kapbot.driver, kapbot.slack
    sockets = slack.socket_mode
    [first] = sockets.connections()
    assert len(slack.calls("apps.connections.open")) == 1

    answer = d.command("admin", "/kap", "roster add @rowe prescriber")
    assert answer.status == 200 and answer.elapsed < d.ack_deadline
    assert d.sees("admin").ephemeral == ["@rowe now holds the prescriber role."]
    [command] = sockets.envelopes()
    assert command.type == "slash_commands" and command.accepts_response_payload
    assert command.payload["text"] == "roster add <@UPRESCRIB|rowe> prescriber"
    assert command.ack == {"envelope_id": command.id,
                           "payload": {"text": "<@UPRESCRIB> now holds the prescriber role."}}
    d.command("admin", "/kap", "roster add @lee therapist")
    d.command("admin", "/kap", "patient add KAP-0042 @rowe @lee")
    kapbot.delivered()

    d.command("rowe", "/kap", "plan KAP-0042")  # opens the Dose plan modal
    refused = d.fill_and_submit("rowe", {
        "Formulation": "RDT", "Route": "Buccal", "Dose per session (mg)": "400",
        "Maximum dose (mg)": "150", "Sessions authorised": "6", "Valid until": "2020-01-01"})
    assert refused.action == "errors"  # the ack's payload, answered inside the modal
    assert refused.errors["Valid until"] == "Valid until (2020-01-01) is in the past."
    d.close_modal("rowe")
    post_plan(kapbot)  # the same modal, filled in right: it closes
    schedule_soon(kapbot)

    card_button = d.click("lee", "Pre-session checklist", where=pair_channel(kapbot, "lee"))
    assert card_button.status == 200
    assert d.sees("lee").modal.startswith("Pre-session checklist")
    assert d.fill_and_submit("lee", CHECKLIST).action == "close"
    kinds = [(e.type, e.payload.get("type")) for e in sockets.envelopes()]
    assert ("interactive", "block_actions") in kinds and ("interactive", "view_submission") in kinds
    assert all(len(e.acks) == 1 for e in sockets.envelopes())
    assert {e.connection for e in sockets.envelopes()} == {first.number}

    sockets.drop("disconnect")  # Slack's routine refresh: kapbot moves to a new connection
    d.command("chen", "/kap", "help")
    assert "`/kap help`" in d.sees("chen").ephemeral[-1]
    assert sockets.envelopes()[-1].connection == sockets.wait_connected(count=2).number == 2
    sockets.wait_until(lambda: first.state == "closed")  # Slack closed it once 2 was up
    assert first.dropped == "disconnect"

    audited = count(kapbot, AuditEntry)
    [cut] = sockets.drop("reset")  # the connection is cut, no close frame
    answer = d.command("admin", "/kap", "roster add @chen therapist")  # queued till kapbot
    # notices (its next ping check) and opens a new connection
    assert answer.status == 200 and answer.elapsed < d.ack_deadline
    assert cut.state == "closed" and cut.dropped == "reset"
    assert len(slack.calls("apps.connections.open")) == 3  # kapbot asked for a new URL
    latest = sockets.envelopes()[-1]
    assert latest.payload["text"] == "roster add <@UOTHERTHR|chen> therapist"
    assert latest.connection == 3 and len(latest.acks) == 1
    assert d.sees("admin").ephemeral[-1] == "@chen now holds the therapist role."
    assert d.sees("admin").ephemeral.count("@chen now holds the therapist role.") == 1
    assert count(kapbot, AuditEntry) == audited + 1  # handled once
    assert sockets.stray_acks == []
