"""The post-session summary: the prescriber's monitoring record, with an Acknowledge button."""

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from kapbot.blocks.text import escape, mention, when
from kapbot.care.card import SummaryView
from kapbot.care.values import ROUTE_LABELS, Severity
from kapbot.policy import Policy

MAX_READINGS = 20  # a session has a handful; the cap keeps the message inside 50 blocks


def _readings(view: SummaryView, policy: Policy) -> str:
    lines = []
    for r in view.readings[-MAX_READINGS:]:
        extra = "".join(f", {label} {value}" for label, value in
                        (("MOAA/S", r.sedation), ("dissociation", r.dissociation))
                        if value is not None)
        lines.append(f"• {when(r.at, policy.tz)} ({r.phase.replace('_', '-')}): BP "
                     f"{r.systolic}/{r.diastolic}, HR {r.heart_rate}, SpO2 {r.spo2}%{extra}")
    return "\n".join(lines) or "• none recorded"


def summary(view: SummaryView, policy: Policy) -> dict[str, Any]:
    title = f"Post-session summary · {view.code}"
    blocks: list[Block] = [HeaderBlock(text=title)]
    flagged = [e for e in view.adverse_events if Severity(e.severity).flagged]
    if flagged:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(
            f":rotating_light: *{e.severity.capitalize()} adverse event:* "
            f"{escape(e.description)}" for e in flagged))))
    route = ROUTE_LABELS.get(view.route or "", view.route or "")
    minutes = view.monitoring_minutes
    blocks += [
        SectionBlock(text=MarkdownTextObject(text=(
            f"*{view.outcome.capitalize()}* · {view.dose_mg} mg {route.lower()} · started "
            f"{when(view.started_at, policy.tz)}, ended {when(view.ended_at, policy.tz)} "
            f"({minutes} min of monitoring) · therapist {mention(view.therapist)}"))),
        SectionBlock(text=MarkdownTextObject(text=f"*Vitals*\n{_readings(view, policy)}")),
        SectionBlock(text=MarkdownTextObject(text=(
            f"*Check-ins:* {len(view.check_ins)}"
            + (f" (last {when(view.check_ins[-1], policy.tz)})" if view.check_ins else "")))),
    ]
    others = [e for e in view.adverse_events if not Severity(e.severity).flagged]
    if others:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="*Adverse events*\n" + "\n".join(
            f"• {e.severity}: {escape(e.description)}" for e in others))))
    if view.abort_reason:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=f"*Why it was aborted*\n{escape(view.abort_reason)}")))
    if view.notes:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=f"*Notes from the therapist*\n{escape(view.notes)}")))
    if view.acknowledged_at is None:
        blocks.append(ActionsBlock(block_id=f"summary:{view.session_id}", elements=[
            ButtonElement(text="Acknowledge", action_id="summary.acknowledge",
                          value=str(view.session_id), style="primary")]))
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f":white_check_mark: Acknowledged by {mention(view.acknowledged_by)} "
                 f"{when(view.acknowledged_at, policy.tz)}")]))
    alert = "Moderate or severe adverse event. " if flagged else ""
    return {"text": f"{alert}{title}", "blocks": [b.to_dict() for b in blocks]}
