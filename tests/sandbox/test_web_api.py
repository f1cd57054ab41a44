"""The emulator answers slack_sdk's WebClient with Slack's shapes, errors and limits."""

import json
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from kapbot.sandbox import SlackEmulator
from tests.sandbox.conftest import FakeClock


def refusal(call: Any, **kwargs: Any) -> dict[str, Any]:
    """The body of the ok:false answer a WebClient call raised on."""
    with pytest.raises(SlackApiError) as raised:
        call(**kwargs)
    return raised.value.response.data


def divider_blocks(count: int) -> list[dict[str, Any]]:
    return [{"type": "divider"} for _ in range(count)]


def modal(title: str = "Dose plan", blocks: list[dict[str, Any]] | None = None,
          **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title},
            "blocks": blocks if blocks is not None else [], **extra}


def test_auth_test_names_the_bot_and_a_wrong_token_is_refused(slack: SlackEmulator) -> None:
    answer = slack.client().auth_test()
    assert answer.data == {"ok": True, "url": "https://sandbox-clinic.slack.com/",
                           "team": "Sandbox Clinic", "user": "kapbot", "team_id": "T0SANDBOX",
                           "user_id": "U0SANDBOT", "bot_id": "B0SANDBOT",
                           "is_enterprise_install": False}
    wrong = WebClient(base_url=slack.base_url, token="xoxb-wrong")
    assert refusal(wrong.auth_test) == {"ok": False, "error": "invalid_auth"}
    nobody = WebClient(base_url=slack.base_url)
    assert refusal(nobody.auth_test)["error"] == "not_authed"
    assert refusal(slack.client().api_call, api_method="chat.sing") == {
        "ok": False, "error": "unknown_method", "req_method": "chat.sing"}


def test_post_update_and_history_keep_blocks_metadata_and_edits(
        slack: SlackEmulator, care_channel: str) -> None:
    client = slack.client()
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Scheduled*"}}]
    posted = client.chat_postMessage(channel=care_channel, text="card", blocks=blocks,
                                     metadata={"event_type": "session_card",
                                               "event_payload": {"session": 7}})
    assert posted["channel"] == care_channel and posted["ts"] == posted["message"]["ts"]
    assert posted["message"]["bot_id"] == "B0SANDBOT"
    assert posted["message"]["metadata"]["event_payload"] == {"session": 7}
    assert posted["message"]["blocks"][0]["block_id"]  # Slack fills in missing ids

    updated = client.chat_update(channel=care_channel, ts=posted["ts"], text="card v2",
                                 blocks=[{"type": "section",
                                          "text": {"type": "mrkdwn", "text": "*Started*"}}])
    assert updated["ts"] == posted["ts"] and updated["message"]["edited"]["user"] == "U0SANDBOT"
    later = client.chat_postMessage(channel=care_channel, text="second")

    history = client.conversations_history(channel=care_channel)
    assert [m["ts"] for m in history["messages"]] == [later["ts"], posted["ts"]]
    assert "metadata" not in history["messages"][1]
    with_metadata = client.conversations_history(channel=care_channel, include_all_metadata=True)
    assert with_metadata["messages"][1]["metadata"]["event_type"] == "session_card"

    [card, _] = slack.workspace.messages(care_channel)
    assert card.text == "card v2" and card.metadata == {"event_type": "session_card",
                                                        "event_payload": {"session": 7}}
    assert [version.text for version in card.edits] == ["card"]

    assert refusal(client.chat_update, channel=care_channel, ts="1.000001",
                   text="x")["error"] == "message_not_found"
    assert client.chat_delete(channel=care_channel, ts=later["ts"])["ts"] == later["ts"]
    assert [m.ts for m in slack.workspace.messages(care_channel)] == [posted["ts"]]


