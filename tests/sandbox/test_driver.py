"""The driver acts as people against a real Bolt app served over HTTP, through the emulator."""

import json
from urllib.parse import urlencode

import pytest

from kapbot.sandbox import SlackDriver, SlackEmulator
from kapbot.sandbox.modal_form import REQUIRED
from tests.sandbox.little_app import SIGNING_SECRET, LittleApp

DOSE = "Dose for this session (mg)"
PRESENT = "I am in the room with the patient"


def test_a_command_opens_a_modal_that_answers_errors_under_the_field(
        driver: SlackDriver, slack: SlackEmulator) -> None:
    assert driver.command("ada", "/kap", "dose").status == 200
    modal = driver.sees("ada").modal
    assert modal.startswith("Dose check") and f"{DOSE}: []" in modal and "[Record]" in modal

    refused = driver.fill_and_submit("ada", {DOSE: 400, "Route": "Sublingual", PRESENT: True})
    assert refused.action == "errors"
    assert refused.errors == {DOSE: "Above the policy maximum of 300 mg"}
    assert len(slack.workspace.modals("ada")) == 1  # still open, as in Slack

    done = driver.fill_and_submit("ada", {DOSE: "100", "Route": "Sublingual", PRESENT: True})
    assert done.action == "close" and slack.workspace.modals("ada") == []
    assert driver.sees("ada").dm == [
        "Dose check for KAP-0042: 100 mg sublingual on 2026-03-02, present: ['yes']"]
    [opened] = slack.calls("views.open")
    assert opened.args["view"]["callback_id"] == "dose_check"


def test_slacks_client_refuses_empty_required_fields_before_the_app_hears(
        driver: SlackDriver, slack: SlackEmulator) -> None:
    driver.command("ada", "/kap", "dose")
    outcome = driver.fill_and_submit("ada", {DOSE: "2.5", PRESENT: False, "Notes": "x" * 201})
    assert outcome.response is None and outcome.action == "errors"
    assert outcome.errors == {DOSE: "Please enter a whole number.", "Route": REQUIRED,
                              "Presence": REQUIRED,
                              "Notes": "Please enter no more than 200 characters."}
    with pytest.raises(KeyError, match="no input labelled 'Dosage'"):
        driver.fill_and_submit("ada", {"Dosage": "100"})
    with pytest.raises(KeyError, match="no option 'Intranasal'"):
        driver.fill_and_submit("ada", {"Route": "Intranasal"})


def test_clicking_a_button_in_a_channel_updates_the_card(
        driver: SlackDriver, slack: SlackEmulator, care_channel: str) -> None:
    driver.command("ada", "/kap", "card", channel=care_channel)
    assert driver.sees("ben").channels["#care-pair-1"] == [
        "Session KAP-0042\n*State:* Scheduled\n[Start session]  [Cancel session]"]

    assert driver.click("ben", "Start session").status == 200
    [card] = slack.workspace.messages(care_channel)
    assert card.text == "Session KAP-0042 started" and len(card.edits) == 1
    assert "*State:* In progress, started by @ben" in driver.sees("ada").channels["#care-pair-1"][0]
    [update] = slack.calls("chat.update")
    assert update.args["ts"] == card.ts


def test_click_finds_one_button_or_says_what_it_saw(
        driver: SlackDriver, care_channel: str) -> None:
    with pytest.raises(LookupError, match="sees no button labelled 'Start session'"):
        driver.click("ben", "Start session")
    driver.command("ada", "/kap", "card", channel=care_channel)
    driver.command("ada", "/kap", "card", channel=care_channel)
    with pytest.raises(LookupError, match="2 buttons labelled 'Start session'"):
        driver.click("ben", "Start session")
    with pytest.raises(LookupError, match="they see: \\[\"'Cancel session' in #care-pair-1\""):
        driver.click("ben", "Start", where=care_channel)
    driver.slack.workspace.add_channel("pair-2", members=["ada"])
    with pytest.raises(LookupError, match="not in #pair-2"):
        driver.click("ben", "Start session", where="#pair-2")


