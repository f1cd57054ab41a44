"""The modals clinicians fill in: one builder per form, returning a `views.open` view.

Every input's `block_id` and `action_id` are the same field key, so a handler reads
`view["state"]["values"][key][key]`. `private_metadata` names only the subject (a session
or a patient code): a hint the services re-check, never trusted.

Ranges Slack can check in the client (whole numbers, 0–27 for PHQ-9) are set here; the
clinic's own limits (doses, blood pressure) are left to kapbot, whose refusal names the
field and the limit in words.
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    InputInteractiveElement,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from kapbot.blocks.text import escape
from kapbot.care.values import FORMULATION_LABELS, ROUTE_LABELS, Severity
from kapbot.policy import Item, Policy

TEXT_MAX = 3000  # what kapbot stores of any free text (kapbot.care.inputs.free_text)
OPTION_TEXT_MAX = 75  # Slack's limit for an option's text (and for its description)
SEDATION_MAX = 5  # MOAA/S, 0 (unresponsive) to 5 (alert)
DISSOCIATION_MAX = 4  # the clinician's 0–4 rating
PHQ9_MAX = 27
GAD7_MAX = 21
IN_ROOM = "I am in the room with the patient"
SEVERITY_LABELS = {Severity.NONE: "None", Severity.MILD: "Mild",
                   Severity.MODERATE: "Moderate", Severity.SEVERE: "Severe"}
VITALS = (("systolic", "Systolic BP (mmHg)"), ("diastolic", "Diastolic BP (mmHg)"),
          ("heart_rate", "Heart rate (bpm)"), ("spo2", "SpO2 (%)"))


def _modal(callback_id: str, title: str, metadata: Mapping[str, Any], blocks: list[Block],
           submit: str = "Submit", close: str = "Cancel") -> dict[str, Any]:
    return View(type="modal", callback_id=callback_id, title=title, submit=submit, close=close,
                private_metadata=json.dumps(dict(metadata), separators=(",", ":")),
                blocks=blocks).to_dict()


def _about(code: str, extra: str = "") -> ContextBlock:
    text = f"Patient *{escape(code)}*" + (f" · {extra}" if extra else "")
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _input(key: str, label: str, element: InputInteractiveElement, *,
           optional: bool = False, hint: str | None = None) -> InputBlock:
    element.action_id = key
    return InputBlock(block_id=key, label=label, element=element, optional=optional, hint=hint)


def _number(key: str, label: str, *, low: int | None = None, high: int | None = None,
            initial: int | None = None, optional: bool = False) -> InputBlock:
    return _input(key, label, NumberInputElement(
        is_decimal_allowed=False, min_value=low, max_value=high,
        initial_value=None if initial is None else str(initial)), optional=optional)


def _text(key: str, label: str, *, optional: bool = True) -> InputBlock:
    return _input(key, label, PlainTextInputElement(multiline=True, max_length=TEXT_MAX),
                  optional=optional)


def _select(key: str, label: str, choices: Iterable[tuple[str, str]],
            initial: str | None = None) -> InputBlock:
    options = [Option(value=value, text=PlainTextObject(text=text)) for value, text in choices]
    chosen = next((o for o in options if o.value == initial), None)
    return _input(key, label, StaticSelectElement(placeholder="Choose", options=options,
                                                  initial_option=chosen))


def _box(value: str, text: str) -> Option:
    """A checkbox; text beyond Slack's 75 characters continues in the option's description."""
    if len(text) <= OPTION_TEXT_MAX:
        return Option(value=value, text=PlainTextObject(text=text))
    cut = text.rfind(" ", 0, OPTION_TEXT_MAX + 1)
    if cut <= 0 or len(text) - cut - 1 > OPTION_TEXT_MAX:
        cut = OPTION_TEXT_MAX
    head, rest = text[:cut].rstrip(), text[cut:].strip()
    return Option(value=value, text=PlainTextObject(text=head),
                  description=PlainTextObject(text=rest[:OPTION_TEXT_MAX]))


def _checkboxes(key: str, label: str, items: Iterable[Item]) -> InputBlock:
    # Optional for Slack: an unticked item is reported by kapbot, in its own words.
    return _input(key, label, CheckboxesElement(options=[_box(i.id, i.text) for i in items]),
                  optional=True)


def _vitals(optional: bool = False) -> list[Block]:
    return [_number(key, label, optional=optional) for key, label in VITALS]


def dose_plan(code: str, policy: Policy, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The prescriber's dose plan for one patient (`/kap plan CODE`)."""
    d = policy.dose
    formulations = [(f, FORMULATION_LABELS.get(f, f)) for f in policy.medication.formulations]
    routes = [(r, ROUTE_LABELS.get(r, r)) for r in policy.medication.routes]
    limits = (f"Policy: {d.min_mg}–{d.max_mg} mg per session, at most "
              f"{d.first_session_max_mg} mg in a first session, at most +{d.titration_step_mg} "
              f"mg over the previous dose.")
    blocks: list[Block] = [
        _about(code),
        ContextBlock(elements=[MarkdownTextObject(text=limits)]),
        _select("formulation", "Formulation", formulations,
                formulations[0][0] if len(formulations) == 1 else None),
        _select("route", "Route", routes, routes[0][0] if len(routes) == 1 else None),
        _number("dose_mg", "Dose per session (mg)", low=1),
        _number("max_dose_mg", "Maximum dose (mg)", low=1),
        _number("sessions_authorised", "Sessions authorised", low=1),
        _input("valid_until", "Valid until", DatePickerElement(placeholder="Choose a date")),
        _text("notes", "Notes"),
    ]
    return _modal("plan", "Dose plan", metadata, blocks)


