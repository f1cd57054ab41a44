"""A short modal that replaces a submitted form when there is something to be careful of."""

from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from kapbot.blocks.text import escape


def notice(title: str, lines: list[str]) -> dict[str, Any]:
    text = "\n".join(f"• {escape(line)}" for line in lines)
    view = View(type="modal", title=title[:24], close="Close",
                blocks=[SectionBlock(text=MarkdownTextObject(text=text))])
    return view.to_dict()
