"""The App Home: the viewer's next sessions, what waits on them, and (admins) the roster.

Its buttons carry the same action ids as the session card and the summary, so they open
the same modals through the same checks. One page of each list is shown, so the view
stays within Slack's 100 blocks however much there is.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

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
from slack_sdk.models.views import View

from kapbot.blocks.session_card import MARK_ICONS, STATE_WORDS
from kapbot.blocks.text import escape, mention, when
from kapbot.care.card import Mark
from kapbot.care.home import (
    DEAD_LETTERS_PER_PAGE,
    FOLLOW_UPS_PER_PAGE,
    ROSTER_PER_PAGE,
    SESSIONS_PER_PAGE,
    SUMMARIES_PER_PAGE,
    WAITING_PER_PAGE,
    DeadLetterItem,
    FollowUpItem,
    HomeSession,
    HomeView,
    SummaryItem,
    WaitingItem,
    WaitingKind,
)
from kapbot.care.values import SessionState
from kapbot.policy import Policy

T = TypeVar("T")

# (what the line says, the button's label, its action id) — the card's own buttons.
WAITING_WORDS = {
    WaitingKind.CHECKLIST: ("Complete the pre-session checklist", "Pre-session checklist",
                            "session.checklist"),
    WaitingKind.SIGN_OFF: ("Sign off dose", "Sign off dose", "session.sign_off"),
    WaitingKind.PRESENCE: ("Confirm presence", "Confirm presence", "session.presence"),
}
ROLE_ORDER = ("prescriber", "therapist", "admin")


def _page_of(items: Sequence[T], page: int, per_page: int) -> Sequence[T]:
    return items[(page - 1) * per_page:page * per_page]


def _more(total: int, page: int, per_page: int) -> str:
    """`(11–20 of 45)` when a list spans several pages; nothing when it fits on one."""
    if total <= per_page:
        return ""
    start = (page - 1) * per_page
    if start >= total:
        return f" ({total}, on earlier pages)"
    return f" ({start + 1}–{min(start + per_page, total)} of {total})"


def _heading(title: str, total: int, page: int, per_page: int, empty: str) -> SectionBlock:
    text = f"*{title}*{_more(total, page, per_page)}"
    if not total:
        text += f"\n{empty}"
    return SectionBlock(text=MarkdownTextObject(text=text))


def _button(label: str, action_id: str, value: int, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=label, action_id=action_id, value=str(value), style=style)


def _session(s: HomeSession, policy: Policy) -> SectionBlock:
    text = f"*{escape(s.code)}* · {when(s.scheduled_at, policy.tz)} · {STATE_WORDS[s.state]}"
    if s.state is SessionState.SCHEDULED and s.lines:
        done = s.met == len(s.lines)
        icon = MARK_ICONS[Mark.MET if done else Mark.WAITING]
        text += f"\n{icon} Gate {s.met}/{len(s.lines)} met"
        if s.waiting_on:
            text += " · waiting on " + ", ".join(mention(who) for who in s.waiting_on)
        missing = [f"{MARK_ICONS[line.mark]} {line.title}" for line in s.lines
                   if line.mark is not Mark.MET]
        if missing:
            text += "\n" + " · ".join(missing)
    return SectionBlock(text=MarkdownTextObject(text=text))


def _waiting(item: WaitingItem, policy: Policy) -> SectionBlock:
    words, label, action = WAITING_WORDS[item.kind]
    return SectionBlock(
        text=MarkdownTextObject(text=f"{words} for *{escape(item.code)}* at "
                                     f"{when(item.scheduled_at, policy.tz)}"),
        accessory=_button(label, action, item.session_id))


def _summary(item: SummaryItem, policy: Policy) -> SectionBlock:
    text = (f"Post-session summary for *{escape(item.code)}*, ended "
            f"{when(item.ended_at, policy.tz)}")
    if item.overdue:
        text = f":warning: {text} · *overdue*"
    return SectionBlock(text=MarkdownTextObject(text=text), accessory=_button(
        "Acknowledge", "summary.acknowledge", item.session_id, "primary"))


def _follow_up(item: FollowUpItem, policy: Policy) -> SectionBlock:
    text = (f"{escape(item.label)} for *{escape(item.code)}* · due "
            f"{when(item.due_at, policy.tz)} (window until "
            f"{when(item.window_ends_at, policy.tz)})")
    return SectionBlock(text=MarkdownTextObject(text=text),
                        accessory=_button("Mark done", "follow_up.done", item.follow_up_id))


def _roster(view: HomeView, page: int) -> list[Block]:
    shown = _page_of(view.roster, page, ROSTER_PER_PAGE)
    blocks: list[Block] = [_heading("Roster", len(view.roster), page, ROSTER_PER_PAGE,
                                     "Nobody is on the roster yet: `/kap roster add`.")]
    if shown:
        lines = []
        for r in shown:
            roles = ", ".join(role for role in ROLE_ORDER if role in r.roles) or "no roles"
            lines.append(f"• {mention(r.slack_user_id)} — {roles}"
                         f"{'' if r.active else ' (inactive)'}")
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(lines))))
    return blocks


def _dead_letter(item: DeadLetterItem, policy: Policy) -> SectionBlock:
    where = mention(item.channel[1:]) if item.channel.startswith("@") else item.channel
    if item.channel.startswith("pair:"):
        where = "a care-pair channel"
    text = (f"`{item.message_id}` {item.kind.replace('_', ' ')} to {where} · queued "
            f"{when(item.created_at, policy.tz)} · {item.attempts} attempts · "
            f"{escape(item.last_error or 'no error recorded')}")
    return SectionBlock(text=MarkdownTextObject(text=text),
                        accessory=_button("Retry", "outbox.retry", item.message_id))


def _pager(page: int, pages: int) -> list[Block]:
    if pages <= 1:
        return []
    # Two blocks: Slack refuses two elements with one action_id inside a single block.
    blocks: list[Block] = [ContextBlock(elements=[MarkdownTextObject(
        text=f"Page {page} of {pages}")])]
    if page > 1:
        blocks.append(ActionsBlock(block_id="home.page.previous", elements=[
            _button("Previous page", "home.page", page - 1)]))
    if page < pages:
        blocks.append(ActionsBlock(block_id="home.page.next", elements=[
            _button("Next page", "home.page", page + 1)]))
    return blocks


def home(view: HomeView, policy: Policy) -> dict[str, Any]:
    """The Home tab for `views.publish`: one page of each list, at most ~60 blocks."""
    page, pages = view.current_page, view.pages
    roles = ", ".join(r for r in ROLE_ORDER if r in view.roles or (r == "admin" and view.is_admin))
    blocks: list[Block] = [
        HeaderBlock(text="kapbot"),
        ContextBlock(elements=[MarkdownTextObject(
            text=f"{mention(view.viewer)} · {roles or 'no role on the roster yet'}")]),
        DividerBlock(),
        _heading("Waiting on you", len(view.waiting), page, WAITING_PER_PAGE,
                 "Nothing waits on you."),
        *(_waiting(i, policy) for i in _page_of(view.waiting, page, WAITING_PER_PAGE)),
        DividerBlock(),
        _heading("Your next sessions", view.next_sessions.total, page, SESSIONS_PER_PAGE,
                 "No sessions scheduled."),
        *(_session(s, policy) for s in view.next_sessions.items),
    ]
    if view.summaries.total or "prescriber" in view.roles:
        blocks += [DividerBlock(),
                   _heading("Summaries to acknowledge", view.summaries.total, page,
                            SUMMARIES_PER_PAGE, "No summaries to acknowledge."),
                   *(_summary(i, policy) for i in view.summaries.items)]
    if view.follow_ups.total or "therapist" in view.roles:
        blocks += [DividerBlock(),
                   _heading("Open follow-ups", view.follow_ups.total, page,
                            FOLLOW_UPS_PER_PAGE, "No open follow-ups."),
                   *(_follow_up(i, policy) for i in view.follow_ups.items)]
    if view.is_admin:
        blocks += [DividerBlock(), *_roster(view, page)]
        if view.dead_letters:
            blocks += [DividerBlock(),
                       _heading(":warning: Messages that could not be delivered",
                                len(view.dead_letters), page, DEAD_LETTERS_PER_PAGE, ""),
                       *(_dead_letter(i, policy) for i in
                         _page_of(view.dead_letters, page, DEAD_LETTERS_PER_PAGE))]
    blocks += _pager(page, pages)
    return View(type="home", callback_id="home", blocks=blocks).to_dict()
