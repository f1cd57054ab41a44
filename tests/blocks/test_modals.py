"""The forms the care pair fills in, read the way they read them: titles, labels, choices.

Every modal is checked against Slack's limits twice — by `slack_sdk`'s own models and by
the local Slack's `views.open` rules — and filled by its labels as a clinician would.
"""

import inspect
import json
import re
from typing import Any

import pytest
from slack_sdk.models.views import View

from kapbot.blocks import modals
from kapbot.policy import Item, load_policy
from kapbot.sandbox.block_kit import view_problems
from kapbot.sandbox.modal_form import REQUIRED, fill
from kapbot.sandbox.rendering import view_text

POLICY = load_policy()
CODE = "KAP-0042"
SESSION = {"session_id": 12}


class Names:
    def name_of_user(self, user_id: str) -> str | None:
        return None

    def name_of_channel(self, channel_id: str) -> str | None:
        return None


def seen(view: dict[str, Any]) -> str:
    return view_text(view, Names())


def labels(view: dict[str, Any]) -> list[str]:
    return [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]


def field(view: dict[str, Any], key: str) -> dict[str, Any]:
    found = [b for b in view["blocks"] if b.get("block_id") == key]
    assert len(found) == 1, key
    return found[0]


def option_texts(element: dict[str, Any]) -> list[str]:
    return [o["text"]["text"] for o in element["options"]]


EVERY_MODAL = {
    "plan": lambda: modals.dose_plan(CODE, POLICY, {"code": CODE}),
    "checklist": lambda: modals.checklist(CODE, "2026-03-02 10:00", POLICY, SESSION),
    "sign_off": lambda: modals.sign_off(CODE, ["Pre-dose BP 120/80 mmHg"], 100, SESSION),
    "presence": lambda: modals.presence(CODE, POLICY, SESSION),
    "vitals": lambda: modals.vitals(CODE, SESSION),
    "end": lambda: modals.end_session(CODE, POLICY, SESSION),
    "abort": lambda: modals.abort_session(CODE, SESSION),
    "cancel": lambda: modals.cancel_session(CODE, SESSION),
    "follow_up": lambda: modals.follow_up(CODE, "Integration session", {"follow_up_id": 3}),
}


@pytest.mark.parametrize("callback_id", list(EVERY_MODAL))
def test_every_modal_is_one_slack_would_open(callback_id: str) -> None:
    view = EVERY_MODAL[callback_id]()
    View(**view).validate_json()
    assert view_problems(view, surface="modal") is None
    assert view["type"] == "modal"
    assert view["callback_id"] == callback_id
    assert len(view["title"]["text"]) <= 24
    assert (view["submit"]["text"], view["close"]["text"]) in {("Submit", "Cancel"),
                                                              ("Submit", "Back")}
    for block in view["blocks"]:
        if block["type"] == "input":  # handlers read view.state.values[key][key]
            assert block["block_id"] == block["element"]["action_id"]
    assert CODE in seen(view)


def test_the_modal_only_names_its_subject_in_private_metadata() -> None:
    assert json.loads(modals.presence(CODE, POLICY, SESSION)["private_metadata"]) == SESSION
    assert json.loads(modals.dose_plan(CODE, POLICY, {"code": CODE})["private_metadata"]) == {
        "code": CODE}


def test_the_prescriber_posts_a_dose_plan_from_the_policys_choices() -> None:
    view = modals.dose_plan(CODE, POLICY, {"code": CODE})
    assert view["title"]["text"] == "Dose plan"
    assert labels(view) == ["Formulation", "Route", "Dose per session (mg)",
                            "Maximum dose (mg)", "Sessions authorised", "Valid until", "Notes"]
    assert option_texts(field(view, "formulation")["element"]) == ["RDT", "Troche"]
    assert option_texts(field(view, "route")["element"]) == ["Sublingual", "Buccal"]
    dose = field(view, "dose_mg")["element"]
    assert dose["type"] == "number_input" and dose["is_decimal_allowed"] is False
    assert field(view, "valid_until")["element"]["type"] == "datepicker"
    notes = field(view, "notes")
    assert notes["optional"] is True and notes["element"]["multiline"] is True
    assert notes["element"]["max_length"] == 3000

    form = fill(view["blocks"], {"Formulation": "RDT", "Route": "Sublingual",
                                 "Dose per session (mg)": 100, "Maximum dose (mg)": 150,
                                 "Sessions authorised": 6, "Valid until": "2026-12-31"})
    assert form.problems == {}
    assert form.values["formulation"]["formulation"]["selected_option"]["value"] == "rdt"
    assert form.values["dose_mg"]["dose_mg"]["value"] == "100"
    assert form.values["valid_until"]["valid_until"]["selected_date"] == "2026-12-31"