def test_history_pages_newest_first_within_oldest_and_latest(
        slack: SlackEmulator, care_channel: str) -> None:
    client = slack.client()
    stamps = [client.chat_postMessage(channel=care_channel, text=str(n))["ts"] for n in range(5)]
    page = client.conversations_history(channel=care_channel, limit=2)
    assert [m["text"] for m in page["messages"]] == ["4", "3"] and page["has_more"]
    rest = client.conversations_history(channel=care_channel, limit=10,
                                        cursor=page["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["2", "1", "0"] and not rest["has_more"]
    window = client.conversations_history(channel=care_channel, oldest=stamps[1],
                                          latest=stamps[4])
    assert [m["text"] for m in window["messages"]] == ["3", "2"]
    inclusive = client.conversations_history(channel=care_channel, oldest=stamps[1],
                                             latest=stamps[4], inclusive=True)
    assert [m["text"] for m in inclusive["messages"]] == ["4", "3", "2", "1"]


def test_form_bodies_carry_blocks_and_metadata_as_json_strings(
        slack: SlackEmulator, care_channel: str) -> None:
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "From a form"}}]
    answer = slack.client().api_call("chat.postMessage", params={
        "channel": care_channel, "text": "form", "blocks": json.dumps(blocks),
        "metadata": json.dumps({"event_type": "x", "event_payload": {"a": 1}})})
    assert answer["ok"]
    [message] = slack.workspace.messages(care_channel)
    assert message.blocks[0]["text"]["text"] == "From a form"
    assert message.metadata == {"event_type": "x", "event_payload": {"a": 1}}
    [call] = slack.calls("chat.postMessage")
    assert call.args["blocks"][0]["type"] == "section" and "token" not in call.args


