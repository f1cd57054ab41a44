"""What a prescriber may write on a dose plan, and how typed numbers are read."""

from datetime import UTC, date, datetime

import pytest

from kapbot.care import inputs, session_rules
from kapbot.care.dosing import PlanForm, validate_plan
from kapbot.policy import Policy, load_policy

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def form(**changes: object) -> PlanForm:
    values: dict[str, object] = {"formulation": "rdt", "route": "sublingual", "dose_mg": "100",
                                 "max_dose_mg": "150", "sessions_authorised": "6",
                                 "valid_until": "2026-12-31", "notes": ""}
    values.update(changes)
    return PlanForm(**values)  # type: ignore[arg-type]


def test_a_plan_within_policy_is_accepted_with_typed_values(policy: Policy) -> None:
    terms, reasons = validate_plan(form(route="Buccal", formulation="TROCHE"), policy, TODAY)
    assert reasons == []
    assert terms is not None
    assert (terms.route, terms.formulation, terms.dose_mg, terms.valid_until) == (
        "buccal", "troche", 100, date(2026, 12, 31))


@pytest.mark.parametrize(("dose", "reason"), [
    ("0", "Dose per session must be more than 0 mg (got 0 mg)."),
    ("-50", "Dose per session must be more than 0 mg (got -50 mg)."),
    ("abc", "Dose per session must be a whole number, not 'abc'."),
    ("12.5", "Dose per session must be a whole number, not '12.5'."),
    ("", "Dose per session is required."),
    ("20", "Dose per session of 20 mg is outside the clinic's range of 25–300 mg."),
])
def test_a_bad_dose_is_refused_in_plain_words(policy: Policy, dose: str, reason: str) -> None:
    terms, reasons = validate_plan(form(dose_mg=dose), policy, TODAY)
    assert terms is None
    assert reason in reasons


@pytest.mark.parametrize("route", ["intravenous", "IV", "intramuscular", "IM", "intranasal"])
def test_injected_and_intranasal_routes_are_refused_outright(policy: Policy, route: str) -> None:
    _, reasons = validate_plan(form(route=route), policy, TODAY)
    assert reasons == [f"Route {route!r} is refused: in the safer approach ketamine is never "
                       "injected or given intranasally (allowed: Sublingual, Buccal)."]


def test_oral_is_refused_unless_the_clinic_allows_it(policy: Policy) -> None:
    _, reasons = validate_plan(form(route="oral"), policy, TODAY)
    assert reasons == ["Route 'oral' is not allowed by the clinic's policy (allowed: Sublingual, "
                       "Buccal)."]


def test_a_plan_with_many_mistakes_lists_them_all(policy: Policy) -> None:
    _, reasons = validate_plan(form(dose_mg="400", max_dose_mg="350", sessions_authorised="0",
                                    valid_until="2026-03-01", formulation="injection"),
                               policy, TODAY)
    assert reasons == [
        "Formulation 'injection' is not allowed by the clinic's policy (allowed: RDT, Troche).",
        "Sessions authorised must be between 1 and 52 (got 0).",
        "Dose per session of 400 mg is outside the clinic's range of 25–300 mg.",
        "Maximum dose of 350 mg is outside the clinic's range of 25–300 mg.",
        "Dose per session (400 mg) is above the plan's maximum dose (350 mg).",
        "Valid until (2026-03-01) is in the past.",
    ]


def test_an_unreadable_date_is_refused(policy: Policy) -> None:
    _, reasons = validate_plan(form(valid_until="next week"), policy, TODAY)
    assert reasons == ["Valid until must be a date written YYYY-MM-DD, not 'next week'."]


@pytest.mark.parametrize(("bp", "expected"), [
    ((0, 0), ["Systolic BP must be between 60 and 260 mmHg (got 0 mmHg).",
              "Diastolic BP must be between 30 and 160 mmHg (got 0 mmHg)."]),
    ((400, 300), ["Systolic BP must be between 60 and 260 mmHg (got 400 mmHg).",
                  "Diastolic BP must be between 30 and 160 mmHg (got 300 mmHg)."]),
    ((80, 120), ["Systolic BP must be higher than diastolic BP."]),
])
def test_impossible_blood_pressures_are_typing_mistakes(bp, expected) -> None:
    reading, reasons = inputs.vitals(bp[0], bp[1], 70, 98)
    assert reading is None
    assert reasons == expected


@pytest.mark.parametrize("typed", ["--5", "²", "1e3", "12 mg", "9999999999"])
def test_text_that_only_looks_numeric_is_refused_not_crashed_on(typed: str) -> None:
    assert inputs.positive_mg(typed, "Dose") == (
        None, f"Dose must be a whole number, not {typed!r}.")


def test_scores_are_optional_but_bounded() -> None:
    assert inputs.optional_score("", "PHQ-9", 27) == (None, None)
    assert inputs.optional_score("27", "PHQ-9", 27) == (27, None)
    assert inputs.optional_score("28", "PHQ-9", 27) == (
        None, "PHQ-9 must be between 0 and 27 (got 28).")


def test_follow_ups_are_planned_from_the_end_of_the_session(policy: Policy) -> None:
    ended = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    planned = session_rules.follow_ups(ended, policy)
    assert [(p.kind, p.due_at.day, p.window_ends_at.day) for p in planned] == [
        ("integration_session", 9, 12), ("check_in", 15, 18)]
