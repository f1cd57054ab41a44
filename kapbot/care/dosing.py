"""Dose plans and doses: what a prescriber may authorise under the clinic's policy.

The same limits are checked when a plan is posted, when the prescriber signs off the
dose for one session and again at the start, because a plan can outlive a policy change
and a previous session can end between sign-off and start.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kapbot.care import inputs
from kapbot.care.values import FORMULATION_LABELS, ROUTE_LABELS, Plan, PriorDose
from kapbot.policy import Policy

_NEVER_ROUTES = {"intravenous", "iv", "intramuscular", "im", "intranasal", "in", "nasal",
                 "injection", "subcutaneous", "sc"}
MAX_SESSIONS_PER_PLAN = 52


@dataclass(frozen=True)
class PlanForm:
    """A dose plan as typed into the Dose plan modal (or the CLI): unparsed text allowed."""

    formulation: str
    route: str
    dose_mg: object
    max_dose_mg: object
    sessions_authorised: object
    valid_until: object
    notes: object = ""


@dataclass(frozen=True)
class PlanTerms:
    """A dose plan whose every field passed the policy."""

    formulation: str
    route: str
    dose_mg: int
    max_dose_mg: int
    sessions_authorised: int
    valid_until: date
    notes: str


def route_reason(route: str, policy: Policy) -> str | None:
    allowed = ", ".join(ROUTE_LABELS.get(r, r) for r in policy.medication.routes)
    key = route.strip().lower()
    if key in _NEVER_ROUTES:
        return (f"Route {route!r} is refused: in the safer approach ketamine is never injected "
                f"or given intranasally (allowed: {allowed}).")
    if key not in policy.medication.routes:
        return f"Route {route!r} is not allowed by the clinic's policy (allowed: {allowed})."
    return None


def formulation_reason(formulation: str, policy: Policy) -> str | None:
    if formulation.strip().lower() not in policy.medication.formulations:
        allowed = ", ".join(FORMULATION_LABELS.get(f, f) for f in policy.medication.formulations)
        return (f"Formulation {formulation!r} is not allowed by the clinic's policy "
                f"(allowed: {allowed}).")
    return None


def _in_policy_range(dose: int, label: str, policy: Policy) -> str | None:
    if not policy.dose.min_mg <= dose <= policy.dose.max_mg:
        return (f"{label} of {dose} mg is outside the clinic's range of "
                f"{policy.dose.min_mg}–{policy.dose.max_mg} mg.")
    return None


def validate_plan(form: PlanForm, policy: Policy, today: date
                  ) -> tuple[PlanTerms | None, list[str]]:
    """Every reason the plan cannot be accepted, or its checked terms."""
    dose, dose_reason = inputs.positive_mg(form.dose_mg, "Dose per session")
    maximum, max_reason = inputs.positive_mg(form.max_dose_mg, "Maximum dose")
    sessions, sessions_reason = inputs.whole_number(
        form.sessions_authorised, "Sessions authorised", 1, MAX_SESSIONS_PER_PLAN)
    valid_until, date_reason = inputs.day(form.valid_until, "Valid until")
    notes, notes_reason = inputs.free_text(form.notes, "Notes")
    reasons = [formulation_reason(form.formulation, policy), route_reason(form.route, policy),
               dose_reason, max_reason, sessions_reason, date_reason, notes_reason]
    if dose is not None and not dose_reason:
        reasons.append(_in_policy_range(dose, "Dose per session", policy))
    if maximum is not None and not max_reason:
        reasons.append(_in_policy_range(maximum, "Maximum dose", policy))
        if dose is not None and not dose_reason and dose > maximum:
            reasons.append(f"Dose per session ({dose} mg) is above the plan's maximum dose "
                           f"({maximum} mg).")
    if valid_until is not None and valid_until < today:
        reasons.append(f"Valid until ({valid_until.isoformat()}) is in the past.")
    found = [r for r in reasons if r]
    if found:
        return None, found
    assert dose and maximum and sessions and valid_until and notes is not None
    return PlanTerms(form.formulation.strip().lower(), form.route.strip().lower(), dose, maximum,
                     sessions, valid_until, notes), []


def plan_expires_at(plan: Plan, policy: Policy) -> datetime:
    """A plan is valid through the whole of its last day in the clinic's timezone."""
    return datetime.combine(plan.valid_until + timedelta(days=1), time(0), policy.tz)


def dose_reasons(dose: int, plan: Plan, prior: PriorDose | None, policy: Policy) -> list[str]:
    """Why this dose may not be given in the next session under this plan."""
    reasons = [_in_policy_range(dose, "The dose", policy)]
    if dose > plan.max_dose_mg:
        reasons.append(f"The dose of {dose} mg is above the plan's maximum of "
                       f"{plan.max_dose_mg} mg.")
    if prior is None and dose > policy.dose.first_session_max_mg:
        reasons.append(f"The dose of {dose} mg is above the first-session maximum of "
                       f"{policy.dose.first_session_max_mg} mg.")
    if prior is not None and dose > prior.dose_mg + policy.dose.titration_step_mg:
        reasons.append(f"The dose of {dose} mg is more than {policy.dose.titration_step_mg} mg "
                       f"above the previous dose of {prior.dose_mg} mg.")
    return [r for r in reasons if r]