def checklist(code: str, scheduled_text: str, policy: Policy,
              metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The therapist's sign-in: every policy item, and the pre-dose vitals."""
    blocks: list[Block] = [
        _about(code, f"session {escape(scheduled_text)}"),
        _checkboxes("items", "Before dosing", policy.checklist),
        *_vitals(),
    ]
    return _modal("checklist", "Pre-session checklist", metadata, blocks)


def sign_off(code: str, vitals_lines: list[str], plan_dose_mg: int,
             metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The prescriber's go for this session's dose, after reading the checklist's vitals."""
    shown = "\n".join(f"• {line}" for line in vitals_lines) or "• No vitals recorded."
    blocks: list[Block] = [
        _about(code),
        SectionBlock(text=MarkdownTextObject(text=f"*Pre-session checklist*\n{shown}"[:3000])),
        _number("dose_mg", "Dose for this session (mg)", low=1, initial=plan_dose_mg),
    ]
    return _modal("sign_off", "Sign off dose", metadata, blocks)


def presence(code: str, policy: Policy, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The therapist's independent double check: nothing authorised is shown or pre-filled."""
    blocks: list[Block] = [
        _about(code),
        SectionBlock(text=MarkdownTextObject(text=(
            "Read the dose and route off the dispensed tablets and enter them yourself. "
            "kapbot compares them with the prescriber's sign-off."))),
        _input("in_room", "Presence", CheckboxesElement(options=[_box("yes", IN_ROOM)]),
               optional=True),
        _number("dose_mg", "Dose on the dispensed tablets (mg)", low=1),
        _select("route", "Route", [(r, ROUTE_LABELS.get(r, r)) for r in policy.medication.routes]),
    ]
    return _modal("presence", "Confirm presence", metadata, blocks)


def vitals(code: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A reading during the session; out-of-limit values are flagged, never refused."""
    blocks: list[Block] = [
        _about(code),
        *_vitals(),
        _number("sedation", "Sedation (MOAA/S 0-5)", low=0, high=SEDATION_MAX, optional=True),
        _number("dissociation", "Dissociation (0-4)", low=0, high=DISSOCIATION_MAX,
                optional=True),
    ]
    return _modal("vitals", "Record vitals", metadata, blocks)


def end_session(code: str, policy: Policy, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Sign out: the discharge checklist, the pre-discharge vitals the REMS monitoring
    record asks for (optional: a clinic may take them on paper), any adverse event, and
    notes for the prescriber."""
    blocks: list[Block] = [
        _about(code),
        _checkboxes("discharge", "Discharge checklist", policy.discharge),
        ContextBlock(elements=[MarkdownTextObject(
            text="Pre-discharge vitals: all four, or none.")]),
        *_vitals(optional=True),
        _text("adverse_events", "Adverse events"),
        _select("severity", "Severity", [(s.value, SEVERITY_LABELS[s]) for s in Severity],
                Severity.NONE.value),
        _text("notes", "Notes for the prescriber"),
    ]
    return _modal("end", "End session", metadata, blocks)


def abort_session(code: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    blocks: list[Block] = [
        _about(code),
        SectionBlock(text=MarkdownTextObject(text=(
            "Aborting ends the session now. A started session counts as a dose taken."))),
        _text("reason", "Reason", optional=False),
    ]
    return _modal("abort", "Abort session", metadata, blocks)


def cancel_session(code: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    blocks: list[Block] = [
        _about(code),
        SectionBlock(text=MarkdownTextObject(text=(
            "Cancelling closes this scheduled session; no dose is given."))),
        _text("reason", "Reason"),
    ]
    # "Cancel" would read as "cancel the session"; this button keeps it.
    return _modal("cancel", "Cancel session", metadata, blocks, close="Back")


def follow_up(code: str, label: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Marking an integration follow-up done, with the scores taken there if any."""
    blocks: list[Block] = [
        _about(code, f"*{escape(label)}*"),
        _number("phq9", "PHQ-9 (0-27)", low=0, high=PHQ9_MAX, optional=True),
        _number("gad7", "GAD-7 (0-21)", low=0, high=GAD7_MAX, optional=True),
        _text("notes", "Notes"),
    ]
    return _modal("follow_up", "Mark done", metadata, blocks)
