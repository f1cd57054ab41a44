"""The two-person gate: may this session start now?

Six requirements, each evaluated on its own so the session card can show which are met
and a refused start can list every one that is not, in words a clinician can act on.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kapbot.care import authority, dosing, vitals
from kapbot.care.values import Actor, Decision, SessionSnapshot, SessionState
from kapbot.care.wording import duration, local
from kapbot.policy import Policy


@dataclass(frozen=True)
class Requirement:
    key: str
    title: str
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        return not self.reasons


def _plan(s: SessionSnapshot, now: datetime, policy: Policy) -> tuple[list[str], list[str]]:
    plan = s.plan
    if plan is None:
        return ["There is no active dose plan: the prescriber must post one."], []
    reasons = []
    if plan.prescriber_id != s.pair.prescriber_id:
        reasons.append("The dose plan was not signed by this patient's prescriber.")
    if now >= dosing.plan_expires_at(plan, policy):
        reasons.append(f"The dose plan expired after {plan.valid_until.isoformat()}.")
    if plan.sessions_used >= plan.sessions_authorised:
        reasons.append(f"The dose plan has no sessions remaining "
                       f"({plan.sessions_used} of {plan.sessions_authorised} used).")
    reasons += [r for r in (dosing.formulation_reason(plan.formulation, policy),
                            dosing.route_reason(plan.route, policy)) if r]
    return reasons, []


def _checklist(s: SessionSnapshot, now: datetime, policy: Policy) -> tuple[list[str], list[str]]:
    c = s.checklist
    if c is None:
        return ["The therapist has not completed the pre-session checklist."], []
    reasons = []
    if c.by != s.pair.therapist_id:
        reasons.append("The pre-session checklist was not completed by this patient's therapist.")
    if now - c.at > policy.checklist_valid:
        reasons.append(f"The pre-session checklist is more than "
                       f"{duration(policy.checklist_valid)} old: the therapist must redo it.")
    reasons += [f"Checklist item not affirmed: {item.text}."
                for item in policy.checklist if item.id not in c.affirmed]
    hold = vitals.hold_reason(c.vitals, policy)
    return reasons + ([hold] if hold else []), vitals.cautions(c.vitals, policy)


def _sign_off(s: SessionSnapshot, now: datetime, policy: Policy) -> tuple[list[str], list[str]]:
    so = s.sign_off
    if so is None:
        return ["The prescriber has not signed off the dose for this session."], []
    reasons = []
    if so.by != s.pair.prescriber_id:
        reasons.append("The dose was not signed off by this patient's prescriber.")
    if s.plan is not None and so.plan_id != s.plan.id:
        reasons.append("The dose sign-off was voided by a new dose plan: the prescriber must "
                       "sign off again.")
    if s.checklist is not None and (so.checklist_id != s.checklist.id or so.at < s.checklist.at):
        reasons.append("The dose sign-off was voided by a re-done checklist: the prescriber must "
                       "sign off again.")
    if now - so.at > policy.dose_signoff_valid:
        reasons.append(f"The dose sign-off is more than {duration(policy.dose_signoff_valid)} "
                       "old: the prescriber must sign off again.")
    if s.plan is not None:
        reasons += dosing.dose_reasons(so.dose_mg, s.plan, s.prior_dose, policy)
    return reasons, []


def _presence(s: SessionSnapshot, now: datetime, policy: Policy) -> tuple[list[str], list[str]]:
    p = s.presence
    if p is None or not p.in_room:
        return ["The therapist has not confirmed being in the room with the patient."], []
    reasons = []
    if p.by != s.pair.therapist_id:
        reasons.append("Presence was not confirmed by this patient's therapist.")
    if now - p.at > policy.presence_valid:
        reasons.append(f"The presence confirmation is more than "
                       f"{duration(policy.presence_valid)} old: the therapist must confirm again.")
    if s.sign_off is not None and p.dose_mg != s.sign_off.dose_mg:
        reasons.append("Double check failed: the dose read off the dispensed tablets does not "
                       "match the prescriber's sign-off.")
    if s.plan is not None and p.route != s.plan.route:
        reasons.append("Double check failed: the route entered by the therapist does not match "
                       "the dose plan.")
    return reasons, []


def _two_people(s: SessionSnapshot, now: datetime, policy: Policy) -> tuple[list[str], list[str]]:
    signers = [x.by for x in (s.sign_off, s.presence) if x is not None]
    if len(signers) == 2 and signers[0] == signers[1]:
        return ["The dose sign-off and the presence confirmation came from the same person: "
                "two different people must sign."], []
    if s.sign_off is not None and s.checklist is not None and s.sign_off.by == s.checklist.by:
        return ["The checklist and the dose sign-off came from the same person: two different "
                "people must sign."], []
    return [], []


def _timing(s: SessionSnapshot, now: datetime, policy: Policy) -> tuple[list[str], list[str]]:
    reasons = []
    opens = s.scheduled_at - policy.earliest_start
    if now < opens:
        reasons.append(f"Too early: this session may start from {local(opens, policy.tz)} "
                       f"({duration(policy.earliest_start)} before its scheduled time).")
    if s.another_in_progress:
        reasons.append(f"Another session of {s.pair.code} is in progress.")
    if s.prior_dose is not None and now < s.prior_dose.at + policy.min_interval:
        reasons.append(f"The last dose was on {local(s.prior_dose.at, policy.tz)}: at least "
                       f"{duration(policy.min_interval)} must pass between dosing sessions "
                       f"(next from {local(s.prior_dose.at + policy.min_interval, policy.tz)}).")
    return reasons, []


Check = Callable[[SessionSnapshot, datetime, Policy], tuple[list[str], list[str]]]
REQUIREMENTS: tuple[tuple[str, str, Check], ...] = (
    ("plan", "Active dose plan", _plan),
    ("checklist", "Pre-session checklist", _checklist),
    ("sign_off", "Prescriber's dose sign-off", _sign_off),
    ("presence", "Therapist's presence and double check", _presence),
    ("two_people", "Two different people", _two_people),
    ("timing", "Timing", _timing),
)


def requirements(s: SessionSnapshot, now: datetime, policy: Policy) -> tuple[Requirement, ...]:
    """Each of the six requirements with its state at `now` (for the card and the gate)."""
    return tuple(requirement(s, now, policy, key) for key, _, _ in REQUIREMENTS)


def requirement(s: SessionSnapshot, now: datetime, policy: Policy, key: str) -> Requirement:
    """One requirement's state, for a service that checks part of the gate early."""
    for k, title, check in REQUIREMENTS:
        if k == key:
            reasons, warnings = check(s, now, policy)
            return Requirement(k, title, tuple(reasons), tuple(warnings))
    raise KeyError(key)


def may_start(s: SessionSnapshot, actor: Actor, now: datetime, policy: Policy) -> Decision:
    """Refused with every unmet requirement, or allowed (with any caution flags)."""
    if s.state is not SessionState.SCHEDULED:
        return Decision((f"The session is {s.state.value.replace('_', ' ')}, not scheduled.",))
    who = authority.of_pair(actor, s.pair, "start a session")
    if who:
        return Decision((who,))
    found = requirements(s, now, policy)
    return Decision(tuple(r for req in found for r in req.reasons),
                    tuple(w for req in found for w in req.warnings))
