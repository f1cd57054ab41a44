"""What people read (mrkdwn, blocks, views) and how modals are filled by label."""

from datetime import date, time
from typing import Any

import pytest

from kapbot.sandbox.modal_form import REQUIRED, fill, initial_values
from kapbot.sandbox.rendering import message_text, mrkdwn, view_text


class Names:
    def name_of_user(self, user_id: str) -> str | None:
        return {"U1": "ada"}.get(user_id)

    def name_of_channel(self, channel_id: str) -> str | None:
        return {"C1": "care-pair-1"}.get(channel_id)


NAMES = Names()


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def option(text: str) -> dict[str, Any]:
    return {"text": plain(text), "value": text.lower()}


def input_block(label: str, element: dict[str, Any], *, optional: bool = False,
                block_id: str | None = None) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id or label, "label": plain(label),
            "optional": optional, "element": {"action_id": "a", **element}}


def test_mrkdwn_reads_as_displayed() -> None:
    assert mrkdwn("<@U1> and <@U9|zed> in <#C1>", NAMES) == "@ada and @zed in #care-pair-1"
    assert mrkdwn("<!channel> <!here>", NAMES) == "@channel @here"
    assert mrkdwn("&lt;!channel&gt; &amp; &lt;https://x|click&gt;", NAMES) == \
        "<!channel> & <https://x|click>"
    assert mrkdwn("<https://x.example|click> <https://y.example>", NAMES) == \
        "click https://y.example"
    assert mrkdwn("<!date^1392734382^{date}|Feb 18, 2014>", NAMES) == "Feb 18, 2014"


def test_blocks_read_as_text_and_plain_text_is_not_markup() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("Session <b>")},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Dose* 100 mg"}],
         "accessory": {"type": "button", "text": plain("Sign off dose")}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "by <@U1>"},
                                         {"type": "image", "alt_text": "clock"}]},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "Rich "}, {"type": "text", "text": "text"}]}]},
    ]
    assert message_text("fallback", blocks, NAMES) == (
        "Session <b>\n*Dose* 100 mg\n[Sign off dose]\n---\nby @ada  clock\nRich text")
    assert message_text("only <@U1>", [], NAMES) == "only @ada"


def test_views_show_title_fields_and_their_buttons() -> None:
    view = {"type": "modal", "title": plain("Confirm presence"), "submit": plain("Confirm"),
            "blocks": [
                input_block("Route", {"type": "static_select", "placeholder": plain("Pick"),
                                      "options": [option("Buccal")]}),
                input_block("Presence", {"type": "checkboxes",
                                         "options": [option("In the room")],
                                         "initial_options": [option("In the room")]}),
                input_block("Notes", {"type": "plain_text_input"}, optional=True)]}
    assert view_text(view, NAMES) == ("Confirm presence\nRoute: [Pick ▾]\n"
                                      "Presence: (x) In the room\nNotes (optional): []\n"
                                      "[Confirm]")


def test_fill_covers_each_kind_of_input() -> None:
    blocks = [
        input_block("Systolic BP (mmHg)", {"type": "number_input", "is_decimal_allowed": False,
                                           "min_value": "60", "max_value": "260"}),
        input_block("Items", {"type": "checkboxes",
                              "options": [option("Consent signed"), option("Driver arranged")]}),
        input_block("Formulation", {"type": "multi_static_select", "option_groups": [
            {"label": plain("Forms"), "options": [option("RDT"), option("Troche")]}]}),
        input_block("Valid until", {"type": "datepicker"}),
        input_block("Start", {"type": "timepicker"}),
        input_block("Prescriber", {"type": "users_select"}),
        input_block("Severity", {"type": "radio_buttons",
                                 "options": [option("None"), option("Mild")],
                                 "initial_option": option("None")}),
        input_block("Email", {"type": "email_text_input"}, optional=True),
    ]
    form = fill(blocks, {"Systolic BP (mmHg)": 128, "Items": ["Consent signed"],
                         "Driver arranged": True, "Formulation": ["Troche"],
                         "Valid until": date(2026, 6, 1), "Start": time(10, 30),
                         "Prescriber": "U1"})
    assert form.problems == {}
    state = {block_id: actions["a"] for block_id, actions in form.values.items()}
    assert state["Systolic BP (mmHg)"] == {"type": "number_input", "value": "128"}
    assert [o["value"] for o in state["Items"]["selected_options"]] == [
        "consent signed", "driver arranged"]
    assert state["Formulation"]["selected_options"] == [option("Troche")]
    assert state["Valid until"]["selected_date"] == "2026-06-01"
    assert state["Start"]["selected_time"] == "10:30"
    assert state["Prescriber"]["selected_user"] == "U1"
    assert state["Severity"]["selected_option"] == option("None")
    assert state["Email"] == {"type": "email_text_input", "value": None}

    out_of_range = fill(blocks, {"Systolic BP (mmHg)": "300", "Email": "nobody"})
    assert out_of_range.problems == {
        "Systolic BP (mmHg)": "Please enter a number of 260 or less.",
        "Items": REQUIRED, "Formulation": REQUIRED, "Valid until": REQUIRED, "Start": REQUIRED,
        "Prescriber": REQUIRED, "Email": "Please enter a valid email address."}
    with pytest.raises(ValueError, match="of one option only"):
        fill(blocks, {"Items": True})


def test_initial_values_are_what_an_untouched_view_reports() -> None:
    blocks = [input_block("Dose", {"type": "number_input", "initial_value": "100"},
                          block_id="dose")]
    assert initial_values(blocks) == {"dose": {"a": {"type": "number_input", "value": "100"}}}
