"""`/kap help`, tailored to the caller's roles, and the ephemeral answer to a refusal."""

import re
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from kapbot.blocks.text import escape

SECTION_TEXT_MAX = 3000

# (usage, what it does, who sees it: roles, or "admin", or "anyone")
COMMANDS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("/kap help", "this help", frozenset({"anyone"})),
    ("/kap roster", "who holds which role", frozenset({"admin"})),
    ("/kap roster add @user prescriber|therapist|admin", "give someone a role",
     frozenset({"admin"})),
    ("/kap roster remove @user ROLE", "take a role away", frozenset({"admin"})),
    ("/kap patient add CODE @prescriber @therapist",
     "create a care pair and its private channel", frozenset({"admin"})),
    ("/kap plan CODE", "open the Dose plan modal for your patient", frozenset({"prescriber"})),
    ("/kap session CODE YYYY-MM-DD HH:MM",
     "schedule a session (clinic time) and post its card in the care-pair channel",
     frozenset({"prescriber", "therapist"})),
    ("/kap status CODE", "active plan, next session and its gate, open follow-ups",
     frozenset({"prescriber", "therapist", "admin"})),
)

# kapbot's reasons may quote what someone typed ("not '<!channel>'"): that is shown
# literally, while the mentions kapbot writes itself (`<@U012AB3CD>`) stay mentions.
_OWN_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


def _shown_literally(text: str) -> str:
    parts = []
    last = 0
    for match in _OWN_MENTION.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(match.group())
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts)


def commands_for(roles: frozenset[str], is_admin: bool) -> list[tuple[str, str]]:
    """The (usage, meaning) pairs this person may use, in the order of the grammar."""
    held = set(roles) | {"anyone"} | ({"admin"} if is_admin else set())
    return [(usage, meaning) for usage, meaning, who in COMMANDS if who & held]


def help_text(roles: frozenset[str], is_admin: bool) -> dict[str, Any]:
    """`text` and `blocks` for an ephemeral answer to `/kap help` (or an unknown verb)."""
    usable = commands_for(roles, is_admin)
    lines = "\n".join(f"`{usage}` — {meaning}" for usage, meaning in usable)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(
        text=f"*kapbot commands you can use*\n{lines}"))]
    if not roles and not is_admin:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text="You hold no role in kapbot yet: an administrator can add you with "
                 "`/kap roster add`.")]))
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text="CODE is a patient code such as KAP-0042. Session cards, modals and your "
                 "App Home do the rest.")]))
    text = "kapbot commands: " + ", ".join(usage for usage, _ in usable)
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def refusal(reasons: list[str]) -> dict[str, Any]:
    """`text` and `blocks` listing every reason an action was refused, as bullets."""
    bullets = [f"• {_shown_literally(r)}" for r in reasons] or ["• No reason was given."]
    heading = ":no_entry: *Not done.*"
    chunks: list[str] = [heading]
    for bullet in (b[:SECTION_TEXT_MAX] for b in bullets):
        if len(chunks[-1]) + 1 + len(bullet) > SECTION_TEXT_MAX:
            chunks.append(bullet)
        else:
            chunks[-1] += "\n" + bullet
    blocks = [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks]
    text = "Not done:\n" + "\n".join(bullets)
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}