def test_message_limits_are_slacks(slack: SlackEmulator, care_channel: str) -> None:
    client = slack.client()
    assert client.chat_postMessage(channel=care_channel, text="50",
                                   blocks=divider_blocks(50))["ok"]
    too_many = refusal(client.chat_postMessage, channel=care_channel, text="51",
                       blocks=divider_blocks(51))
    assert too_many["error"] == "invalid_blocks"
    assert too_many["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"]
    assert refusal(client.chat_postMessage, channel=care_channel,
                   text="x" * 40_001)["error"] == "msg_too_long"
    assert refusal(client.chat_postMessage, channel=care_channel, text="carousel",
                   blocks=[{"type": "carousel"}])["error"] == "invalid_blocks"
    long_button = [{"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}}]}]
    assert refusal(client.chat_postMessage, channel=care_channel, text="b",
                   blocks=long_button)["error"] == "invalid_blocks"
    assert refusal(client.api_call, api_method="chat.postMessage",
                   json={"channel": care_channel})["error"] == "no_text"
    assert refusal(client.chat_postMessage, channel=care_channel, text="m",
                   metadata={"event_type": "x"})["error"] == "invalid_metadata_format"
    assert len(slack.workspace.messages(care_channel)) == 1


def test_conversations_create_invite_info_open(slack: SlackEmulator) -> None:
    client = slack.client()
    ada, ben = slack.workspace.user("ada"), slack.workspace.user("ben")
    created = client.conversations_create(name="care-pair-7", is_private=True)["channel"]
    assert created["is_private"] and created["is_member"] and created["name"] == "care-pair-7"
    assert refusal(client.conversations_create, name="care-pair-7")["error"] == "name_taken"
    assert refusal(client.conversations_create, name="Care Pair")["error"] == \
        "invalid_name_specials"
    client.conversations_invite(channel=created["id"], users=[ada.id, ben.id])
    assert slack.workspace.channel("#care-pair-7").members == {"U0SANDBOT", ada.id, ben.id}
    assert refusal(client.conversations_invite, channel=created["id"],
                   users=ada.id)["error"] == "already_in_channel"
    assert refusal(client.conversations_invite, channel=created["id"],
                   users="U404")["error"] == "user_not_found"
    info = client.conversations_info(channel=created["id"], include_num_members=True)
    assert info["channel"]["num_members"] == 3
    assert refusal(client.conversations_info, channel="C404")["error"] == "channel_not_found"

    first = client.conversations_open(users=ada.id)
    again = client.conversations_open(users=[ada.id])
    assert first["channel"]["id"] == again["channel"]["id"] == slack.workspace.dm_channel("ada")
    assert again["already_open"] and "already_open" not in first.data
    assert client.conversations_open(users=ben.id)["channel"]["id"] != first["channel"]["id"]


def test_posting_to_a_user_id_lands_in_their_dm_and_public_channels_need_membership(
        slack: SlackEmulator) -> None:
    client = slack.client()
    ada = slack.workspace.user("ada")
    posted = client.chat_postMessage(channel=ada.id, text="Your summary")
    assert posted["channel"] == slack.workspace.dm_channel("ada")
    assert [m.text for m in slack.workspace.messages(ada.id)] == ["Your summary"]
    assert refusal(client.chat_postMessage, channel="#general",
                   text="hello")["error"] == "not_in_channel"
    assert refusal(client.chat_postMessage, channel="C404", text="x")["error"] == \
        "channel_not_found"


def test_ephemeral_messages_are_kept_per_user(slack: SlackEmulator, care_channel: str) -> None:
    client = slack.client()
    ada = slack.workspace.user("ada")
    answer = client.chat_postEphemeral(channel=care_channel, user=ada.id, text="Only you")
    assert answer["message_ts"]
    assert [(e.text, e.channel) for e in slack.workspace.ephemeral("ada")] == [
        ("Only you", care_channel)]
    assert slack.workspace.ephemeral("ben") == []
    outsider = slack.workspace.add_user("cy")
    assert refusal(client.chat_postEphemeral, channel=care_channel, user=outsider.id,
                   text="x")["error"] == "user_not_in_channel"


def test_users_info(slack: SlackEmulator) -> None:
    ada = slack.workspace.user("ada")
    user = slack.client().users_info(user=ada.id)["user"]
    assert (user["id"], user["name"], user["real_name"]) == (ada.id, "ada", "Dr Ada Prescriber")
    assert user["profile"]["real_name"] == "Dr Ada Prescriber" and user["tz"] == "UTC"
    assert refusal(slack.client().users_info, user="U404")["error"] == "user_not_found"


def test_views_need_a_fresh_single_use_trigger(slack_on_clock: SlackEmulator,
                                              clock: FakeClock) -> None:
    slack, client = slack_on_clock, slack_on_clock.client()
    ws = slack.workspace
    ada = ws.user("ada")
    assert refusal(client.views_open, trigger_id="1.2.made-up",
                   view=modal())["error"] == "invalid_trigger_id"
    trigger = ws.issue_trigger(ada.id)
    opened = client.views_open(trigger_id=trigger, view=modal(private_metadata="KAP-0042",
                                                              callback_id="dose_plan"))["view"]
    assert opened["type"] == "modal" and opened["root_view_id"] == opened["id"]
    assert opened["private_metadata"] == "KAP-0042" and opened["hash"]
    assert opened["state"] == {"values": {}} and opened["app_id"] == "A0SANDBOX"
    assert refusal(client.views_open, trigger_id=trigger,
                   view=modal())["error"] == "exchanged_trigger_id"
    late = ws.issue_trigger(ada.id)
    clock.advance(3.01)
    assert refusal(client.views_open, trigger_id=late, view=modal())["error"] == \
        "expired_trigger_id"
    just_in_time = ws.issue_trigger(ada.id)
    clock.advance(2.99)
    assert client.views_open(trigger_id=just_in_time, view=modal())["ok"]


def test_view_stack_update_and_hash_conflict(slack: SlackEmulator) -> None:
    client, ws = slack.client(), slack.workspace
    ada = ws.user("ada").id
    root = client.views_open(trigger_id=ws.issue_trigger(ada),
                             view=modal(external_id="plan-7"))["view"]
    pushed = client.views_push(trigger_id=ws.issue_trigger(ada), view=modal("Second"))["view"]
    assert pushed["previous_view_id"] == root["id"] and pushed["root_view_id"] == root["id"]
    client.views_push(trigger_id=ws.issue_trigger(ada), view=modal("Third"))
    assert refusal(client.views_push, trigger_id=ws.issue_trigger(ada),
                   view=modal("Fourth"))["error"] == "push_limit_reached"
    assert [v.payload["title"]["text"] for v in ws.modals("ada")] == [
        "Dose plan", "Second", "Third"]

    by_id = client.views_update(view_id=root["id"], hash=root["hash"],
                                view=modal("Dose plan v2", external_id="plan-7"))["view"]
    assert by_id["id"] == root["id"] and by_id["hash"] != root["hash"]
    assert refusal(client.views_update, view_id=root["id"], hash=root["hash"],
                   view=modal("Stale"))["error"] == "hash_conflict"
    by_external = client.views_update(external_id="plan-7", view=modal("Dose plan v3",
                                                                       external_id="plan-7"))
    assert by_external["view"]["title"]["text"] == "Dose plan v3"
    assert refusal(client.views_update, view_id="V404", view=modal())["error"] == "not_found"


def test_view_limits(slack: SlackEmulator) -> None:
    client, ws = slack.client(), slack.workspace
    ada = ws.user("ada").id
    long_title = refusal(client.views_open, trigger_id=ws.issue_trigger(ada),
                         view=modal("Pre-session checklist now"))
    assert long_title["error"] == "invalid_arguments"
    assert "/view/title/text" in long_title["response_metadata"]["messages"][0]
    assert refusal(client.views_open, trigger_id=ws.issue_trigger(ada),
                   view=modal(blocks=divider_blocks(101)))["error"] == "invalid_blocks"
    needs_submit = modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "X"},
                                  "element": {"type": "plain_text_input"}}])
    assert refusal(client.views_open, trigger_id=ws.issue_trigger(ada),
                   view=needs_submit)["error"] == "invalid_arguments"
    assert client.views_open(trigger_id=ws.issue_trigger(ada),
                             view=modal("Pre-session checklist", divider_blocks(100)))["ok"]
    assert refusal(client.views_publish, user_id=ada,
                   view={"type": "home", "blocks": divider_blocks(101)})["error"] == \
        "invalid_blocks"
    assert refusal(client.views_publish, user_id=ada, view=modal())["error"] == \
        "invalid_arguments"


