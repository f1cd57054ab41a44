"""What a change tells whom: outbox rows written inside the change's own transaction.

Destinations are addresses the delivery worker resolves when it sends: `pair:<patient>`
is that patient's care-pair channel (which may not exist yet when the row is written),
`@U…` a direct message. Keys make each effect happen once.
"""

from datetime import datetime
from uuid import uuid4

from sqlmodel import Session

from kapbot.store import outbox

SESSION_CARD, SUMMARY, HOME = "session_card", "summary", "home"
PAIR_CHANNEL, PAIR_INTRO = "pair_channel", "pair_intro"
NOTICE, ESCALATION = "notice", "escalation"


def pair(patient_id: int) -> str:
    return f"pair:{patient_id}"


def direct(slack_user_id: str) -> str:
    return f"@{slack_user_id}"


def on_call(channel: str) -> str:
    """The policy's escalation channel as an address: an ID as is, a name as `#name`."""
    is_id = channel[:1] in "CG" and channel[1:].isalnum() and channel.isupper()
    return channel if is_id else "#" + channel.removeprefix("#")


def open_pair_channel(tx: Session, patient_id: int, now: datetime) -> None:
    """Create the private channel, invite the pair, introduce kapbot — once."""
    outbox.enqueue(tx, key=f"pair_channel:{patient_id}", kind=PAIR_CHANNEL,
                   subject_id=patient_id, channel=pair(patient_id), now=now,
                   method="conversations.create")


def introduce_pair(tx: Session, patient_id: int, now: datetime) -> None:
    outbox.enqueue(tx, key=f"pair_intro:{patient_id}", kind=PAIR_INTRO, subject_id=patient_id,
                   channel=pair(patient_id), now=now)


def post_card(tx: Session, session_id: int, patient_id: int, now: datetime) -> None:
    outbox.enqueue(tx, key=f"card:{session_id}", kind=SESSION_CARD, subject_id=session_id,
                   channel=pair(patient_id), now=now)


def refresh_card(tx: Session, session_id: int, patient_id: int, now: datetime) -> None:
    """Edit the card to show the change; several edits in a row are sent as one."""
    outbox.enqueue(tx, key=f"card:{session_id}:{uuid4().hex}", kind=SESSION_CARD,
                   subject_id=session_id, channel=pair(patient_id), now=now,
                   edits=f"card:{session_id}", method="chat.update")


def send_summary(tx: Session, session_id: int, prescriber: str, now: datetime) -> None:
    outbox.enqueue(tx, key=f"summary:{session_id}", kind=SUMMARY, subject_id=session_id,
                   channel=direct(prescriber), now=now)


def refresh_summary(tx: Session, session_id: int, prescriber: str, now: datetime) -> None:
    outbox.enqueue(tx, key=f"summary:{session_id}:{uuid4().hex}", kind=SUMMARY,
                   subject_id=session_id, channel=direct(prescriber), now=now,
                   edits=f"summary:{session_id}", method="chat.update")


def publish_home(tx: Session, slack_user_id: str, page: int, now: datetime) -> None:
    """Re-publish one person's App Home; back-to-back requests are sent as one."""
    outbox.enqueue(tx, key=f"home:{slack_user_id}:{uuid4().hex}", kind=HOME, subject_id=page,
                   channel=direct(slack_user_id), now=now, edits=f"home:{slack_user_id}",
                   method="views.publish")


def notice(tx: Session, task_id: int, task_key: str, address: str, now: datetime) -> None:
    """A fired timer's message to one person or channel: once per task and address."""
    outbox.enqueue(tx, key=f"notice:{task_key}:{address}", kind=NOTICE, subject_id=task_id,
                   channel=address, now=now)


def _escalation_key(escalation_id: int, repeat: int, address: str) -> str:
    return f"escalation:{escalation_id}:{repeat}:{address}"


def escalation_repeat(key: str) -> int:
    """Which raising of an escalation a message key belongs to (0 = the first)."""
    return int(key.split(":")[2])


def escalate(tx: Session, escalation_id: int, repeat: int, addresses: list[str],
             now: datetime) -> None:
    for address in addresses:
        outbox.enqueue(tx, key=_escalation_key(escalation_id, repeat, address),
                       kind=ESCALATION, subject_id=escalation_id, channel=address, now=now)


def refresh_escalation(tx: Session, escalation_id: int, repeats: int, addresses: list[str],
                       now: datetime) -> None:
    """Every raising of the escalation shows it acknowledged, so no one answers it twice."""
    for repeat in range(repeats + 1):
        for address in addresses:
            original = _escalation_key(escalation_id, repeat, address)
            outbox.enqueue(tx, key=f"{original}:{uuid4().hex}", kind=ESCALATION,
                           subject_id=escalation_id, channel=address, now=now, edits=original,
                           method="chat.update")