def test_a_clinic_that_allows_only_troches_sees_only_troches() -> None:
    troches = POLICY.model_copy(update={"medication": POLICY.medication.model_copy(
        update={"formulations": ("troche",), "routes": ("buccal",)})})
    view = modals.dose_plan(CODE, troches, {"code": CODE})
    assert option_texts(field(view, "formulation")["element"]) == ["Troche"]
    assert option_texts(field(view, "route")["element"]) == ["Buccal"]


def test_the_checklist_has_one_checkbox_per_policy_item_and_the_four_vitals() -> None:
    view = modals.checklist(CODE, "2026-03-02 10:00", POLICY, SESSION)
    assert view["title"]["text"] == "Pre-session checklist"
    assert "2026-03-02 10:00" in seen(view)
    boxes = field(view, "items")
    assert boxes["element"]["type"] == "checkboxes" and boxes["optional"] is True
    assert [(o["value"], o["text"]["text"]) for o in boxes["element"]["options"]] == [
        (item.id, item.text) for item in POLICY.checklist]
    assert labels(view)[1:] == ["Systolic BP (mmHg)", "Diastolic BP (mmHg)",
                                "Heart rate (bpm)", "SpO2 (%)"]
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "items", "systolic", "diastolic", "heart_rate", "spo2"]


def test_a_therapist_may_leave_an_item_unticked_for_kapbot_to_explain() -> None:
    view = modals.checklist(CODE, "2026-03-02 10:00", POLICY, SESSION)
    ticked = {item.text: True for item in POLICY.checklist[:-1]}
    form = fill(view["blocks"], {**ticked, "Systolic BP (mmHg)": 120,
                                 "Diastolic BP (mmHg)": 80, "Heart rate (bpm)": 72,
                                 "SpO2 (%)": 98})
    assert form.problems == {}  # Slack sends it; kapbot names the missing item
    chosen = [o["value"] for o in form.values["items"]["items"]["selected_options"]]
    assert chosen == [item.id for item in POLICY.checklist[:-1]]


def test_a_clinics_own_checklist_is_the_one_shown() -> None:
    own = POLICY.model_copy(update={"checklist": (
        Item(id="consent", text="Consent is current"),
        Item(id="long", text="A clinic's long item: " + "the patient has read and understood "
                             "the whole of the written information sheet today."),
    )})
    view = modals.checklist(CODE, "2026-03-02 10:00", own, SESSION)
    View(**view).validate_json()
    options = field(view, "items")["element"]["options"]
    assert [o["value"] for o in options] == ["consent", "long"]
    long = options[1]
    assert len(long["text"]["text"]) <= 75 and len(long["description"]["text"]) <= 75
    assert f"{long['text']['text']} {long['description']['text']}" == own.checklist[1].text


def test_the_prescriber_signs_off_having_read_the_vitals_and_cautions() -> None:
    caution = "Caution: pre-dose BP 145/92 is above 140/90."
    view = modals.sign_off(CODE, ["Pre-dose BP 145/92 mmHg, HR 80 bpm, SpO2 97%", caution],
                           125, SESSION)
    assert view["title"]["text"] == "Sign off dose"
    assert f"• {caution}" in seen(view)
    assert labels(view) == ["Dose for this session (mg)"]
    assert field(view, "dose_mg")["element"]["initial_value"] == "125"
    assert fill(view["blocks"], {}).values["dose_mg"]["dose_mg"]["value"] == "125"


def test_confirming_presence_shows_no_authorised_dose_and_fills_nothing_in() -> None:
    assert list(inspect.signature(modals.presence).parameters) == ["code", "policy", "metadata"]
    view = modals.presence(CODE, POLICY, {"session_id": 7})
    assert view["title"]["text"] == "Confirm presence"
    assert labels(view) == ["Presence", "Dose on the dispensed tablets (mg)", "Route"]
    assert option_texts(field(view, "in_room")["element"]) == [
        "I am in the room with the patient"]
    assert field(view, "in_room")["element"]["options"][0]["value"] == "yes"
    dose = field(view, "dose_mg")["element"]
    route = field(view, "route")["element"]
    assert "initial_value" not in dose and "placeholder" not in dose
    assert "initial_option" not in route
    assert option_texts(route) == ["Sublingual", "Buccal"]
    # Nothing a clinician reads holds a number except the patient's code.
    assert re.findall(r"\d+", seen(view).replace(CODE, "")) == []
    shown = {k: v for k, v in view.items() if k != "private_metadata"}
    everything = json.dumps(shown).replace(CODE, "").replace('"min_value": "1"', "")
    assert not re.search(r"\d", everything)

    form = fill(view["blocks"], {"I am in the room with the patient": True,
                                 "Dose on the dispensed tablets (mg)": 100,
                                 "Route": "Sublingual"})
    assert form.problems == {}
    assert form.values["in_room"]["in_room"]["selected_options"][0]["value"] == "yes"
    assert form.values["route"]["route"]["selected_option"]["value"] == "sublingual"


