"""What each kind of outbox row says, and where it goes: the delivery worker's content.

Rendered at send time from the database, so a message always shows the latest state.
"""

from typing import Any

from kapbot.blocks.home import home
from kapbot.blocks.notices import escalation, notice
from kapbot.blocks.pair import channel_name, introduction
from kapbot.blocks.session_card import session_card
from kapbot.blocks.summary import summary
from kapbot.policy import Policy
from kapbot.services import Services, notify
from kapbot.store.outbox import Claimed


class Outgoing:
    def __init__(self, services: Services, policy: Policy, salt: str) -> None:
        self.services, self.policy, self.salt = services, policy, salt

    def render(self, message: Claimed) -> dict[str, Any] | None:
        """The API arguments for this message, or None when there is nothing left to say."""
        subject = message.subject_id
        if subject is None:
            return None
        if message.kind == notify.SESSION_CARD:
            view = self.services.session_view(subject)
            return session_card(view, self.policy) if view else None
        if message.kind == notify.HOME:
            user = message.channel.removeprefix("@")
            return {"user_id": user,
                    "view": home(self.services.home_view(user, subject), self.policy)}
        if message.kind == notify.SUMMARY:
            ended = self.services.summary_view(subject)
            return summary(ended, self.policy) if ended else None
        if message.kind == notify.NOTICE:
            fired = self.services.notice_view(subject)
            return notice(fired, self.policy) if fired else None
        if message.kind == notify.ESCALATION:
            raised = self.services.escalation_view(subject)
            repeat = notify.escalation_repeat(message.edits or message.key)
            return escalation(raised, repeat, self.policy) if raised else None
        pair = self.services.care_pair(subject)
        if pair is None:
            return None
        code, prescriber, therapist, _ = pair
        if message.kind == notify.PAIR_CHANNEL:
            return {"name": channel_name(subject, self.salt), "is_private": True,
                    "invite": [prescriber, therapist]}
        if message.kind == notify.PAIR_INTRO:
            return introduction(code, prescriber, therapist)
        raise ValueError(f"unknown outbox kind {message.kind!r}")

    def resolve(self, address: str) -> str | None:
        """A Slack channel ID for `pair:<patient>` (None until the channel exists)."""
        kind, _, ident = address.partition(":")
        if kind != "pair" or not ident.isdigit():
            return address
        pair = self.services.care_pair(int(ident))
        return pair[3] if pair else None

    def opened(self, message: Claimed, channel_id: str) -> None:
        """A care pair's channel now exists: remember it so the pair's messages can follow."""
        assert message.subject_id is not None
        outcome = self.services.record_pair_channel(message.subject_id, channel_id)
        if outcome.refused:
            raise RuntimeError("; ".join(outcome.reasons))

    def dead_lettered(self, message: Claimed) -> None:
        """Administrators see a message that gave up on their App Home, to retry it. (A Home
        that gave up is not announced on the Home: that could only give up again.)"""
        if message.kind != notify.HOME:
            self.services.refresh_admin_homes()
