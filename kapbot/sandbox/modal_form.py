"""Filling a modal by the labels a person reads, into the `view.state.values` Slack sends.

Slack's own client checks some things before the app hears of a submission: required
fields, number ranges, lengths. The form repeats those checks, so an app never receives
a submission Slack would not have sent, and a test sees those refusals by label too.
"""

from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

Answer = str | int | float | bool | date | time | datetime | Sequence[str]
"""What a person puts in a field: text or a number, an option's text (several for
checkboxes and multi-selects; True ticks a checkbox that has a single option), a date, a
time, a date and time, or a user or conversation id for the selects of those."""

REQUIRED = "Please complete this required field."
NOT_A_NUMBER = "Please enter a number."
NOT_WHOLE = "Please enter a whole number."
NOT_EMAIL = "Please enter a valid email address."
NOT_URL = "Please enter a valid URL."

_TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
_SINGLE_CHOICE = {"static_select", "radio_buttons"}
_MULTI_CHOICE = {"checkboxes", "multi_static_select"}
_ID_SELECTS = {
    "users_select": ("initial_user", "selected_user"),
    "conversations_select": ("initial_conversation", "selected_conversation"),
    "channels_select": ("initial_channel", "selected_channel"),
    "multi_users_select": ("initial_users", "selected_users"),
    "multi_conversations_select": ("initial_conversations", "selected_conversations"),
    "multi_channels_select": ("initial_channels", "selected_channels"),
}

