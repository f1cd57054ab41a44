"""The App Home as each clinician opens it: what is next, what waits on them, and paging."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

from slack_sdk.models.views import View

from kapbot.blocks.home import home
from kapbot.care.card import lines
from kapbot.care.home import (
    FollowUpItem,
    HomeSession,
    HomeView,
    Page,
    RosterLine,
    SummaryItem,
    WaitingItem,
    WaitingKind,
)
from kapbot.care.values import SessionState
from kapbot.policy import load_policy
from kapbot.sandbox.block_kit import buttons, view_problems
from kapbot.sandbox.rendering import view_text
from tests.care.snapshots import NOW, SCHEDULED, ready

POLICY = load_policy()
PRESCRIBER, THERAPIST, ADMIN = "UPRESCRIB", "UTHERAPST", "UADMIN001"


class Names:
    def name_of_user(self, user_id: str) -> str | None:
        return {PRESCRIBER: "dr.lee", THERAPIST: "sam", ADMIN: "alex"}.get(user_id)

    def name_of_channel(self, channel_id: str) -> str | None:
        return None


def seen(view: dict[str, Any]) -> str:
    """What the clinician reads, bold shown as plain words."""
    return view_text(view, Names()).replace("*", "")


def clicks(view: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, action_id, value) of every button, in reading order."""
    return [(b["text"]["text"], b["action_id"], b["value"]) for _, b in buttons(view["blocks"])]


def valid(view: dict[str, Any]) -> dict[str, Any]:
    View(**view).validate_json()
    assert view_problems(view, surface="home") is None
    assert view["type"] == "home"
    return view


def session(session_id: int = 5, **changes: object) -> HomeSession:
    snap = ready(sign_off=None, presence=None, **changes)
    return HomeSession(session_id, "KAP-0042", snap.scheduled_at, snap.state, PRESCRIBER,
                       THERAPIST, lines(snap, NOW, POLICY))


def test_the_prescriber_sees_the_gate_and_what_waits_on_them() -> None:
    view = HomeView(
        viewer=PRESCRIBER, roles=frozenset({"prescriber"}), is_admin=False,
        next_sessions=Page((session(),), 1),
        waiting=(WaitingItem(WaitingKind.SIGN_OFF, 5, "KAP-0042", SCHEDULED),),
        summaries=Page((SummaryItem(4, "KAP-0042", NOW - timedelta(days=8), overdue=True),
                        SummaryItem(3, "KAP-0017", NOW - timedelta(days=1))), 2))
    shown = seen(valid(home(view, POLICY)))
    assert "Sign off dose for KAP-0042 at 2026-03-02 10:00" in shown
    assert "KAP-0042 · 2026-03-02 10:00 · Scheduled" in shown
    assert "Gate 4/6 met · waiting on @dr.lee, @sam" in shown
    assert "Prescriber's dose sign-off" in shown
    assert "Post-session summary for KAP-0042, ended 2026-02-22 09:50 · overdue" in shown
    assert "Post-session summary for KAP-0017, ended 2026-03-01 09:50\n" in shown
    assert "Roster" not in shown  # not an administrator
    assert clicks(home(view, POLICY)) == [
        ("Sign off dose", "session.sign_off", "5"),
        ("Acknowledge", "summary.acknowledge", "4"),
        ("Acknowledge", "summary.acknowledge", "3")]


def test_a_session_whose_gate_is_met_waits_on_nobody() -> None:
    snap = ready()
    whole = HomeSession(5, "KAP-0042", snap.scheduled_at, snap.state, PRESCRIBER, THERAPIST,
                        lines(snap, NOW, POLICY))
    assert whole.met == 6 and whole.waiting_on == ()
    shown = seen(home(HomeView(THERAPIST, frozenset({"therapist"}), False,
                               next_sessions=Page((whole,), 1)), POLICY))
    assert "Gate 6/6 met" in shown and "waiting on" not in shown


