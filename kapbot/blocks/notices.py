"""Reminders, prompts and escalations: short messages, each with the one button that helps.

A message fired after kapbot was down says so, with the time it was due, so nobody
mistakes a late reminder for a current one.
"""

from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from kapbot.blocks.text import mention, when
from kapbot.care.timeline import EscalationView, Notice, TimerKind
from kapbot.policy import Policy

# kind → (what it says, the button's label and action); {…} are filled from the notice.
_WORDING: dict[TimerKind, tuple[str, tuple[str, str] | None]] = {
    TimerKind.CHECKLIST_REMINDER: (
        ":alarm_clock: *{code}* has a session at {scheduled} (in {ahead}). The pre-session "
        "checklist is not done yet.", ("Pre-session checklist", "session.checklist")),
    TimerKind.SIGN_OFF_REMINDER: (
        ":alarm_clock: *{code}* has a session at {scheduled} (in {ahead}). Your dose "
        "sign-off is still missing.", ("Sign off dose", "session.sign_off")),
    TimerKind.SESSION_OVERDUE: (
        ":warning: *{code}*'s session at {scheduled} has not started: it is *overdue*.", None),
    TimerKind.CHECK_IN_PROMPT: (
        ":wave: Presence check-in {number} for *{code}*: confirm you are in the room.",
        ("Check in", "session.check_in")),
    TimerKind.VITALS_REMINDER: (
        ":stethoscope: Time for *{code}*'s vitals during the session (BP, heart rate, SpO2).",
        ("Record vitals", "session.vitals")),
    TimerKind.MONITORING_REACHED: (
        ":hourglass: *{code}* has been monitored for the minimum time. The session may end "
        "once the discharge checklist is met.", ("End session", "session.end")),
    TimerKind.SUMMARY_REMINDER: (
        ":memo: The post-session summary for *{code}* (session of {scheduled}) is not "
        "acknowledged yet.", ("Acknowledge", "summary.acknowledge")),
    TimerKind.FOLLOW_UP_DUE: (
        ":calendar: *{code}*'s {label} is due (window until {window}).",
        ("Mark done", "follow_up.done")),
    TimerKind.FOLLOW_UP_MISSED: (
        ":warning: *{code}*'s {label} was not done by the end of its window ({window}): it "
        "is marked *missed*.", None),
}


def _duration(span: timedelta) -> str:
    """`24 h`, `2 h`, `90 min`: how far ahead a reminder is, as people say it."""
    minutes = round(span.total_seconds() / 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def _late(due_at_text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(
        text=f":hourglass_flowing_sand: Late: this was due at {due_at_text}, while kapbot "
             "was not running.")])


def notice(view: Notice, policy: Policy) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage."""
    wording, button = _WORDING[view.kind]
    ahead = ""
    if view.scheduled_at is not None:
        ahead = _duration(view.scheduled_at - view.due_at)
    text = wording.format(code=view.code, scheduled=when(view.scheduled_at, policy.tz),
                          ahead=ahead,
                          number=view.number or "", label=view.label,
                          window=when(view.window_ends_at, policy.tz))
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if view.late:
        blocks.append(_late(when(view.due_at, policy.tz)))
    if button is not None:
        label, action = button
        subject = view.follow_up_id if view.kind is TimerKind.FOLLOW_UP_DUE else view.session_id
        blocks.append(ActionsBlock(elements=[ButtonElement(
            text=label, action_id=action, value=str(subject), style="primary")]))
    return {"text": text.replace("*", ""), "blocks": [b.to_dict() for b in blocks]}


def escalation(view: EscalationView, repeat: int, policy: Policy) -> dict[str, Any]:
    """The missed check-in, to the prescriber and the on-call channel, until acknowledged."""
    again = f" (reminder {repeat})" if repeat else ""
    text = (f":rotating_light: *Missed presence check-in{again}:* *{view.code}* — check-in "
            f"{view.check_in} was due at {when(view.due_at, policy.tz)} and therapist "
            f"{mention(view.therapist)} has not confirmed presence. Prescriber "
            f"{mention(view.prescriber)}.")
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if view.late and not repeat:
        blocks.append(_late(when(view.deadline_at, policy.tz)))
    if view.acknowledged_at is None:
        blocks.append(ActionsBlock(elements=[ButtonElement(
            text="Acknowledge", action_id="escalation.acknowledge", value=str(view.id),
            style="danger")]))
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f":white_check_mark: Acknowledged by {mention(view.acknowledged_by)}, "
                 f"{when(view.acknowledged_at, policy.tz)}")]))
    return {"text": f"Missed presence check-in{again}: {view.code}",
            "blocks": [b.to_dict() for b in blocks]}