def test_home_is_published_per_user_and_guarded_by_hash(slack: SlackEmulator) -> None:
    client, ws = slack.client(), slack.workspace
    ada, ben = ws.user("ada").id, ws.user("ben").id
    home = {"type": "home", "blocks": [{"type": "section",
                                        "text": {"type": "mrkdwn", "text": "Ada's queue"}}]}
    first = client.views_publish(user_id=ada, view=home)["view"]
    client.views_publish(user_id=ben, view={"type": "home", "blocks": []})
    again = client.views_publish(user_id=ada, view=home, hash=first["hash"])["view"]
    assert again["id"] == first["id"] and again["hash"] != first["hash"]
    assert refusal(client.views_publish, user_id=ada, view=home,
                   hash=first["hash"])["error"] == "hash_conflict"
    assert ws.home("ada").blocks[0]["text"]["text"] == "Ada's queue"  # type: ignore[union-attr]
    assert ws.home("ben").blocks == []  # type: ignore[union-attr]


def test_response_urls_answer_ephemerally_in_channel_or_in_place(
        slack: SlackEmulator, care_channel: str) -> None:
    ws = slack.workspace
    ada = ws.user("ada").id
    url = ws.issue_response_url(ada, care_channel)
    assert url.startswith(f"{slack.url}/response/")
    hook = WebhookClient(url)
    assert hook.send(text="Only you see this").body == "ok"
    assert hook.send(text="Everyone sees this", response_type="in_channel").status_code == 200
    assert [e.text for e in ws.ephemeral("ada")] == ["Only you see this"]
    assert [m.text for m in ws.messages(care_channel)] == ["Everyone sees this"]

    card = slack.client().chat_postMessage(channel=care_channel, text="card")
    from_card = WebhookClient(ws.issue_response_url(ada, care_channel, source_ts=card["ts"]))
    from_card.send(text="card, replaced", replace_original=True)
    assert ws.find_message(care_channel, card["ts"]).text == "card, replaced"  # type: ignore[union-attr]
    from_card.send(text="", delete_original=True)
    assert ws.find_message(care_channel, card["ts"]) is None

    assert hook.send(text="x", blocks=divider_blocks(51)).body == "invalid_blocks"
    for _ in range(2):
        hook.send(text="again")
    spent = hook.send(text="sixth")
    assert (spent.status_code, spent.body) == (404, "used_url")
    assert len(slack.calls("response_url")) == 8
