"""The rest of /kap and the card's other buttons, as the clinic uses them."""

from tests.e2e.conftest import Running
from tests.e2e.test_pathway import (
    card,
    pair_channel,
    post_plan,
    prepare,
    schedule_soon,
    set_up_pair,
)


def test_the_roster_is_listed_and_a_role_removed(kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    d.command("admin", "/kap", "roster add @chen therapist")
    d.command("admin", "/kap", "roster")
    listing = d.sees("admin").ephemeral[-1]
    assert "@rowe — prescriber" in listing and "@chen — therapist" in listing
    d.command("admin", "/kap", "roster remove @chen therapist")
    assert d.sees("admin").ephemeral[-1] == "@chen no longer holds the therapist role."
    d.command("admin", "/kap", "roster remove @lee therapist")
    assert d.sees("admin").ephemeral[-1].endswith(
        "@lee is the therapist of KAP-0042: change those care pairs first.")
    d.command("rowe", "/kap", "roster add @chen admin")
    assert d.sees("rowe").ephemeral[-1].endswith("Only an administrator may manage the roster.")


def test_status_shows_the_plan_the_next_session_and_its_gate(kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    post_plan(kapbot)
    schedule_soon(kapbot)
    d.command("lee", "/kap", "status KAP-0042")
    status = d.sees("lee").ephemeral[-1]
    assert "Dose plan v1: 100 mg sublingual (max 150 mg), 0 of 6 sessions used" in status
    assert "• Pre-session checklist: The therapist has not completed" in status
    d.command("chen", "/kap", "status KAP-0042")
    assert d.sees("chen").ephemeral[-1].endswith(
        "Only KAP-0042's prescriber or therapist, or an administrator, may see this status.")


def test_a_scheduled_session_is_cancelled_from_its_card(kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    post_plan(kapbot)
    schedule_soon(kapbot)
    d.click("rowe", "Cancel session", where=pair_channel(kapbot, "rowe"))
    assert d.fill_and_submit("rowe", {"Reason": "Patient unwell"}).action == "close"
    assert "*Cancelled*" in card(kapbot)


def test_a_session_in_progress_is_aborted_with_a_reason(kapbot: Running) -> None:
    d = kapbot.driver
    set_up_pair(kapbot)
    post_plan(kapbot)
    schedule_soon(kapbot)
    prepare(kapbot)
    d.click("lee", "Start session", where=pair_channel(kapbot, "lee"))
    kapbot.delivered()
    d.click("lee", "Abort session", where=pair_channel(kapbot, "lee"))
    assert d.fill_and_submit("lee", {"Reason": "Vomited the tablets"}).action == "close"
    assert "*Aborted* — 100 mg" in card(kapbot)
    kapbot.delivered()
    assert "Vomited the tablets" in d.sees("rowe").dm[-1]
