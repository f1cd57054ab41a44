"""Block Kit as Slack's servers see it: the limits they refuse, and the ids they assign.

The emulator refuses what Slack refuses, so a card that grows past 50 blocks or a modal
title that grows past 24 characters fails in a test instead of in a clinic. The checks
cover the limits kapbot can plausibly hit, not every rule of the Block Kit reference.
"""

from collections.abc import Callable, Iterator
from typing import Any

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MESSAGE_TEXT_MAX = 40_000
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
PRIVATE_METADATA_MAX = 3000
CALLBACK_ID_MAX = 255

_SECTION_TEXT_MAX = 3000
_SECTION_FIELDS_MAX = 10
_FIELD_TEXT_MAX = 2000
_HEADER_TEXT_MAX = 150
_BUTTON_TEXT_MAX = 75
_BUTTON_VALUE_MAX = 2000
_ID_MAX = 255
_ACTIONS_ELEMENTS_MAX = 25
_CONTEXT_ELEMENTS_MAX = 10
_LABEL_MAX = 2000
_OPTIONS_MAX = 100
_CHOICES_MAX = 10

_BLOCK_TYPES = frozenset({"actions", "context", "divider", "file", "header", "image", "input",
                          "markdown", "rich_text", "section", "video"})
_INPUT_ELEMENTS = frozenset({
    "checkboxes", "channels_select", "conversations_select", "datepicker", "datetimepicker",
    "email_text_input", "external_select", "multi_channels_select",
    "multi_conversations_select", "multi_external_select", "multi_static_select",
    "multi_users_select", "number_input", "plain_text_input", "radio_buttons", "rich_text_input",
    "static_select", "timepicker", "url_text_input", "users_select", "file_input",
})
_CHOICE_ELEMENTS = frozenset({"checkboxes", "radio_buttons"})

Block = dict[str, Any]


def _too_long(limit: int, pointer: str) -> str:
    return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _too_many(limit: int, pointer: str) -> str:
    return f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]"


def _missing(pointer: str) -> str:
    return f"[ERROR] missing required field [json-pointer:{pointer}]"


def _text_problems(text: object, pointer: str, limit: int, *, plain_only: bool) -> list[str]:
    if not isinstance(text, dict) or not isinstance(text.get("text"), str):
        return [_missing(pointer)]
    allowed = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
    if text.get("type") not in allowed:
        return [f"[ERROR] must be one of {sorted(allowed)} [json-pointer:{pointer}/type]"]
    if len(text["text"]) > limit:
        return [_too_long(limit, f"{pointer}/text")]
    return []


def _element_problems(element: object, pointer: str) -> list[str]:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return [_missing(f"{pointer}/type")]
    problems: list[str] = []
    if len(str(element.get("action_id", ""))) > _ID_MAX:
        problems.append(_too_long(_ID_MAX, f"{pointer}/action_id"))
    if element["type"] == "button":
        problems += _text_problems(element.get("text"), f"{pointer}/text", _BUTTON_TEXT_MAX,
                                   plain_only=True)
        if len(str(element.get("value", ""))) > _BUTTON_VALUE_MAX:
            problems.append(_too_long(_BUTTON_VALUE_MAX, f"{pointer}/value"))
    options = element.get("options")
    if isinstance(options, list):
        limit = _CHOICES_MAX if element["type"] in _CHOICE_ELEMENTS else _OPTIONS_MAX
        if len(options) > limit:
            problems.append(_too_many(limit, f"{pointer}/options"))
    return problems


def _elements_problems(block: Block, pointer: str, limit: int) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [_missing(f"{pointer}/elements")]
    if len(elements) > limit:
        return [_too_many(limit, f"{pointer}/elements")]
    if block["type"] == "context":
        return []
    problems: list[str] = []
    seen: set[object] = set()
    for index, element in enumerate(elements):
        problems += _element_problems(element, f"{pointer}/elements/{index}")
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is not None and action_id in seen:
            problems.append(f"[ERROR] action_id already exists: {action_id} "
                            f"[json-pointer:{pointer}/elements/{index}/action_id]")
        seen.add(action_id)
    return problems


def _section_problems(block: Block, pointer: str) -> list[str]:
    problems: list[str] = []
    if "text" not in block and "fields" not in block:
        return [_missing(f"{pointer}/text")]
    if "text" in block:
        problems += _text_problems(block["text"], f"{pointer}/text", _SECTION_TEXT_MAX,
                                   plain_only=False)
    fields = block.get("fields")
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > _SECTION_FIELDS_MAX:
            problems.append(_too_many(_SECTION_FIELDS_MAX, f"{pointer}/fields"))
        else:
            for index, field in enumerate(fields):
                problems += _text_problems(field, f"{pointer}/fields/{index}", _FIELD_TEXT_MAX,
                                           plain_only=False)
    if "accessory" in block:
        problems += _element_problems(block["accessory"], f"{pointer}/accessory")
    return problems


