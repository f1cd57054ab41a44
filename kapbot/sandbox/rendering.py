"""Block Kit and mrkdwn turned into the words a person reads on screen.

Tests assert on what clinicians see rather than on JSON, so a refusal shown in the wrong
block still reads right, and a ping that would really fire shows up as "@channel"
instead of hiding in markup, while an escaped "&lt;!channel&gt;" reads "<!channel>".
"""

import re
from typing import Any, Protocol


class Names(Protocol):
    """Where mentions get the names Slack shows in their place."""

    def name_of_user(self, user_id: str) -> str | None: ...

    def name_of_channel(self, channel_id: str) -> str | None: ...


_ANGLE = re.compile(r"<([^<>]*)>")
_BROADCASTS = {"here", "channel", "everyone"}


def mrkdwn(text: str, names: Names) -> str:
    """Slack's markup as displayed: mentions by name, links by label, entities decoded."""

    def shown(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + (names.name_of_user(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (names.name_of_channel(target[1:]) or label or target[1:])
        if target.startswith("!"):
            command = target[1:].split("^")[0]
            return f"@{command}" if command in _BROADCASTS else label or f"@{command}"
        return label or target

    decoded = _ANGLE.sub(shown, text)
    return decoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_object(obj: Any, names: Names) -> str:
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    return mrkdwn(text, names) if obj.get("type") == "mrkdwn" else text


def _option_text(option: Any) -> str:
    return str(option.get("text", {}).get("text", "")) if isinstance(option, dict) else ""


def element_text(element: Any, names: Names) -> str:
    """An interactive element as it looks: a button is its label in brackets."""
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "button":
        return f"[{text_object(element.get('text'), names)}]"
    if kind == "image":
        return str(element.get("alt_text", ""))
    if kind in {"checkboxes", "radio_buttons"}:
        chosen = {_option_text(o) for o in element.get("initial_options", [])}
        if "initial_option" in element:
            chosen.add(_option_text(element["initial_option"]))
        return "  ".join(f"({'x' if _option_text(o) in chosen else ' '}) {_option_text(o)}"
                         for o in element.get("options", []))
    if kind in {"plain_text", "mrkdwn"}:
        return text_object(element, names)
    shown = (_option_text(element.get("initial_option"))
             or str(element.get("initial_value") or element.get("initial_date")
                    or element.get("initial_time") or "")
             or text_object(element.get("placeholder"), names))
    return f"[{shown} ▾]" if kind and str(kind).endswith("select") else f"[{shown}]"


def _rich_text(elements: Any) -> str:
    if not isinstance(elements, list):
        return ""
    parts: list[str] = []
    for element in elements:
        if not isinstance(element, dict):
            continue
        if "elements" in element:
            parts.append(_rich_text(element["elements"]))
        else:
            parts.append(str(element.get("text") or element.get("url") or ""))
    return "".join(parts)


def block_lines(block: dict[str, Any], names: Names) -> list[str]:
    kind = block.get("type")
    lines: list[str] = []
    if kind in {"section", "header"}:
        lines.append(text_object(block.get("text"), names))
        lines += [text_object(field, names) for field in block.get("fields", [])]
        if "accessory" in block:
            lines.append(element_text(block["accessory"], names))
    elif kind in {"context", "actions"}:
        lines.append("  ".join(element_text(e, names) for e in block.get("elements", [])))
    elif kind == "input":
        optional = " (optional)" if block.get("optional") else ""
        lines.append(f"{text_object(block.get('label'), names)}{optional}: "
                     f"{element_text(block.get('element'), names)}")
    elif kind == "divider":
        lines.append("---")
    elif kind == "image":
        lines.append(str(block.get("alt_text", "")))
    elif kind == "rich_text":
        lines.append(_rich_text(block.get("elements")))
    elif kind == "markdown":
        lines.append(str(block.get("text", "")))
    return [line for line in lines if line]


def message_text(text: str, blocks: list[dict[str, Any]], names: Names) -> str:
    """A message as read: its blocks when it has any (the text is then only a fallback)."""
    if not blocks:
        return mrkdwn(text, names)
    return "\n".join(line for block in blocks for line in block_lines(block, names))


def view_text(view: dict[str, Any], names: Names) -> str:
    """A modal or Home tab as read: title, blocks, then the modal's buttons."""
    lines = [text_object(view.get("title"), names)] if "title" in view else []
    lines += [line for block in view.get("blocks", []) for line in block_lines(block, names)]
    buttons = [f"[{text_object(view[key], names)}]" for key in ("close", "submit")
               if key in view]
    if buttons:
        lines.append("  ".join(buttons))
    return "\n".join(line for line in lines if line)
