"""The session card: one message per session, edited in place as the session moves on."""

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from kapbot.blocks.text import mention, when
from kapbot.care.card import Mark, SessionView, lines, overdue
from kapbot.care.values import SessionState
from kapbot.policy import Policy

MARK_ICONS = {Mark.MET: ":white_check_mark:", Mark.WAITING: ":hourglass_flowing_sand:",
              Mark.FAILED: ":x:"}
STATE_WORDS = {SessionState.SCHEDULED: "Scheduled", SessionState.IN_PROGRESS: "In progress",
               SessionState.COMPLETED: "Completed", SessionState.CANCELLED: "Cancelled",
               SessionState.ABORTED: "Aborted"}
BUTTONS = {
    SessionState.SCHEDULED: (("Pre-session checklist", "session.checklist", None),
                             ("Sign off dose", "session.sign_off", None),
                             ("Confirm presence", "session.presence", None),
                             ("Start session", "session.start", "primary"),
                             ("Cancel session", "session.cancel", "danger")),
    SessionState.IN_PROGRESS: (("Record vitals", "session.vitals", None),
                               ("Check in", "session.check_in", None),
                               ("End session", "session.end", "primary"),
                               ("Abort session", "session.abort", "danger")),
}


def _requirement_blocks(view: SessionView, policy: Policy) -> list[Block]:
    rows = []
    for line in lines(view.snapshot, view.now, policy):
        text = f"{MARK_ICONS[line.mark]} *{line.title}*"
        if line.by is not None and line.mark is not Mark.WAITING:
            text += f" — {mention(view.people.get(line.by))}"
            if line.at is not None:
                text += f", {when(line.at, policy.tz)}"
        details = [*line.reasons, *line.warnings]
        if details:
            text += "\n" + "\n".join(f"• {d}" for d in details)
        rows.append(SectionBlock(text=MarkdownTextObject(text=text)))
    return rows


def _outcome_blocks(view: SessionView, policy: Policy) -> list[Block]:
    s = view.snapshot
    text = f"*{STATE_WORDS[s.state]}*"
    if s.started_at is not None and view.dose_mg is not None:
        text += f" — {view.dose_mg} mg, started {when(s.started_at, policy.tz)}"
    if view.ended_at is not None:
        text += f", ended {when(view.ended_at, policy.tz)}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if view.follow_ups:
        follow = "\n".join(f"• {f.label}: due {when(f.due_at, policy.tz)} (window until "
                           f"{when(f.window_ends_at, policy.tz)}) — {f.state}"
                           for f in view.follow_ups)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Follow-ups*\n{follow}")))
    return blocks


def session_card(view: SessionView, policy: Policy) -> dict[str, Any]:
    """`text` (for notifications) and `blocks` for chat.postMessage / chat.update."""
    s = view.snapshot
    title = f"{s.pair.code} · session {when(s.scheduled_at, policy.tz)}"
    prescriber = mention(view.people.get(s.pair.prescriber_id))
    therapist = mention(view.people.get(s.pair.therapist_id))
    state = STATE_WORDS[s.state]
    late = overdue(s, view.now, policy)
    if late:
        state += " · :warning: *overdue*"
    blocks: list[Block] = [
        HeaderBlock(text=title),
        ContextBlock(elements=[MarkdownTextObject(
            text=f"{state} · prescriber {prescriber} · therapist {therapist}")]),
        DividerBlock(),
    ]
    if late:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=f":warning: *Overdue*: not started {policy.reminders.overdue_minutes} min "
                 "after its time. Start it, or cancel it.")))
    if s.state is SessionState.SCHEDULED:
        blocks += _requirement_blocks(view, policy)
    else:
        blocks += _outcome_blocks(view, policy)
    buttons = BUTTONS.get(s.state, ())
    if buttons:
        blocks.append(ActionsBlock(block_id=f"session:{s.id}", elements=[
            ButtonElement(text=label, action_id=action, value=str(s.id), style=style)
            for label, action, style in buttons]))
    return {"text": f"{title}: {STATE_WORDS[s.state].lower()}{', overdue' if late else ''}",
            "blocks": [b.to_dict() for b in blocks]}
