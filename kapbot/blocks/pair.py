"""The care pair's private channel: its name, and kapbot's introduction in it."""

import hashlib
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from kapbot.blocks.text import mention


def channel_name(patient_id: int, salt: str) -> str:
    """`kap-pair-7f3a9c`: stable for one patient, and revealing nothing about the code."""
    return "kap-pair-" + hashlib.sha256(f"{salt}:{patient_id}".encode()).hexdigest()[:6]


def introduction(code: str, prescriber: str, therapist: str) -> dict[str, Any]:
    text = (f"This is the private care-pair channel for *{code}*: prescriber "
            f"{mention(prescriber)}, therapist {mention(therapist)}. Session cards for {code} "
            "appear here. `/kap plan " + code + "` posts a dose plan; `/kap session " + code +
            " YYYY-MM-DD HH:MM` schedules a session.")
    return {"text": f"Care-pair channel for {code}",
            "blocks": [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]}
