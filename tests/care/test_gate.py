"""The two-person gate, rule by rule, with no database: values in, decision out."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from kapbot.care import gate
from kapbot.care.values import PriorDose, SessionState, Vitals
from kapbot.policy import Policy, load_policy
from tests.care.snapshots import (
    NOW,
    OTHER_ID,
    PRESCRIBER_ID,
    THERAPIST_ID,
    other_therapist,
    prescriber,
    ready,
    stranger,
    therapist,
)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def reasons(snap, policy, now=NOW, actor=therapist) -> tuple[str, ...]:
    return gate.may_start(snap, actor, now, policy).reasons


def test_a_fully_prepared_session_may_start(policy: Policy) -> None:
    decision = gate.may_start(ready(), therapist, NOW, policy)
    assert not decision.refused
    assert decision.warnings == ()


def test_either_member_of_the_pair_may_press_start(policy: Policy) -> None:
    assert not gate.may_start(ready(), prescriber, NOW, policy).refused


def test_a_therapist_of_another_patient_or_a_stranger_may_not_start(policy: Policy) -> None:
    assert reasons(ready(), policy, actor=other_therapist) == (
        "Only KAP-0042's prescriber or therapist may start a session.",)
    assert reasons(ready(), policy, actor=stranger) == (
        "You are not an active clinician on kapbot's roster.",)


def test_an_empty_session_is_refused_with_every_missing_requirement(policy: Policy) -> None:
    found = reasons(ready(plan=None, checklist=None, sign_off=None, presence=None), policy)
    assert found == (
        "There is no active dose plan: the prescriber must post one.",
        "The therapist has not completed the pre-session checklist.",
        "The prescriber has not signed off the dose for this session.",
        "The therapist has not confirmed being in the room with the patient.",
    )


def test_start_is_refused_until_the_prescriber_signs_off(policy: Policy) -> None:
    assert reasons(ready(sign_off=None), policy) == (
        "The prescriber has not signed off the dose for this session.",)


# 1. The dose plan

def test_an_expired_plan_blocks_the_start(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, plan=replace(snap.plan, valid_until=date(2026, 3, 1)))
    assert reasons(snap, policy) == ("The dose plan expired after 2026-03-01.",)


def test_a_plan_is_valid_through_its_last_day(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, plan=replace(snap.plan, valid_until=date(2026, 3, 2)))
    assert reasons(snap, policy) == ()


def test_a_plan_with_no_sessions_left_blocks_the_start(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, plan=replace(snap.plan, sessions_used=6))
    assert reasons(snap, policy) == ("The dose plan has no sessions remaining (6 of 6 used).",)


def test_a_plan_signed_by_someone_other_than_the_pairs_prescriber_blocks(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, plan=replace(snap.plan, prescriber_id=OTHER_ID))
    assert "The dose plan was not signed by this patient's prescriber." in reasons(snap, policy)


def test_a_route_the_policy_no_longer_allows_blocks_the_start(policy: Policy) -> None:
    narrowed = policy.model_copy(update={"medication": policy.medication.model_copy(
        update={"routes": ("buccal",)})})
    assert any("Route 'sublingual' is not allowed" in r for r in reasons(ready(), narrowed))


# 2. The pre-session checklist

def test_a_checklist_older_than_two_hours_must_be_redone(policy: Policy) -> None:
    found = reasons(ready(), policy, now=NOW + timedelta(hours=2))
    assert "The pre-session checklist is more than 2 h old: the therapist must redo it." in found


def test_every_unaffirmed_checklist_item_is_named(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, checklist=replace(snap.checklist, affirmed=frozenset({"consent"})))
    found = reasons(snap, policy)
    assert "Checklist item not affirmed: Transport home arranged (no driving until the next day)." \
        in found
    assert len([r for r in found if r.startswith("Checklist item not affirmed")]) == 4


@pytest.mark.parametrize("bp", [(160, 80), (130, 100), (175, 105)])
def test_a_pre_dose_bp_at_the_hold_limit_blocks_the_start(policy: Policy, bp) -> None:
    snap = ready()
    snap = replace(snap, checklist=replace(snap.checklist, vitals=Vitals(*bp, 72, 98)))
    assert reasons(snap, policy) == (
        f"Pre-dose BP {bp[0]}/{bp[1]} is at or above the hold limit (160/100).",)


def test_a_caution_level_bp_is_allowed_but_flagged(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, checklist=replace(snap.checklist, vitals=Vitals(150, 92, 72, 98)))
    decision = gate.may_start(snap, therapist, NOW, policy)
    assert not decision.refused
    assert decision.warnings == ("Caution: pre-dose BP 150/92 is above 140/90.",)


def test_a_checklist_by_the_prescriber_does_not_count(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, checklist=replace(snap.checklist, by=PRESCRIBER_ID))
    found = reasons(snap, policy)
    assert "The pre-session checklist was not completed by this patient's therapist." in found


# 3. The prescriber's dose sign-off

def test_a_new_plan_version_voids_the_sign_off(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, plan=replace(snap.plan, id=12, version=2))
    assert reasons(snap, policy) == (
        "The dose sign-off was voided by a new dose plan: the prescriber must sign off again.",)


def test_a_redone_checklist_voids_the_sign_off(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, checklist=replace(snap.checklist, id=22, at=NOW - timedelta(minutes=5)))
    assert reasons(snap, policy) == (
        "The dose sign-off was voided by a re-done checklist: the prescriber must sign off "
        "again.",)


def test_a_sign_off_older_than_twelve_hours_is_void(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, sign_off=replace(snap.sign_off, at=NOW - timedelta(hours=12, minutes=1)))
    assert ("The dose sign-off is more than 12 h old: the prescriber must sign off again."
            in reasons(snap, policy))


def test_a_first_session_dose_above_150_mg_is_refused(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, sign_off=replace(snap.sign_off, dose_mg=200),
                   presence=replace(snap.presence, dose_mg=200),
                   plan=replace(snap.plan, max_dose_mg=300))
    assert reasons(snap, policy) == (
        "The dose of 200 mg is above the first-session maximum of 150 mg.",)


def test_titration_is_limited_to_fifty_mg_over_the_last_dose(policy: Policy) -> None:
    last = PriorDose(100, NOW - timedelta(days=8))
    snap = ready(prior_dose=last)
    snap = replace(snap, sign_off=replace(snap.sign_off, dose_mg=160),
                   presence=replace(snap.presence, dose_mg=160),
                   plan=replace(snap.plan, max_dose_mg=300))
    assert reasons(snap, policy) == (
        "The dose of 160 mg is more than 50 mg above the previous dose of 100 mg.",)
    snap = replace(snap, sign_off=replace(snap.sign_off, dose_mg=150),
                   presence=replace(snap.presence, dose_mg=150))
    assert reasons(snap, policy) == ()


def test_a_dose_above_the_plan_maximum_is_refused(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, plan=replace(snap.plan, max_dose_mg=75))
    assert reasons(snap, policy) == ("The dose of 100 mg is above the plan's maximum of 75 mg.",)


# 4. Presence and the independent double check

def test_presence_older_than_fifteen_minutes_must_be_confirmed_again(policy: Policy) -> None:
    found = reasons(ready(), policy, now=NOW + timedelta(minutes=14))
    assert ("The presence confirmation is more than 15 min old: the therapist must confirm "
            "again.") in found


def test_a_dose_read_off_the_tablets_that_differs_blocks_and_is_reported(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, presence=replace(snap.presence, dose_mg=150))
    found = reasons(snap, policy)
    assert found == ("Double check failed: the dose read off the dispensed tablets does not "
                     "match the prescriber's sign-off.",)
    assert "100" not in found[0] and "150" not in found[0]  # the authorised dose stays unshown


def test_a_route_that_differs_blocks_the_start(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, presence=replace(snap.presence, route="buccal"))
    assert reasons(snap, policy) == ("Double check failed: the route entered by the therapist "
                                     "does not match the dose plan.",)


# 5. Two different people

def test_one_person_cannot_sign_both_halves(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, presence=replace(snap.presence, by=PRESCRIBER_ID))
    found = reasons(snap, policy)
    assert ("The dose sign-off and the presence confirmation came from the same person: two "
            "different people must sign.") in found


def test_the_checklist_and_the_sign_off_must_come_from_different_people(policy: Policy) -> None:
    snap = ready()
    snap = replace(snap, sign_off=replace(snap.sign_off, by=THERAPIST_ID),
                   presence=replace(snap.presence, by=OTHER_ID))
    found = reasons(snap, policy)
    assert ("The checklist and the dose sign-off came from the same person: two different "
            "people must sign.") in found


# 6. Timing

def test_a_session_may_not_start_more_than_thirty_minutes_early(policy: Policy) -> None:
    early = ready(scheduled_at=NOW + timedelta(minutes=31))
    assert reasons(early, policy) == (
        "Too early: this session may start from 2026-03-02 09:51 (30 min before its scheduled "
        "time).",)
    assert reasons(ready(scheduled_at=NOW + timedelta(minutes=30)), policy) == ()


def test_a_patient_cannot_have_two_sessions_in_progress(policy: Policy) -> None:
    assert reasons(ready(another_in_progress=True), policy) == (
        "Another session of KAP-0042 is in progress.",)


def test_dosing_sessions_are_at_least_seven_days_apart(policy: Policy) -> None:
    recent = ready(prior_dose=PriorDose(100, NOW - timedelta(days=6, hours=23)))
    assert reasons(recent, policy) == (
        "The last dose was on 2026-02-23 10:50: at least 7 days must pass between dosing "
        "sessions (next from 2026-03-02 10:50).",)
    assert reasons(ready(prior_dose=PriorDose(100, NOW - timedelta(days=7))), policy) == ()


def test_a_session_that_is_not_scheduled_cannot_start(policy: Policy) -> None:
    assert reasons(ready(state=SessionState.IN_PROGRESS), policy) == (
        "The session is in progress, not scheduled.",)


def test_times_are_shown_in_the_clinics_timezone(policy: Policy) -> None:
    new_york = policy.model_copy(update={"timezone": "America/New_York"})
    early = ready(scheduled_at=NOW + timedelta(hours=2))
    assert reasons(early, new_york) == (
        "Too early: this session may start from 2026-03-02 06:20 (30 min before its scheduled "
        "time).",)


def test_requirements_report_each_state_for_the_session_card(policy: Policy) -> None:
    states = {r.key: r.met for r in gate.requirements(ready(sign_off=None), NOW, policy)}
    assert states == {"plan": True, "checklist": True, "sign_off": False, "presence": True,
                      "two_people": True, "timing": True}