State = dict[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class Field:
    """One input block of a modal, as a person finds it: by its label."""

    label: str
    block_id: str
    action_id: str
    element: dict[str, Any]
    optional: bool


@dataclass(frozen=True)
class FilledForm:
    values: State
    """`view.state.values`: block_id → action_id → the element's state."""
    problems: dict[str, str]
    """Label → what Slack's client says under the field; empty when it would send."""


def fields(blocks: list[dict[str, Any]]) -> list[Field]:
    return [Field(str(block.get("label", {}).get("text", "")), block["block_id"],
                  block["element"]["action_id"], block["element"], bool(block.get("optional")))
            for block in blocks if block.get("type") == "input"]


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options += group.get("options", [])
    return options


def _option(element: dict[str, Any], text: str, label: str) -> dict[str, Any]:
    for option in _options(element):
        if option.get("text", {}).get("text") == text:
            return deepcopy(option)
    offered = [o.get("text", {}).get("text") for o in _options(element)]
    raise KeyError(f"{label!r} has no option {text!r}; it offers {offered}")


def _initial_state(element: dict[str, Any]) -> dict[str, Any]:
    kind = element["type"]
    state: dict[str, Any] = {"type": kind}
    if kind in _TEXT_INPUTS:
        state["value"] = element.get("initial_value")
    elif kind in _SINGLE_CHOICE:
        state["selected_option"] = deepcopy(element.get("initial_option"))
    elif kind in _MULTI_CHOICE:
        state["selected_options"] = deepcopy(element.get("initial_options", []))
    elif kind == "datepicker":
        state["selected_date"] = element.get("initial_date")
    elif kind == "timepicker":
        state["selected_time"] = element.get("initial_time")
    elif kind == "datetimepicker":
        state["selected_date_time"] = element.get("initial_date_time")
    elif kind in _ID_SELECTS:
        initial, selected = _ID_SELECTS[kind]
        state[selected] = deepcopy(element.get(initial))
    return state


def initial_values(blocks: list[dict[str, Any]]) -> State:
    """The state of a view nobody has typed in yet: what its initial values say."""
    values: State = {}
    for field in fields(blocks):
        values.setdefault(field.block_id, {})[field.action_id] = _initial_state(field.element)
    return values


def _answered_state(field: Field, answer: Answer) -> dict[str, Any]:
    element, kind = field.element, field.element["type"]
    state = _initial_state(element)
    if kind in _TEXT_INPUTS:
        state["value"] = None if answer in ("", None) else str(answer)
    elif kind in _SINGLE_CHOICE:
        state["selected_option"] = _option(element, str(answer), field.label)
    elif kind in _MULTI_CHOICE:
        chosen = _chosen_texts(element, answer)
        state["selected_options"] = [_option(element, text, field.label) for text in chosen]
    elif kind == "datepicker":
        state["selected_date"] = answer.isoformat() if isinstance(answer, date) else str(answer)
    elif kind == "timepicker":
        state["selected_time"] = (answer.strftime("%H:%M") if isinstance(answer, time)
                                  else str(answer))
    elif kind == "datetimepicker":
        state["selected_date_time"] = (int(answer.timestamp()) if isinstance(answer, datetime)
                                       else int(str(answer)))
    elif kind in _ID_SELECTS:
        selected = _ID_SELECTS[kind][1]
        if kind.startswith("multi_") and isinstance(answer, Sequence):
            state[selected] = [answer] if isinstance(answer, str) else [str(a) for a in answer]
        else:
            state[selected] = str(answer)
    else:
        raise ValueError(f"the sandbox cannot fill a {kind} ({field.label!r})")
    return state


def _chosen_texts(element: dict[str, Any], answer: Answer) -> list[str]:
    if answer is True:
        options = _options(element)
        if len(options) != 1:
            raise ValueError("True ticks a checkbox group of one option only; name the options")
        return [options[0]["text"]["text"]]
    if answer is False:
        return []
    if isinstance(answer, str):
        return [answer]
    if isinstance(answer, Sequence):
        return [str(text) for text in answer]
    raise TypeError(f"checkboxes take option texts, not {answer!r}")


def _tick_option(values: State, field: Field, option_text: str, ticked: bool) -> None:
    state = values[field.block_id][field.action_id]
    kept = [o for o in state["selected_options"] if o["text"]["text"] != option_text]
    if ticked:
        kept.append(_option(field.element, option_text, field.label))
    state["selected_options"] = kept


def _checkbox_with_option(all_fields: list[Field], text: str) -> Field | None:
    owners = [f for f in all_fields if f.element["type"] == "checkboxes"
              and any(o.get("text", {}).get("text") == text for o in _options(f.element))]
    if len(owners) > 1:
        raise KeyError(f"several checkbox groups offer {text!r}; use their labels")
    return owners[0] if owners else None


def fill(blocks: list[dict[str, Any]], answers: Mapping[str, Answer]) -> FilledForm:
    """Each answer goes to the input with that label, or else to the checkbox with that
    option text (True ticks it, False unticks it). An unknown name is a KeyError."""
    all_fields = fields(blocks)
    values = initial_values(blocks)
    for name, answer in answers.items():
        labelled = [f for f in all_fields if f.label == name]
        if len(labelled) > 1:
            raise KeyError(f"several inputs are labelled {name!r}")
        if labelled:
            field = labelled[0]
            values[field.block_id][field.action_id] = _answered_state(field, answer)
            continue
        owner = _checkbox_with_option(all_fields, name)
        if owner is None:
            raise KeyError(f"the modal has no input labelled {name!r}; its labels are "
                           f"{[f.label for f in all_fields]}")
        _tick_option(values, owner, name, bool(answer))
    problems = {f.label: problem for f in all_fields
                if (problem := client_side_problem(f, values[f.block_id][f.action_id]))}
    return FilledForm(values, problems)


def _is_empty(state: dict[str, Any]) -> bool:
    return all(value in (None, "", []) for key, value in state.items() if key != "type")


def client_side_problem(field: Field, state: dict[str, Any]) -> str | None:
    """What Slack's client says under a field before it lets the person submit."""
    if _is_empty(state):
        return None if field.optional else REQUIRED
    element, kind, value = field.element, field.element["type"], state.get("value")
    if kind == "number_input":
        return _number_problem(element, str(value))
    if kind == "plain_text_input":
        if len(str(value)) < int(element.get("min_length", 0)):
            return f"Please enter at least {element['min_length']} characters."
        if len(str(value)) > int(element.get("max_length", 3000)):
            return f"Please enter no more than {element.get('max_length', 3000)} characters."
    if kind == "email_text_input" and "@" not in str(value):
        return NOT_EMAIL
    if kind == "url_text_input" and not str(value).startswith(("http://", "https://")):
        return NOT_URL
    return None


def _number_problem(element: dict[str, Any], text: str) -> str | None:
    try:
        number = float(text)
    except ValueError:
        return NOT_A_NUMBER
    if not element.get("is_decimal_allowed") and not number.is_integer():
        return NOT_WHOLE
    if "min_value" in element and number < float(element["min_value"]):
        return f"Please enter a number of {element['min_value']} or more."
    if "max_value" in element and number > float(element["max_value"]):
        return f"Please enter a number of {element['max_value']} or less."
    return None