def _input_problems(block: Block, pointer: str) -> list[str]:
    problems = _text_problems(block.get("label"), f"{pointer}/label", _LABEL_MAX,
                              plain_only=True)
    element = block.get("element")
    if not isinstance(element, dict) or element.get("type") not in _INPUT_ELEMENTS:
        return [*problems, _missing(f"{pointer}/element")]
    return problems + _element_problems(element, f"{pointer}/element")


def _block_problems(block: object, pointer: str) -> list[str]:
    if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
        return [f"[ERROR] unsupported type [json-pointer:{pointer}/type]"]
    if len(str(block.get("block_id", ""))) > _ID_MAX:
        return [_too_long(_ID_MAX, f"{pointer}/block_id")]
    kind = block["type"]
    if kind == "section":
        return _section_problems(block, pointer)
    if kind == "header":
        return _text_problems(block.get("text"), f"{pointer}/text", _HEADER_TEXT_MAX,
                              plain_only=True)
    if kind == "actions":
        return _elements_problems(block, pointer, _ACTIONS_ELEMENTS_MAX)
    if kind == "context":
        return _elements_problems(block, pointer, _CONTEXT_ELEMENTS_MAX)
    if kind == "input":
        return _input_problems(block, pointer)
    return []


def block_problems(blocks: object, *, limit: int, pointer: str = "/blocks") -> list[str]:
    """What Slack would list in `response_metadata.messages` beside `invalid_blocks`."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    if len(blocks) > limit:
        return [_too_many(limit, pointer)]
    problems: list[str] = []
    seen: set[object] = set()
    for index, block in enumerate(blocks):
        problems += _block_problems(block, f"{pointer}/{index}")
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is not None and block_id in seen:
            problems.append(f"[ERROR] block_id already exists: {block_id} "
                            f"[json-pointer:{pointer}/{index}/block_id]")
        seen.add(block_id)
    return problems


def view_problems(view: object, *, surface: str) -> tuple[str, list[str]] | None:
    """Slack's refusal of a view (error code and messages), or None when it is acceptable.

    `surface` is "modal" for views.open/push/update and response actions, "home" for
    views.publish; a view of the wrong type is refused just as Slack refuses it.
    """
    if not isinstance(view, dict):
        return "invalid_arguments", ["[ERROR] must be an object [json-pointer:/view]"]
    if view.get("type") != surface:
        return "invalid_arguments", [f"[ERROR] must be '{surface}' [json-pointer:/view/type]"]
    problems: list[str] = []
    if surface == "modal":
        problems += _text_problems(view.get("title"), "/view/title", VIEW_TITLE_MAX,
                                   plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                problems += _text_problems(view[key], f"/view/{key}", VIEW_BUTTON_MAX,
                                           plain_only=True)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(block, dict) and block.get("type") == "input" for block in blocks)
        if has_input and "submit" not in view:
            problems.append("[ERROR] submit is required when an input block is within the "
                            "blocks array [json-pointer:/view/submit]")
    if len(str(view.get("private_metadata", ""))) > PRIVATE_METADATA_MAX:
        problems.append(_too_long(PRIVATE_METADATA_MAX, "/view/private_metadata"))
    if len(str(view.get("callback_id", ""))) > CALLBACK_ID_MAX:
        problems.append(_too_long(CALLBACK_ID_MAX, "/view/callback_id"))
    if problems:
        return "invalid_arguments", problems
    blocks_refused = block_problems(view.get("blocks", []), limit=VIEW_BLOCKS_MAX,
                                    pointer="/view/blocks")
    if blocks_refused:
        return "invalid_blocks", blocks_refused
    return None


def with_ids(blocks: list[Block], new_id: Callable[[], str]) -> list[Block]:
    """A copy of `blocks` where every block and interactive element has an id.

    Slack fills in a `block_id` and an `action_id` the app left out, and interaction
    payloads name them; the driver needs them to send what Slack would send.
    """
    copied: list[Block] = []
    for original in blocks:
        block = dict(original)
        block.setdefault("block_id", new_id())
        if isinstance(block.get("accessory"), dict):
            block["accessory"] = _element_with_id(block["accessory"], new_id)
        if isinstance(block.get("element"), dict):
            block["element"] = _element_with_id(block["element"], new_id)
        if block.get("type") == "actions" and isinstance(block.get("elements"), list):
            block["elements"] = [_element_with_id(e, new_id) for e in block["elements"]]
        copied.append(block)
    return copied


def _element_with_id(element: dict[str, Any], new_id: Callable[[], str]) -> dict[str, Any]:
    element = dict(element)
    element.setdefault("action_id", new_id())
    return element


def buttons(blocks: list[Block]) -> Iterator[tuple[Block, dict[str, Any]]]:
    """Every button in `blocks`, with the block that holds it, in reading order."""
    for block in blocks:
        candidates: list[Any] = []
        if block.get("type") == "section":
            candidates = [block.get("accessory")]
        elif block.get("type") == "actions":
            candidates = list(block.get("elements", []))
        for element in candidates:
            if isinstance(element, dict) and element.get("type") == "button":
                yield block, element


def button_label(element: dict[str, Any]) -> str:
    return str(element.get("text", {}).get("text", "")).strip()