def test_a_double_check_left_empty_is_stopped_in_the_modal() -> None:
    view = modals.presence(CODE, POLICY, SESSION)
    assert fill(view["blocks"], {}).problems == {
        "Dose on the dispensed tablets (mg)": REQUIRED, "Route": REQUIRED}


def test_vitals_during_the_session_with_sedation_and_dissociation() -> None:
    view = modals.vitals(CODE, SESSION)
    assert view["title"]["text"] == "Record vitals"
    assert labels(view) == ["Systolic BP (mmHg)", "Diastolic BP (mmHg)", "Heart rate (bpm)",
                            "SpO2 (%)", "Sedation (MOAA/S 0-5)", "Dissociation (0-4)"]
    sedation, dissociation = field(view, "sedation"), field(view, "dissociation")
    assert sedation["optional"] and dissociation["optional"]
    assert (sedation["element"]["min_value"], sedation["element"]["max_value"]) == ("0", "5")
    assert (dissociation["element"]["min_value"],
            dissociation["element"]["max_value"]) == ("0", "4")
    answers = {"Systolic BP (mmHg)": 130, "Diastolic BP (mmHg)": 85, "Heart rate (bpm)": 80,
               "SpO2 (%)": 96}
    assert fill(view["blocks"], answers).problems == {}
    assert fill(view["blocks"], {**answers, "Sedation (MOAA/S 0-5)": 6}).problems == {
        "Sedation (MOAA/S 0-5)": "Please enter a number of 5 or less."}


def test_ending_a_session_asks_for_discharge_adverse_events_severity_and_notes() -> None:
    view = modals.end_session(CODE, POLICY, SESSION)
    assert view["title"]["text"] == "End session"
    assert labels(view)[1:] == ["Systolic BP (mmHg)", "Diastolic BP (mmHg)", "Heart rate (bpm)",
                                "SpO2 (%)", "Adverse events", "Severity",
                                "Notes for the prescriber"]
    for key in ("systolic", "diastolic", "heart_rate", "spo2"):  # pre-discharge, if taken
        assert field(view, key)["optional"] is True
    discharge = field(view, "discharge")
    assert discharge["optional"] is True
    assert [(o["value"], o["text"]["text"]) for o in discharge["element"]["options"]] == [
        (item.id, item.text) for item in POLICY.discharge]
    severity = field(view, "severity")["element"]
    assert [(o["value"], o["text"]["text"]) for o in severity["options"]] == [
        ("none", "None"), ("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe")]
    assert severity["initial_option"]["value"] == "none"
    for key in ("adverse_events", "notes"):
        assert field(view, key)["optional"] is True
        assert field(view, key)["element"]["multiline"] is True
    form = fill(view["blocks"], {"Patient is alert and oriented": True,
                                 "Adverse events": "Nausea", "Severity": "Moderate"})
    assert form.problems == {}
    assert form.values["severity"]["severity"]["selected_option"]["value"] == "moderate"


def test_an_abort_needs_a_reason_and_a_cancellation_may_give_one() -> None:
    abort = modals.abort_session(CODE, SESSION)
    cancel = modals.cancel_session(CODE, SESSION)
    assert (abort["title"]["text"], abort["callback_id"]) == ("Abort session", "abort")
    assert (cancel["title"]["text"], cancel["callback_id"]) == ("Cancel session", "cancel")
    assert labels(abort) == labels(cancel) == ["Reason"]
    assert fill(abort["blocks"], {}).problems == {"Reason": REQUIRED}
    assert fill(cancel["blocks"], {}).problems == {}
    assert field(abort, "reason")["element"]["multiline"] is True


def test_a_follow_up_is_marked_done_with_optional_scores() -> None:
    view = modals.follow_up(CODE, "Integration session", {"follow_up_id": 3})
    assert view["title"]["text"] == "Mark done"
    assert "Integration session" in seen(view)
    assert labels(view) == ["PHQ-9 (0-27)", "GAD-7 (0-21)", "Notes"]
    assert (field(view, "phq9")["element"]["max_value"],
            field(view, "gad7")["element"]["max_value"]) == ("27", "21")
    assert fill(view["blocks"], {}).problems == {}
    assert fill(view["blocks"], {"GAD-7 (0-21)": 22}).problems == {
        "GAD-7 (0-21)": "Please enter a number of 21 or less."}


def test_typed_words_in_a_label_or_code_cannot_ping() -> None:
    view = modals.follow_up("<!channel>", "<!here>", {"follow_up_id": 3})
    context = view["blocks"][0]["elements"][0]["text"]
    assert "<!" not in context and "&lt;!channel&gt;" in context
