"""What the App Home shows one clinician: plain values, read in one transaction elsewhere.

Sessions, summaries and follow-ups arrive as one page and the whole list's length (a
clinician with 500 patients is not read in full to show ten); the shorter lists arrive
whole and the Home builder shows one page of each. `pages` is derived from those counts.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from kapbot.care import gate
from kapbot.care.card import Line, Mark
from kapbot.care.values import SessionState

T = TypeVar("T")
SESSIONS_PER_PAGE = 10
WAITING_PER_PAGE = 10
SUMMARIES_PER_PAGE = 10
FOLLOW_UPS_PER_PAGE = 10
ROSTER_PER_PAGE = 20
DEAD_LETTERS_PER_PAGE = 10

# Whose act a gate requirement waits on; the other two (two people, timing) are facts.
_ACTOR_OF = {"plan": "prescriber", "checklist": "therapist", "sign_off": "prescriber",
             "presence": "therapist"}
_KEY_OF = {title: key for key, title, _ in gate.REQUIREMENTS}


class WaitingKind(StrEnum):
    """A step of the gate that waits on the viewer (the value names the form it opens)."""

    CHECKLIST = "checklist"
    SIGN_OFF = "sign_off"
    PRESENCE = "presence"


@dataclass(frozen=True)
class HomeSession:
    """One of the viewer's next sessions, with the six gate requirements as the card shows."""

    session_id: int
    code: str
    scheduled_at: datetime
    state: SessionState
    prescriber: str  # Slack user IDs of the care pair
    therapist: str
    lines: tuple[Line, ...] = ()  # kapbot.care.card.lines(...) for a scheduled session

    @property
    def met(self) -> int:
        return sum(1 for line in self.lines if line.mark is Mark.MET)

    @property
    def waiting_on(self) -> tuple[str, ...]:
        """Slack IDs of whoever must still act (or act again) before the start, in order."""
        people = {"prescriber": self.prescriber, "therapist": self.therapist}
        out: list[str] = []
        for line in self.lines:
            role = _ACTOR_OF.get(_KEY_OF.get(line.title, ""))
            if line.mark is not Mark.MET and role and people[role] not in out:
                out.append(people[role])
        return tuple(out)


@dataclass(frozen=True)
class WaitingItem:
    """A step the viewer must take: complete a checklist, sign off a dose, confirm presence."""

    kind: WaitingKind
    session_id: int
    code: str
    scheduled_at: datetime


@dataclass(frozen=True)
class SummaryItem:
    """A post-session summary the viewer (the prescriber) has still to acknowledge."""

    session_id: int
    code: str
    ended_at: datetime
    overdue: bool = False


@dataclass(frozen=True)
class FollowUpItem:
    """An open integration follow-up the viewer (the therapist) is to mark done."""

    follow_up_id: int
    code: str
    label: str
    due_at: datetime
    window_ends_at: datetime


@dataclass(frozen=True)
class RosterLine:
    slack_user_id: str
    roles: frozenset[str]
    active: bool


@dataclass(frozen=True)
class DeadLetterItem:
    """An outgoing message that gave up, for an administrator to look at and retry."""

    message_id: int
    kind: str
    channel: str  # the outbox address: a channel, `@U…`, or `pair:<patient>`
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list read with LIMIT and OFFSET, and the whole list's length: the
    Home never loads years of a clinician's follow-ups to show ten of them."""

    items: tuple[T, ...] = ()
    total: int = 0


def _pages(count: int, per_page: int) -> int:
    return max(1, -(-count // per_page))


@dataclass(frozen=True)
class HomeView:
    """Everything the viewer's Home tab shows; `page` is 1-based."""

    viewer: str
    roles: frozenset[str]
    is_admin: bool
    next_sessions: Page[HomeSession] = Page()
    waiting: tuple[WaitingItem, ...] = ()
    summaries: Page[SummaryItem] = Page()
    follow_ups: Page[FollowUpItem] = Page()
    roster: tuple[RosterLine, ...] = ()  # shown to administrators only
    dead_letters: tuple[DeadLetterItem, ...] = ()  # administrators only
    page: int = 1

    @property
    def pages(self) -> int:
        counts = [_pages(self.next_sessions.total, SESSIONS_PER_PAGE),
                  _pages(len(self.waiting), WAITING_PER_PAGE),
                  _pages(self.summaries.total, SUMMARIES_PER_PAGE),
                  _pages(self.follow_ups.total, FOLLOW_UPS_PER_PAGE)]
        if self.is_admin:
            counts.append(_pages(len(self.roster), ROSTER_PER_PAGE))
            counts.append(_pages(len(self.dead_letters), DEAD_LETTERS_PER_PAGE))
        return max(counts)

    @property
    def current_page(self) -> int:
        """`page`, kept between 1 and `pages` (a stale button may name a page now gone)."""
        return min(max(1, self.page), self.pages)