def test_ephemeral_answers_are_clickable_and_replaced_through_the_response_url(
        driver: SlackDriver, slack: SlackEmulator) -> None:
    driver.command("ada", "/kap", "later")
    assert driver.sees("ada").ephemeral == ["Answered later\n[Show details]"]
    assert driver.sees("ben").ephemeral == []
    driver.click("ada", "Show details", where="ephemeral")
    assert driver.sees("ada").ephemeral == ["Details: nothing more to show"]
    assert [c.status for c in slack.calls("response_url")] == [200, 200]


def test_command_text_arrives_escaped_and_reads_back_literally(driver: SlackDriver) -> None:
    answer = driver.command("ada", "/kap", "add @ben <!channel> & #general")
    assert answer.body == ("You typed: add <@U00000002|ben> &lt;!channel&gt; &amp; "
                           "<#C00000001|general>")
    assert driver.sees("ada").ephemeral == ["You typed: add @ben <!channel> & #general"]


def test_a_late_ack_shows_slacks_timeout_note(slack: SlackEmulator, app_url: str) -> None:
    impatient = SlackDriver(slack, app_url, SIGNING_SECRET, ack_deadline=0.1)
    impatient.command("ada", "/kap", "slow")
    assert impatient.sees("ada").ephemeral == ['/kap failed with the error "operation_timeout"']


def test_home_buttons_open_modals_and_modal_buttons_push(
        driver: SlackDriver, slack: SlackEmulator, little_app: LittleApp) -> None:
    driver.open_home("ada")
    assert driver.sees("ada").home == "*Waiting on you:* a dose check\n[Open dose check]"
    assert driver.sees("ben").home == ""
    driver.click("ada", "Open dose check", where="home")
    driver.click("ada", "Add note", where="modal")
    assert [v.payload["callback_id"] for v in slack.workspace.modals("ada")] == [
        "dose_check", "note"]
    assert driver.sees("ada").modal == "Note\nNote: []\n[Save]"
    assert driver.close_modal("ada") is None  # the note modal did not ask to hear of it
    closing = driver.close_modal("ada")
    assert closing is not None and closing.status == 200
    assert little_app.closed_views == [slack.calls("views.open")[0].response["view"]["id"]]  # type: ignore[index]
    assert slack.workspace.modals("ada") == []


def test_retry_resends_the_last_request_marked_as_a_retry(
        driver: SlackDriver, little_app: LittleApp) -> None:
    driver.open_home("ada")
    assert driver.retry().status == 200
    assert little_app.retry_nums == [None, "1"]


def test_unsigned_forged_and_stale_requests_get_401_and_touch_nothing(
        driver: SlackDriver, slack: SlackEmulator) -> None:
    calls_before = len(slack.calls())
    driver.command("ada", "/kap", "dose")
    opened = len(slack.calls())
    assert opened == calls_before + 1
    for how in ("unsigned", "bad_signature", "stale_timestamp"):
        assert driver.send_tampered(how).status == 401
    assert len(slack.calls()) == opened
    body = urlencode({"command": "/kap", "text": "dose"}).encode()
    assert driver.send_tampered("unsigned", body).status == 401
    assert len(slack.calls()) == opened


def test_events_reach_the_app_as_signed_json(driver: SlackDriver, slack: SlackEmulator) -> None:
    answer = driver.send_event({"type": "app_home_opened", "user": slack.workspace.user("ben").id,
                                "channel": slack.workspace.dm_with("ben").id, "tab": "home"})
    assert answer.status == 200
    [publish] = slack.calls("views.publish")
    assert publish.args["user_id"] == slack.workspace.user("ben").id
    assert json.dumps(publish.response).count("Open dose check") == 1


def test_screen_gathers_everything_a_person_reads(driver: SlackDriver,
                                                  care_channel: str) -> None:
    driver.command("ada", "/kap", "card", channel=care_channel)
    driver.command("ada", "/kap", "hello")
    driver.open_home("ada")
    everything = driver.sees("ada").everything
    for words in ("[Start session]", "You typed: hello", "[Open dose check]"):
        assert words in everything