def test_the_therapist_opens_the_same_forms_as_on_the_card() -> None:
    view = HomeView(
        viewer=THERAPIST, roles=frozenset({"therapist"}), is_admin=False,
        next_sessions=Page((session(),), 1),
        waiting=(WaitingItem(WaitingKind.CHECKLIST, 8, "KAP-0042", SCHEDULED),
                 WaitingItem(WaitingKind.PRESENCE, 5, "KAP-0042", SCHEDULED)),
        follow_ups=Page((FollowUpItem(21, "KAP-0017", "Integration session", NOW,
                                      NOW + timedelta(days=3)),), 1))
    built = valid(home(view, POLICY))
    shown = seen(built)
    assert "Complete the pre-session checklist for KAP-0042 at 2026-03-02 10:00" in shown
    assert "Confirm presence for KAP-0042 at 2026-03-02 10:00" in shown
    assert ("Integration session for KAP-0017 · due 2026-03-02 09:50 (window until "
            "2026-03-05 09:50)") in shown
    assert "Summaries to acknowledge" not in shown  # not a prescriber
    assert clicks(built) == [("Pre-session checklist", "session.checklist", "8"),
                             ("Confirm presence", "session.presence", "5"),
                             ("Mark done", "follow_up.done", "21")]


def test_an_empty_home_says_so() -> None:
    shown = seen(valid(home(HomeView("UNEW00001", frozenset(), False), POLICY)))
    assert "no role on the roster yet" in shown
    assert "Nothing waits on you." in shown
    assert "No sessions scheduled." in shown
    assert "Next page" not in shown


def test_an_in_progress_session_shows_its_state_without_a_gate() -> None:
    running = session(state=SessionState.IN_PROGRESS, started_at=NOW)
    shown = seen(home(HomeView(THERAPIST, frozenset({"therapist"}), False,
                               next_sessions=Page((running,), 1)), POLICY))
    assert "KAP-0042 · 2026-03-02 10:00 · In progress" in shown
    assert "Gate" not in shown


def test_an_administrator_sees_the_roster() -> None:
    roster = (RosterLine(PRESCRIBER, frozenset({"prescriber", "admin"}), True),
              RosterLine(THERAPIST, frozenset({"therapist"}), False))
    shown = seen(valid(home(HomeView(ADMIN, frozenset({"admin"}), True, roster=roster),
                            POLICY)))
    assert "• @dr.lee — prescriber, admin" in shown
    assert "• @sam — therapist (inactive)" in shown


def big_clinic(page: int) -> HomeView:
    base = session()
    many = 500
    shown = range((page - 1) * 10, min(page * 10, many))  # the page the service reads
    return HomeView(
        viewer=ADMIN, roles=frozenset({"prescriber", "therapist", "admin"}), is_admin=True,
        next_sessions=Page(tuple(replace(base, session_id=i) for i in shown), many),
        waiting=tuple(WaitingItem(WaitingKind(k), i, f"KAP-{i:04d}", SCHEDULED)
                      for i in range(many) for k in ("sign_off",)),
        summaries=Page(tuple(SummaryItem(i, f"KAP-{i:04d}", NOW, overdue=i % 2 == 0)
                             for i in shown), many),
        follow_ups=Page(tuple(FollowUpItem(i, f"KAP-{i:04d}", "Check-in", NOW, NOW)
                              for i in shown), many),
        roster=tuple(RosterLine(f"U{i:08d}", frozenset({"therapist"}), True)
                     for i in range(many)),
        page=page)


def test_a_busy_clinic_stays_within_a_hundred_blocks_and_pages() -> None:
    first = valid(home(big_clinic(1), POLICY))
    assert len(first["blocks"]) <= 100
    assert big_clinic(1).pages == 50  # 500 sessions at 10 a page
    shown = seen(first)
    assert "Waiting on you (1–10 of 500)" in shown
    assert "Page 1 of 50" in shown
    assert [c for c in clicks(first) if c[1] == "home.page"] == [
        ("Next page", "home.page", "2")]

    middle = valid(home(big_clinic(2), POLICY))
    assert len(middle["blocks"]) <= 100
    assert "Sign off dose for KAP-0010 at" in seen(middle)
    assert [c for c in clicks(middle) if c[1] == "home.page"] == [
        ("Previous page", "home.page", "1"), ("Next page", "home.page", "3")]

    last = valid(home(big_clinic(50), POLICY))
    assert len(last["blocks"]) <= 100
    assert [c for c in clicks(last) if c[1] == "home.page"] == [
        ("Previous page", "home.page", "49")]
    assert "Roster (500, on earlier pages)" in seen(last)  # 20 a page: 25 pages


def test_a_stale_page_button_shows_the_last_page() -> None:
    view = big_clinic(99)
    assert view.current_page == 50
    assert "Page 50 of 50" in seen(home(view, POLICY))
