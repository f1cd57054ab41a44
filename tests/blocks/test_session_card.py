"""The session card as the care pair reads it, built from a gate snapshot with no Slack."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kapbot.blocks.session_card import session_card
from kapbot.blocks.text import escape
from kapbot.care.card import FollowUpLine, SessionView
from kapbot.care.values import SessionState
from kapbot.policy import load_policy
from tests.care.snapshots import NOW, PRESCRIBER_ID, THERAPIST_ID, ready

POLICY = load_policy()
PEOPLE = {PRESCRIBER_ID: "UPRESCRIB", THERAPIST_ID: "UTHERAPST"}


def texts(card: dict) -> str:
    out = []
    for block in card["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            out.append(element["text"]["text"] if element["type"] == "button"
                       else element["text"])
    return "\n".join(out)


def buttons(card: dict) -> list[str]:
    return [e["text"]["text"] for b in card["blocks"] if b["type"] == "actions"
            for e in b["elements"]]


def test_a_scheduled_card_shows_every_requirement_and_the_five_buttons() -> None:
    card = session_card(SessionView(ready(sign_off=None), NOW, PEOPLE), POLICY)
    shown = texts(card)
    assert "KAP-0042 · session 2026-03-02 10:00" in shown
    assert ":white_check_mark: *Pre-session checklist* — <@UTHERAPST>, 2026-03-02 09:30" in shown
    assert (":hourglass_flowing_sand: *Prescriber's dose sign-off*\n• The prescriber has not "
            "signed off the dose for this session.") in shown
    assert buttons(card) == ["Pre-session checklist", "Sign off dose", "Confirm presence",
                             "Start session", "Cancel session"]


def test_a_failed_double_check_is_marked_failed_without_showing_the_authorised_dose() -> None:
    snap = ready()
    snap = replace(snap, presence=replace(snap.presence, dose_mg=150))
    shown = texts(session_card(SessionView(snap, NOW, PEOPLE), POLICY))
    assert ":x: *Therapist's presence and double check* — <@UTHERAPST>" in shown
    assert "100 mg" not in shown


def test_an_in_progress_card_offers_vitals_check_in_and_end() -> None:
    snap = ready(state=SessionState.IN_PROGRESS, started_at=NOW)
    card = session_card(SessionView(snap, NOW, PEOPLE, dose_mg=100), POLICY)
    assert buttons(card) == ["Record vitals", "Check in", "End session", "Abort session"]
    assert "*In progress* — 100 mg, started 2026-03-02 09:50" in texts(card)


def test_a_completed_card_shows_the_outcome_and_follow_ups_and_no_buttons() -> None:
    ended = NOW + timedelta(hours=2)
    snap = ready(state=SessionState.COMPLETED, started_at=NOW)
    follow = (FollowUpLine("Integration session", ended + timedelta(days=1),
                           ended + timedelta(days=4), "open"),)
    card = session_card(SessionView(snap, ended, PEOPLE, ended_at=ended, dose_mg=100,
                                    follow_ups=follow), POLICY)
    assert buttons(card) == []
    assert ("• Integration session: due 2026-03-03 11:50 (window until 2026-03-06 11:50) — open"
            in texts(card))


def test_typed_text_cannot_ping_or_link() -> None:
    assert escape("<!channel> see <https://x|here> & more") == (
        "&lt;!channel&gt; see &lt;https://x|here&gt; &amp; more")


def test_times_on_the_card_are_in_the_clinics_timezone() -> None:
    tokyo = POLICY.model_copy(update={"timezone": "Asia/Tokyo"})
    snap = ready(scheduled_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    assert "KAP-0042 · session 2026-03-02 10:00" in texts(
        session_card(SessionView(snap, NOW, PEOPLE), tokyo))
