"""No random sequence of actions, by anyone, at any time, starts an unsafe session.

A Hypothesis state machine plays the clinic. The right people and the wrong ones — a
therapist of another patient, a stranger, a clinician who holds both roles, the bootstrap
admin — press every button kapbot has, with good and bad inputs, while the clock jumps by
minutes or by days. A small model of what kapbot accepted, written here apart from
kapbot.care on purpose (so that it can disagree with it), predicts every answer; and after
every step the database itself is read to check that nothing unsafe was ever recorded.

The numbers are the protocol's defaults (PROTOCOL.md), written out again here, so a wrong
policy file would be caught as well as a wrong rule.
"""

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import Session, col, func, select

from kapbot.care.gate import may_start
from kapbot.clock import ManualClock
from kapbot.policy import Policy
from kapbot.services import Outcome, Services
from kapbot.store import audit, snapshots
from kapbot.store import models as m
from kapbot.store.db import Database
from tests.clinic import (
    ADMIN,
    ALL_ITEMS,
    CODE,
    DISCHARGE,
    OTHER_THERAPIST,
    PRESCRIBER,
    STRANGER,
    THERAPIST,
    plan_form,
)
from tests.conftest import START, _truncate_all

# The protocol, as PROTOCOL.md states it.
DOSE_RANGE = (25, 300)
FIRST_SESSION_MAX = 150
TITRATION_STEP = 50
MIN_INTERVAL = timedelta(days=7)
HOLD = (160, 100)  # systolic or diastolic at or above this blocks the start
CHECKLIST_VALID = timedelta(hours=2)
SIGN_OFF_VALID = timedelta(hours=12)
PRESENCE_VALID = timedelta(minutes=15)
EARLIEST_START = timedelta(minutes=30)
MIN_MONITORING = timedelta(minutes=120)
ROUTES = {"sublingual", "buccal"}
FORMULATIONS = {"rdt", "troche"}
ROLES = {"prescriber", "therapist", "admin"}
PATIENT_CODE = re.compile(r"KAP-[0-9]{4}")
SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
PLAUSIBLE = ((60, 260), (30, 160), (30, 220), (50, 100))  # systolic, diastolic, HR, SpO2
SEDATION_MAX, DISSOCIATION_MAX, PHQ9_MAX, GAD7_MAX = 5, 4, 27, 21
TEXT_LIMIT = 3000
STARTED = {"in_progress", "completed", "aborted"}

# The clinic the machine opens: two care pairs, one prescriber who is also a therapist.
BOTH = "UBOTHROLE"
SECOND = "KAP-0007"  # BOTH prescribes, OTHER_THERAPIST is the therapist
NEW = "KAP-0099"  # only the add_patient rule can create this one
NO_SUCH_ID = 10**6
TOO_LONG = "a reason longer than 3000 characters"
NO_TWIST = "everything right"
EDGES = ("checklist exactly 2 h before the start", "checklist 2 h 1 min before the start",
         "presence exactly 15 min before the start", "presence 16 min before the start",
         "start exactly 30 min early", "start 31 min early",
         "exactly 7 days after the last start", "7 days less a minute after the last start",
         "a dose 50 mg above the last", "a dose 75 mg above the last",
         "a dose exactly at the plan's maximum", "a dose above the plan's maximum",
         "the plan ran out the day before", "a one-session plan, used up")
MISTAKES = ("BP at the hold level", "an item left unticked", "another dose on the tablets",
            "another route on the tablets", "a new plan after the sign-off",
            "checklist redone after the sign-off")
AFTER_A_PREVIOUS_SESSION = {"exactly 7 days after the last start", "a dose 50 mg above the last",
                            "7 days less a minute after the last start",
                            "a dose 75 mg above the last"}
THEN = st.sampled_from(("signed out after 2 h", "left in progress", "aborted"))

T = TypeVar("T")
Signed = TypeVar("Signed", m.ChecklistResponse, m.DoseSignOff, m.PresenceConfirmation)


def usually(good: T | list[T], *bad: T) -> st.SearchStrategy[T]:
    """A right choice (or one of a list of them) four times in five, else one of the wrong.

    One flat sampled_from, so a failing example shrinks towards the right choice.
    """
    right = good if isinstance(good, list) else [good]
    return st.sampled_from(right * (4 * len(bad)) + list(bad) * len(right))


def anyone_but(*right: str) -> tuple[str, ...]:
    people = ("therapist", "prescriber", "other therapist", "both roles", "stranger", "admin")
    return tuple(p for p in people if p not in right)


THERAPIST_ACTS = usually("therapist", *anyone_but("therapist"))
PRESCRIBER_ACTS = usually("prescriber", *anyone_but("prescriber"))
PAIR_ACTS = usually(["therapist", "prescriber"],
                    *anyone_but("therapist", "prescriber"))
CODES = usually([CODE, SECOND, NEW], "KAP-4040", " KAP-0042")
GOOD_READINGS = [(120, 80, 72, 98), (138, 88, 80, 97), (150, 95, 90, 93), (159, 99, 72, 91)]
HOLD_READINGS = ((170, 105, 72, 98), (160, 80, 72, 98), (120, 100, 72, 98))
TYPOS = ((0, 0, 72, 98), (400, 300, 72, 98), (80, 120, 72, 98), (120, 80, 72, 40),
         ("120", "80", "72", "98"), ("12O", 80, 72, 98), ("--120", 80, 72, 98))


class PlanChoice(NamedTuple):
    """The dose plan modal as typed; valid_days counts from today, or is typed text."""

    dose: object = 100
    maximum: object = 150
    sessions: object = 6
    valid_days: int | str = 30
    route: str = "sublingual"
    formulation: str = "rdt"


GOOD_PLANS = [PlanChoice(), PlanChoice(dose=150, maximum=300, sessions=2),
              PlanChoice(dose=50, maximum=200, sessions=1, valid_days=0),
              PlanChoice(route="buccal", formulation="troche", valid_days=1),
              PlanChoice(maximum=100, route=" Buccal ", formulation="RDT", valid_days=365),
              PlanChoice(dose="120", maximum="250", sessions=3)]
BAD_PLANS = (PlanChoice(dose=0), PlanChoice(dose=-10), PlanChoice(dose="abc"),
             PlanChoice(dose="--100"),
             PlanChoice(dose=20), PlanChoice(dose=200), PlanChoice(maximum=301),
             PlanChoice(maximum="lots"), PlanChoice(sessions=0), PlanChoice(sessions=53),
             PlanChoice(valid_days=-1), PlanChoice(valid_days="soon"),
             PlanChoice(route="intravenous"), PlanChoice(route="intranasal"),
             PlanChoice(route="oral"), PlanChoice(route=""), PlanChoice(formulation="powder"))


# ---------------------------------------------------------------- the model's own rules

def typed_int(raw: object) -> int | None:
    """A whole number as a form hands it over: an int, or digits (perhaps with a minus)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*-?[0-9]+\s*", raw):
        return int(raw)
    return None


def whole_mg(raw: object) -> int | None:
    """A dose as a clinician may type it: a whole number of mg above zero."""
    value = typed_int(raw)
    return value if value is not None and value > 0 else None


def score_ok(raw: object, high: int) -> bool:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return True
    value = typed_int(raw)
    return value is not None and 0 <= value <= high


def plausible(reading: tuple[object, ...]) -> bool:
    values = [typed_int(raw) for raw in reading]
    return (all(v is not None and low <= v <= high
                for v, (low, high) in zip(values, PLAUSIBLE, strict=True))
            and (values[0] or 0) > (values[1] or 0))


def in_dose_range(dose: int) -> bool:
    return DOSE_RANGE[0] <= dose <= DOSE_RANGE[1]


@dataclass
class Plan:
    id: int
    prescriber: str
    route: str
    max_mg: int
    sessions: int
    valid_until: date


@dataclass(frozen=True)
class Checklist:
    id: int
    by: str
    at: datetime
    items: frozenset[str]
    systolic: int
    diastolic: int


@dataclass(frozen=True)
class SignOff:
    by: str
    at: datetime
    dose: int
    plan_id: int
    checklist_id: int


@dataclass(frozen=True)
class Presence:
    by: str
    at: datetime
    dose: int
    route: str


@dataclass
class Patient:
    code: str
    prescriber: str
    therapist: str
    plan: Plan | None = None


@dataclass
class Visit:
    """One dosing session as the model saw it accepted."""

    id: int
    code: str
    scheduled_at: datetime
    state: str = "scheduled"
    checklist: Checklist | None = None
    sign_off: SignOff | None = None
    presence: Presence | None = None
    started_at: datetime | None = None
    dose: int | None = None
    plan_id: int | None = None


@dataclass
class FollowUp:
    code: str
    open: bool = True


class Model:
    """What kapbot accepted so far, and what the protocol says it must answer next."""

    def __init__(self, policy: Policy, admins: frozenset[str]) -> None:
        self.tz = policy.tz
        self.admins = admins
        self.roster: dict[str, set[str]] = {}
        self.patients: dict[str, Patient] = {}
        self.visits: dict[int, Visit] = {}
        self.follow_ups: dict[int, FollowUp] = {}

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    # who
    def is_admin(self, who: str) -> bool:
        return who in self.admins or "admin" in self.roster.get(who, set())

    def holds(self, who: str, role: str) -> bool:
        return role in self.roster.get(who, set())

    def prescriber_of(self, who: str, p: Patient) -> bool:
        return who == p.prescriber and self.holds(who, "prescriber")

    def therapist_of(self, who: str, p: Patient) -> bool:
        return who == p.therapist and self.holds(who, "therapist")

    def pair_member(self, who: str, p: Patient) -> bool:
        return self.prescriber_of(who, p) or self.therapist_of(who, p)

    def patient(self, visit: Visit) -> Patient:
        return self.patients[visit.code]

    # history
    def started_visits(self, code: str) -> list[Visit]:
        return sorted((v for v in self.visits.values()
                       if v.code == code and v.started_at is not None),
                      key=lambda v: v.started_at or START)

    def prior(self, visit: Visit) -> Visit | None:
        earlier = [v for v in self.started_visits(visit.code) if v.id != visit.id]
        return earlier[-1] if earlier else None

    # the requirements, each a list of what is wrong
    def plan_problems(self, p: Patient, now: datetime) -> list[str]:
        plan = p.plan
        if plan is None:
            return ["no active dose plan"]
        used = sum(1 for v in self.visits.values()
                   if v.plan_id == plan.id and v.started_at is not None)
        return [why for bad, why in (
            (plan.prescriber != p.prescriber, "the plan is not by the pair's prescriber"),
            (self.today(now) > plan.valid_until, f"the plan expired after {plan.valid_until}"),
            (used >= plan.sessions, f"all {plan.sessions} sessions of the plan were used"),
        ) if bad]

    def checklist_problems(self, visit: Visit, now: datetime) -> list[str]:
        c = visit.checklist
        if c is None:
            return ["no pre-session checklist"]
        return [why for bad, why in (
            (c.by != self.patient(visit).therapist, "checklist not by the therapist"),
            (now - c.at > CHECKLIST_VALID, "checklist older than 2 h"),
            (not set(ALL_ITEMS) <= c.items, "checklist items missing"),
            (c.systolic >= HOLD[0] or c.diastolic >= HOLD[1],
             f"pre-dose BP {c.systolic}/{c.diastolic} at the hold level"),
        ) if bad]

    def dose_problems(self, dose: int, visit: Visit) -> list[str]:
        plan = self.patient(visit).plan
        prior = self.prior(visit)
        return [why for bad, why in (
            (not in_dose_range(dose), f"{dose} mg outside {DOSE_RANGE}"),
            (plan is not None and dose > plan.max_mg, f"{dose} mg above the plan's maximum"),
            (prior is None and dose > FIRST_SESSION_MAX, f"{dose} mg above the first-session "
                                                         "maximum"),
            (prior is not None and dose > (prior.dose or 0) + TITRATION_STEP,
             f"{dose} mg more than {TITRATION_STEP} mg above the previous dose"),
        ) if bad]

    def start_problems(self, visit: Visit, who: str, now: datetime) -> list[str]:
        """Every requirement of the gate, recomputed from what the model saw accepted."""
        p = self.patient(visit)
        if visit.state != "scheduled":
            return [f"the session is {visit.state}"]
        if not self.pair_member(who, p):
            return [f"{who} is not in {p.code}'s care pair"]
        plan, c, so, pr = p.plan, visit.checklist, visit.sign_off, visit.presence
        problems = self.plan_problems(p, now) + self.checklist_problems(visit, now)
        if so is None:
            problems.append("no dose sign-off")
        else:
            problems += [why for bad, why in (
                (so.by != p.prescriber, "sign-off not by the prescriber"),
                (plan is None or so.plan_id != plan.id, "sign-off under another plan version"),
                (c is None or so.checklist_id != c.id or so.at < c.at,
                 "sign-off not after the latest checklist"),
                (now - so.at > SIGN_OFF_VALID, "sign-off older than 12 h"),
            ) if bad]
            problems += self.dose_problems(so.dose, visit)
        if pr is None:
            problems.append("no presence confirmation")
        else:
            problems += [why for bad, why in (
                (pr.by != p.therapist, "presence not by the therapist"),
                (now - pr.at > PRESENCE_VALID, "presence older than 15 min"),
                (so is None or pr.dose != so.dose, "dose on the tablets differs from sign-off"),
                (plan is None or pr.route != plan.route, "route differs from the plan"),
            ) if bad]
        if so is not None and so.by in {x.by for x in (c, pr) if x is not None}:
            problems.append("the prescriber's sign-off and a therapist's step by one person")
        prior = self.prior(visit)
        problems += [why for bad, why in (
            (now < visit.scheduled_at - EARLIEST_START, "more than 30 min early"),
            (any(v.state == "in_progress" for v in self.visits.values()
                 if v.code == visit.code and v.id != visit.id),
             "another session of the patient is in progress"),
            (prior is not None and now < (prior.started_at or now) + MIN_INTERVAL,
             "less than 7 days since the last dose"),
        ) if bad]
        return problems


# ---------------------------------------------------------------- the machine

class ClinicUnderRandomActions(RuleBasedStateMachine):
    visits = Bundle("visits")
    follow_ups = Bundle("follow_ups")

    def __init__(self, services: Services, clock: ManualClock, policy: Policy) -> None:
        super().__init__()
        self.services, self.clock, self.policy = services, clock, policy
        self.model = Model(policy, services.admins)
        self.calls = 0
        self.calls_checked = -1
        self.started_rows_checked: list[dict[str, object]] = []
        self.starts_seen: dict[int, datetime] = {}

    # -------- helpers

    def person(self, role: str, code: str) -> str:
        """Who plays `role` for this patient: the pair, or someone who must be refused."""
        p = self.model.patients.get(code)
        return {
            "therapist": p.therapist if p else THERAPIST,
            "prescriber": p.prescriber if p else PRESCRIBER,
            "other therapist": THERAPIST if p and p.therapist == OTHER_THERAPIST
            else OTHER_THERAPIST,
            "both roles": BOTH,
            "stranger": STRANGER,
            "admin": ADMIN,
        }[role]

    def call(self, problems: list[str], action: str, *args: object) -> Outcome:
        """One service call: exactly one audit entry, and the answer the model predicts."""
        self.calls += 1
        outcome: Outcome = getattr(self.services, action)(*args)
        assert not (outcome.ok and problems), (
            f"{action}{args} was accepted although {problems}")
        assert outcome.ok or problems, (
            f"{action}{args} was refused although nothing was wrong: {outcome.reasons}")
        return outcome

    def on_visit(self, visit_id: int, role: str) -> tuple[Visit, Patient, str, datetime]:
        visit = self.model.visits[visit_id]
        return visit, self.model.patient(visit), self.person(role, visit.code), self.clock.now()

    # -------- the roster and the patients

    @initialize()
    def open_the_clinic(self) -> None:
        for user, roles in ((PRESCRIBER, ("prescriber",)), (THERAPIST, ("therapist",)),
                            (OTHER_THERAPIST, ("therapist",)),
                            (BOTH, ("prescriber", "therapist"))):
            self.add_clinician(ADMIN, user, roles, "")
        self.add_patient(ADMIN, CODE, PRESCRIBER, THERAPIST)
        self.add_patient(ADMIN, SECOND, BOTH, OTHER_THERAPIST)
        self.post_plan("prescriber", CODE, PlanChoice(maximum=200, valid_days=365))
        self.post_plan("prescriber", SECOND, PlanChoice(route="buccal", valid_days=365))

    @rule(who=usually(ADMIN, PRESCRIBER, THERAPIST, STRANGER),
          user=st.sampled_from((STRANGER, "UNEWCOMER", THERAPIST, BOTH, "u-not-slack", "X12")),
          roles=st.sampled_from((("therapist",), ("prescriber",), ("prescriber", "therapist"),
                                 ("admin",), (" Therapist ",), (), ("nurse",))),
          name=st.sampled_from(("Ari Chen", "", "A" * 121)))
    def add_clinician(self, who: str, user: str, roles: tuple[str, ...], name: str) -> None:
        wanted = {r.strip().lower() for r in roles}
        problems = [why for bad, why in (
            (not self.model.is_admin(who), f"{who} is not an admin"),
            (not SLACK_ID.fullmatch(user), f"{user!r} is not a Slack user ID"),
            (not wanted or not wanted <= ROLES, f"roles {roles}"),
            (len(name) > 120, "display name too long"),
        ) if bad]
        if self.call(problems, "add_clinician", who, user, list(roles), name).ok:
            self.model.roster.setdefault(user, set()).update(wanted)

    @rule(who=usually(ADMIN, PRESCRIBER, THERAPIST, STRANGER),
          code=st.sampled_from((NEW, f" {NEW} ", CODE, "kap-0099", "Jane Doe")),
          prescriber=st.sampled_from((PRESCRIBER, BOTH, THERAPIST, STRANGER, "nobody")),
          therapist=st.sampled_from((BOTH, THERAPIST, OTHER_THERAPIST, PRESCRIBER, STRANGER)))
    def add_patient(self, who: str, code: str, prescriber: str, therapist: str) -> None:
        key = code.strip()
        problems = [why for bad, why in (
            (not self.model.is_admin(who), f"{who} is not an admin"),
            (not PATIENT_CODE.fullmatch(key), f"code {code!r}"),
            (key in self.model.patients, f"{key} exists"),
            (prescriber == therapist, "one person for both roles of the pair"),
            (not self.model.holds(prescriber, "prescriber"), f"{prescriber} not a prescriber"),
            (not self.model.holds(therapist, "therapist"), f"{therapist} not a therapist"),
        ) if bad]
        if self.call(problems, "add_patient", who, code, prescriber, therapist, "C0PAIR").ok:
            self.model.patients[key] = Patient(key, prescriber, therapist)

    @rule(who=usually(ADMIN, PRESCRIBER, STRANGER),
          user=st.sampled_from((BOTH, THERAPIST, OTHER_THERAPIST, PRESCRIBER, STRANGER, "x")),
          role=st.sampled_from(("therapist", "prescriber", "admin", " Admin ", "nurse")))
    def remove_role(self, who: str, user: str, role: str) -> None:
        wanted = role.strip().lower()
        seats = [p.code for p in self.model.patients.values()
                 if user == {"prescriber": p.prescriber, "therapist": p.therapist}.get(wanted)]
        problems = [why for bad, why in (
            (not self.model.is_admin(who), f"{who} is not an admin"),
            (not SLACK_ID.fullmatch(user), f"{user!r} is not a Slack user ID"),
            (wanted not in ROLES, f"role {role!r}"),
            (not self.model.holds(user, wanted), f"{user} does not hold {wanted}"),
            (bool(seats), f"{user} is the {wanted} of {seats}"),
        ) if bad]
        if self.call(problems, "remove_role", who, user, role).ok:
            self.model.roster[user].discard(wanted)  # no role left: inactive

    # -------- plans and scheduling

    @rule(who=PRESCRIBER_ACTS, code=CODES, choice=usually(GOOD_PLANS, *BAD_PLANS))
    def post_plan(self, who: str, code: str, choice: PlanChoice) -> None:
        actor, p = self.person(who, code), self.model.patients.get(code)
        today = self.model.today(self.clock.now())
        valid = (today + timedelta(days=choice.valid_days)
                 if isinstance(choice.valid_days, int) else None)
        dose, maximum = whole_mg(choice.dose), whole_mg(choice.maximum)
        problems = [why for bad, why in (
            (p is None, f"no patient {code!r}"),
            (p is not None and not self.model.prescriber_of(actor, p), f"{actor} may not"),
            (choice.formulation.strip().lower() not in FORMULATIONS, "formulation"),
            (choice.route.strip().lower() not in ROUTES, "route"),
            (dose is None or not in_dose_range(dose), "dose"),
            (maximum is None or not in_dose_range(maximum), "maximum"),
            (dose is not None and maximum is not None and dose > maximum, "dose above maximum"),
            (not (isinstance(choice.sessions, int) and 1 <= choice.sessions <= 52), "sessions"),
            (valid is None or valid < today, "valid until"),
        ) if bad]
        form = plan_form(choice.dose, choice.maximum, choice.sessions,
                         valid.isoformat() if valid else choice.valid_days, choice.route,
                         choice.formulation)
        outcome = self.call(problems, "post_plan", actor, code, form)
        if outcome.ok:
            assert p is not None and outcome.id is not None and valid is not None
            assert maximum is not None and isinstance(choice.sessions, int)
            p.plan = Plan(outcome.id, actor, choice.route.strip().lower(), maximum,
                          choice.sessions, valid)

    @rule(target=visits, who=PAIR_ACTS, code=CODES,
          minutes=usually([10, 45, 180, 24 * 60, 8 * 24 * 60], -60, 0))
    def schedule_session(self, who: str, code: str, minutes: int) -> object:
        actor, p, now = self.person(who, code), self.model.patients.get(code), self.clock.now()
        at = now + timedelta(minutes=minutes)
        problems = [why for bad, why in (
            (p is None, f"no patient {code!r}"),
            (p is not None and not self.model.pair_member(actor, p), f"{actor} may not"),
            (at <= now, "in the past"),
        ) if bad]
        outcome = self.call(problems, "schedule_session", actor, code, at)
        if outcome.refused:
            return multiple()
        assert outcome.id is not None
        self.model.visits[outcome.id] = Visit(outcome.id, code, at)
        return outcome.id

    # -------- the three preparations and the time out

    @rule(visit=visits, who=THERAPIST_ACTS,
          items=usually(ALL_ITEMS, ALL_ITEMS[1:], ALL_ITEMS[:-1], (*ALL_ITEMS, "vibes"), ()),
          reading=usually(GOOD_READINGS, *HOLD_READINGS, *TYPOS))
    def complete_checklist(self, visit: int, who: str, items: tuple[str, ...],
                           reading: tuple[object, ...]) -> None:
        v, p, actor, now = self.on_visit(visit, who)
        problems = [why for bad, why in (
            (not self.model.therapist_of(actor, p), f"{actor} is not the therapist"),
            (v.state != "scheduled", f"the session is {v.state}"),
            (not plausible(reading), f"reading {reading}"),
            (not set(items) <= set(ALL_ITEMS), "unknown item"),
        ) if bad]
        outcome = self.call(problems, "complete_checklist", actor, visit, items, *reading)
        if outcome.ok:
            assert outcome.id is not None
            systolic, diastolic = (typed_int(raw) or 0 for raw in reading[:2])
            v.checklist = Checklist(outcome.id, actor, now, frozenset(items), systolic, diastolic)

    @rule(visit=visits, who=PRESCRIBER_ACTS,
          dose=usually([100, 75, 125, 150, 175, 200, " 120 "],
                       0, -50, "abc", "", 24, 301, 1000, "--5"))
    def sign_off_dose(self, visit: int, who: str, dose: object) -> None:
        v, p, actor, now = self.on_visit(visit, who)
        mg = whole_mg(dose)
        problems = [why for bad, why in (
            (not self.model.prescriber_of(actor, p), f"{actor} is not the prescriber"),
            (v.state != "scheduled", f"the session is {v.state}"),
            (mg is None, f"dose {dose!r}"),
        ) if bad]
        if not problems:
            assert mg is not None
            problems = (self.model.plan_problems(p, now)
                        + self.model.checklist_problems(v, now)
                        + self.model.dose_problems(mg, v))
        if self.call(problems, "sign_off_dose", actor, visit, dose).ok:
            assert p.plan is not None and v.checklist is not None and mg is not None
            v.sign_off = SignOff(actor, now, mg, p.plan.id, v.checklist.id)

    @rule(visit=visits, who=THERAPIST_ACTS, in_room=usually(True, False),
          dose=usually("as signed off", 100, 150, "abc", 0, -5, "--5"),
          route=usually("as planned", "sublingual", "buccal", " SUBLINGUAL ", "intravenous",
                        "oral", "IM", ""))
    def confirm_presence(self, visit: int, who: str, in_room: bool, dose: object,
                         route: str) -> None:
        v, p, actor, now = self.on_visit(visit, who)
        if dose == "as signed off":
            dose = v.sign_off.dose if v.sign_off else 100
        if route == "as planned":
            route = p.plan.route if p.plan else "sublingual"
        mg, key = whole_mg(dose), route.strip().lower()
        problems = [why for bad, why in (
            (not self.model.therapist_of(actor, p), f"{actor} is not the therapist"),
            (v.state != "scheduled", f"the session is {v.state}"),
            (not in_room, "not in the room"),
            (mg is None, f"dose {dose!r}"),
            (key not in ROUTES, f"route {route!r}"),
        ) if bad]
        if self.call(problems, "confirm_presence", actor, visit, in_room, dose, route).ok:
            assert mg is not None
            v.presence = Presence(actor, now, mg, key)

    @rule(visit=visits, who=PAIR_ACTS)
    def start_session(self, visit: int, who: str) -> None:
        v, p, actor, now = self.on_visit(visit, who)
        with self.services.db.reading() as tx:
            snap = snapshots.session_snapshot(tx, visit, lock=False)
            assert snap is not None
            kapbot_gate = may_start(snap, snapshots.actor(tx, actor, self.services.admins),
                                    now, self.policy)
        problems = self.model.start_problems(v, actor, now)
        outcome = self.call(problems, "start_session", actor, visit)
        assert outcome.ok == (not kapbot_gate.refused), (
            f"start_session answered {outcome} but the gate said {kapbot_gate}")
        if outcome.ok:
            assert v.sign_off is not None and p.plan is not None
            v.state, v.started_at, v.dose, v.plan_id = ("in_progress", now, v.sign_off.dose,
                                                        p.plan.id)

    @rule(target=visits, code=usually([CODE, SECOND], NEW),
          dose=st.sampled_from((100, 150, 125, 175, 200, 250)),
          hours_ahead=st.sampled_from((3, 7 * 24, 8 * 24)), then=THEN)
    def a_session_prepared_by_both(self, code: str, dose: int, hours_ahead: int, then: str
                                   ) -> object:
        """Both clinicians prepare a session 10 minutes before its time, and start it."""
        return self.prepare_and_start(code, dose, hours_ahead, NO_TWIST, then)

    @rule(target=visits, code=st.sampled_from((CODE, SECOND)), edge=st.sampled_from(EDGES),
          then=THEN)
    def a_session_prepared_at_a_window_edge(self, code: str, edge: str, then: str) -> object:
        """As above, but one step sits on the edge of its window, or just past it."""
        return self.prepare_and_start(code, self.safe_dose(code), 3, edge, then)

    @rule(target=visits, code=st.sampled_from((CODE, SECOND)),
          mistake=st.sampled_from(MISTAKES), then=THEN)
    def a_session_prepared_with_one_mistake(self, code: str, mistake: str, then: str
                                            ) -> object:
        """As above, but with one mistake, or one step re-done after the sign-off."""
        return self.prepare_and_start(code, self.safe_dose(code), 3, mistake, then)

    def safe_dose(self, code: str) -> int:
        """The last dose taken (or 100 mg), within the current plan's maximum."""
        p, started = self.model.patients.get(code), self.model.started_visits(code)
        last = started[-1].dose if started and started[-1].dose else 100
        return min(last, p.plan.max_mg) if p and p.plan else last

    def a_previous_session(self, code: str, always: bool = False) -> None:
        """Make sure the patient has a started session that is over (run one if needed)."""
        started = self.model.started_visits(code)
        if started and started[-1].state == "in_progress":
            self.abort_session(started[-1].id, "prescriber", "Patient distressed")
        if always or not started:
            self.prepare_and_start(code, self.safe_dose(code), 8 * 24, NO_TWIST,
                                   "signed out after 2 h")

    def prepare_and_start(self, code: str, dose: int, hours_ahead: int, twist: str,
                          then: str) -> object:
        """Schedule, prepare and start a session, right but for at most one twist.

        By default every step happens 10 minutes before the session's time. A twist moves
        one step to a window's edge (or just past it), changes a dose or a plan, puts
        another dose or route on the tablets, or re-does a step after the sign-off. The
        model, not the twist, decides what kapbot must answer.
        """
        p = self.model.patients.get(code)
        if p and twist in AFTER_A_PREVIOUS_SESSION:
            self.a_previous_session(code)
            last = self.model.started_visits(code)
            if last and twist.startswith("a dose"):
                dose, hours_ahead = (last[-1].dose or 100) + int(twist.split()[2]), 8 * 24
        if p and "plan's maximum" in twist:
            route = p.plan.route if p.plan else "sublingual"
            self.post_plan("prescriber", code, PlanChoice(maximum=100, route=route))
            dose = 100 if twist.startswith("a dose exactly") else 125
        if p and twist == "a one-session plan, used up":
            self.post_plan("prescriber", code, PlanChoice(maximum=200, sessions=1,
                                                          valid_days=365))
            self.a_previous_session(code, always=True)
            hours_ahead = 8 * 24
        now = self.clock.now()
        scheduled = now + timedelta(hours=hours_ahead)
        early = {"start exactly 30 min early": 30, "start 31 min early": 31}.get(twist, 10)
        started = self.model.started_visits(code)
        prior = started[-1] if started else None
        if prior and prior.started_at and "days" in twist:
            gap = MIN_INTERVAL - timedelta(minutes=0 if twist.startswith("exactly") else 1)
            scheduled = max(scheduled, prior.started_at + gap + timedelta(minutes=early))
        if twist == "the plan ran out the day before":
            self.post_plan("prescriber", code, PlanChoice(maximum=200, valid_days=0))
            scheduled = max(scheduled, datetime.combine(self.model.today(now) + timedelta(
                days=1), time(1), self.policy.tz))
        visit = self.schedule_session("therapist", code, (scheduled - now) // timedelta(
            minutes=1))
        if not isinstance(visit, int):
            return visit
        start = self.model.visits[visit].scheduled_at - timedelta(minutes=early)
        checklist_ahead, presence_ahead = {
            "checklist exactly 2 h before the start": (120, 0),
            "checklist 2 h 1 min before the start": (121, 0),
            "presence exactly 15 min before the start": (15, 15),
            "presence 16 min before the start": (16, 16),
        }.get(twist, (0, 0))
        self.clock_to(start - timedelta(minutes=checklist_ahead))
        self.complete_checklist(visit, "therapist", ALL_ITEMS[1:] if twist == (
            "an item left unticked") else ALL_ITEMS, HOLD_READINGS[0] if twist == (
            "BP at the hold level") else (120, 80, 72, 98))
        self.sign_off_dose(visit, "prescriber", dose)
        plan = p.plan if p else None
        if twist == "a new plan after the sign-off" and plan:
            self.post_plan("prescriber", code, PlanChoice(maximum=plan.max_mg, route=plan.route,
                                                          valid_days=365))
        if twist == "checklist redone after the sign-off":
            self.complete_checklist(visit, "therapist", ALL_ITEMS, (120, 80, 72, 98))
        self.clock_to(start - timedelta(minutes=presence_ahead))
        tablets: object = dose + 25 if twist == "another dose on the tablets" else "as signed off"
        route = "as planned"
        if twist == "another route on the tablets":
            route = "sublingual" if plan and plan.route == "buccal" else "buccal"
        self.confirm_presence(visit, "therapist", True, tablets, route)
        self.clock_to(start)
        self.start_session(visit, "therapist")
        if then == "signed out after 2 h":
            self.clock.advance(MIN_MONITORING)
            self.end_session(visit, "therapist", DISCHARGE)
        elif then == "aborted":
            self.abort_session(visit, "prescriber", "Patient distressed")
        return visit

    def clock_to(self, instant: datetime) -> None:
        """Time only moves forward: a step planned for the past simply happens now."""
        if instant > self.clock.now():
            self.clock.set(instant)

    # -------- during the session, and the ways it ends

    @rule(visit=visits, who=PAIR_ACTS, reading=usually(GOOD_READINGS, *HOLD_READINGS, *TYPOS),
          sedation=usually([None, 0, 5], 6, "sleepy"),
          dissociation=st.sampled_from((None, 2, 5)))
    def record_vitals(self, visit: int, who: str, reading: tuple[object, ...],
                      sedation: object, dissociation: object) -> None:
        v, p, actor, _ = self.on_visit(visit, who)
        problems = [why for bad, why in (
            (not self.model.pair_member(actor, p), f"{actor} is not in the pair"),
            (v.state != "in_progress", f"the session is {v.state}"),
            (not plausible(reading), f"reading {reading}"),
            (not score_ok(sedation, SEDATION_MAX), f"sedation {sedation!r}"),
            (not score_ok(dissociation, DISSOCIATION_MAX), f"dissociation {dissociation!r}"),
        ) if bad]
        self.call(problems, "record_vitals", actor, visit, *reading, sedation, dissociation)

    @rule(visit=visits, who=THERAPIST_ACTS)
    def check_in(self, visit: int, who: str) -> None:
        v, p, actor, _ = self.on_visit(visit, who)
        problems = [why for bad, why in (
            (not self.model.therapist_of(actor, p), f"{actor} is not the therapist"),
            (v.state != "in_progress", f"the session is {v.state}"),
        ) if bad]
        self.call(problems, "check_in", actor, visit)

    @rule(target=follow_ups, visit=visits, who=THERAPIST_ACTS,
          discharge=usually(DISCHARGE, DISCHARGE[:2], (), (*DISCHARGE, "feels fine")))
    def end_session(self, visit: int, who: str, discharge: tuple[str, ...]) -> object:
        v, p, actor, now = self.on_visit(visit, who)
        problems = [why for bad, why in (
            (not self.model.therapist_of(actor, p), f"{actor} is not the therapist"),
            (v.state != "in_progress", f"the session is {v.state}"),
            (v.started_at is not None and now - v.started_at < MIN_MONITORING,
             "less than 120 min of monitoring"),
            (set(discharge) != set(DISCHARGE), f"discharge {discharge}"),
        ) if bad]
        if self.call(problems, "end_session", actor, visit, discharge).refused:
            return multiple()
        v.state = "completed"
        with self.services.db.reading() as tx:
            rows = tx.exec(select(m.FollowUp).where(m.FollowUp.session_id == visit)).all()
        assert sorted((r.kind, r.due_at - now) for r in rows) == [
            ("check_in", timedelta(days=7)), ("integration_session", timedelta(days=1))]
        for row in rows:
            assert row.id is not None
            self.model.follow_ups[row.id] = FollowUp(v.code)
        return multiple(*(r.id for r in rows))

    @precondition(lambda self: any(v.state == "in_progress" for v in self.model.visits.values()))
    @rule(target=follow_ups, minutes=st.sampled_from((120, 125, 180, 24 * 60)))
    def a_session_ends_by_the_book(self, minutes: int) -> object:
        """The earliest session in progress is watched for `minutes`, then signed out."""
        visit = next(v for v in self.model.visits.values() if v.state == "in_progress")
        assert visit.started_at is not None
        self.clock_to(visit.started_at + timedelta(minutes=minutes))
        self.record_vitals(visit.id, "therapist", (120, 80, 72, 98), None, None)
        self.check_in(visit.id, "therapist")
        return self.end_session(visit.id, "therapist", DISCHARGE)

    @rule(visit=visits, who=PAIR_ACTS, reason=usually("Patient distressed", "", "   "))
    def abort_session(self, visit: int, who: str, reason: str) -> None:
        v, p, actor, _ = self.on_visit(visit, who)
        problems = [why for bad, why in (
            (not self.model.pair_member(actor, p), f"{actor} is not in the pair"),
            (v.state != "in_progress", f"the session is {v.state}"),
            (not reason.strip(), "no reason"),
        ) if bad]
        if self.call(problems, "abort_session", actor, visit, reason).ok:
            v.state = "aborted"

    @rule(visit=visits, who=PAIR_ACTS, reason=usually("Patient unwell", "", TOO_LONG))
    def cancel_session(self, visit: int, who: str, reason: str) -> None:
        v, p, actor, _ = self.on_visit(visit, who)
        text = "x" * (TEXT_LIMIT + 1) if reason == TOO_LONG else reason
        problems = [why for bad, why in (
            (not self.model.pair_member(actor, p), f"{actor} is not in the pair"),
            (v.state != "scheduled", f"the session is {v.state}"),
            (len(text.strip()) > TEXT_LIMIT, "reason too long"),
        ) if bad]
        if self.call(problems, "cancel_session", actor, visit, text).ok:
            v.state = "cancelled"

    @rule(follow_up=follow_ups, who=THERAPIST_ACTS,
          phq9=usually([None, 0, 14, 27], 28, -1, "mild", " 9 ", "--9"),
          gad7=st.sampled_from((None, 7, 21, 22)))
    def complete_follow_up(self, follow_up: int, who: str, phq9: object, gad7: object) -> None:
        f = self.model.follow_ups[follow_up]
        actor = self.person(who, f.code)
        problems = [why for bad, why in (
            (not self.model.therapist_of(actor, self.model.patients[f.code]),
             f"{actor} is not the therapist"),
            (not f.open, "already done"),
            (not score_ok(phq9, PHQ9_MAX), f"PHQ-9 {phq9!r}"),
            (not score_ok(gad7, GAD7_MAX), f"GAD-7 {gad7!r}"),
        ) if bad]
        if self.call(problems, "complete_follow_up", actor, follow_up, phq9, gad7, "").ok:
            f.open = False

    @rule(action=st.sampled_from(("complete_checklist", "sign_off_dose", "confirm_presence",
                                  "start_session", "record_vitals", "check_in", "end_session",
                                  "abort_session", "cancel_session", "complete_follow_up")),
          who=st.sampled_from((THERAPIST, PRESCRIBER, ADMIN)))
    def act_on_something_that_does_not_exist(self, action: str, who: str) -> None:
        args: dict[str, tuple[object, ...]] = {
            "complete_checklist": (ALL_ITEMS, 120, 80, 72, 98), "sign_off_dose": (100,),
            "confirm_presence": (True, 100, "sublingual"), "record_vitals": (120, 80, 72, 98),
            "end_session": (DISCHARGE,), "abort_session": ("reason",)}
        self.call(["no such id"], action, who, NO_SUCH_ID, *args.get(action, ()))

    @rule(visit=visits, where=st.sampled_from(("sign-off", "tablets", "checklist", "vitals",
                                                "plan")),
          typed=st.sampled_from(("120", " 75 ", "abc", "", "1.5", "12O", "1,000", "--5")))
    def a_number_typed_by_hand(self, visit: int, where: str, typed: str) -> None:
        """The right person types a number into one field of a form, as they typed it."""
        if where == "sign-off":
            self.sign_off_dose(visit, "prescriber", typed)
        elif where == "tablets":
            self.confirm_presence(visit, "therapist", True, typed, "as planned")
        elif where == "checklist":
            self.complete_checklist(visit, "therapist", ALL_ITEMS, (typed, 80, 72, 98))
        elif where == "vitals":
            self.record_vitals(visit, "therapist", (120, 80, typed, 98), None, None)
        else:
            self.post_plan("prescriber", self.model.visits[visit].code, PlanChoice(dose=typed))

    # -------- time

    @rule(minutes=st.one_of(st.sampled_from((1, 5, 15, 16, 30, 121, 125, 12 * 60 + 1,
                                             24 * 60, 7 * 24 * 60)),
                            st.integers(1, 14 * 24 * 60)))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @rule(visit=visits, before=st.sampled_from((60, 31, 30, 29, 15, 10, 0, -30)))
    def the_clinicians_arrive(self, visit: int, before: int) -> None:
        """The clock moves to `before` minutes ahead of the session's time (never back)."""
        self.clock_to(self.model.visits[visit].scheduled_at - timedelta(minutes=before))

    # -------- after every step, the database itself

    @invariant()
    def the_database_shows_only_safe_sessions_and_an_unbroken_audit_chain(self) -> None:
        """Read back after every step that called kapbot (the clock alone changes no row).

        The rows behind the started sessions (plan, checklist, sign-off, presence) are read
        again whenever a started session's row is new or changed: rows dated after a start
        do not count for it, and time never runs backwards here.
        """
        if self.calls == self.calls_checked:
            return
        self.calls_checked = self.calls
        with self.services.db.reading() as tx:
            entries = tx.exec(select(func.count()).select_from(m.AuditEntry)).one()
            sessions = list(tx.exec(select(m.DosingSession).order_by(col(m.DosingSession.id))))
            started = [r for r in sessions if r.started_at is not None]
            started_rows = [r.model_dump() for r in started]
            record = None
            if started_rows != self.started_rows_checked:
                record = RecordedSafety(tx, started, self.model.today)
        assert entries == self.calls, f"{entries} audit entries for {self.calls} calls"
        check = audit.verify(self.services.db)
        assert check.whole, check.problem
        assert {r.id: r.state for r in sessions} == {v.id: v.state
                                                     for v in self.model.visits.values()}
        in_progress = [r.patient_id for r in sessions if r.state == "in_progress"]
        assert len(in_progress) == len(set(in_progress)), "two sessions of a patient in progress"
        for r in sessions:
            assert r.id is not None
            assert (r.started_at is not None) == (r.state in STARTED), r
            if r.started_at is not None:
                assert self.starts_seen.setdefault(r.id, r.started_at) == r.started_at, (
                    f"session {r.id} was started twice")
                assert r.started_at == self.model.visits[r.id].started_at
        problems = record.problems() if record else []
        assert not problems, f"unsafe sessions in the database: {problems}"
        self.started_rows_checked = started_rows


class RecordedSafety:
    """Every started session, checked against the rows that were there when it started."""

    def __init__(self, tx: Session, started: list[m.DosingSession],
                 local_day: Callable[[datetime], date]) -> None:
        ids = [s.id for s in started]
        self.local_day = local_day

        def rows(table: type[Signed]) -> list[Signed]:
            return list(tx.exec(select(table).where(col(table.session_id).in_(ids))
                                .order_by(col(table.id))))

        self.sessions = started
        self.plans = {p.id: p for p in tx.exec(select(m.DosePlan))}
        self.patients = {p.id: p for p in tx.exec(select(m.Patient))}
        self.checklists = [c for c in rows(m.ChecklistResponse) if c.kind == "pre_session"]
        self.sign_offs = rows(m.DoseSignOff)
        self.presences = rows(m.PresenceConfirmation)
        self.vitals = {v.id: v for v in tx.exec(select(m.VitalSigns).where(col(
            m.VitalSigns.id).in_([c.vitals_id for c in self.checklists])))}

    def problems(self) -> list[str]:
        found: list[str] = []
        by_patient: dict[int, list[m.DosingSession]] = {}
        for s in self.sessions:
            by_patient.setdefault(s.patient_id, []).append(s)
            found += [f"session {s.id}: {p}" for p in self.session_problems(s)]
        for sessions in by_patient.values():
            sessions.sort(key=lambda s: s.started_at or START)
            first = sessions[0]
            if (first.dose_mg or 0) > FIRST_SESSION_MAX:
                found.append(f"session {first.id}: first dose {first.dose_mg} mg > 150 mg")
            for before, after in pairwise(sessions):
                assert before.started_at and after.started_at
                if (after.dose_mg or 0) > (before.dose_mg or 0) + TITRATION_STEP:
                    found.append(f"session {after.id}: {after.dose_mg} mg after "
                                 f"{before.dose_mg} mg")
                if after.started_at - before.started_at < MIN_INTERVAL:
                    found.append(f"session {after.id}: started within 7 days of {before.id}")
                if before.ended_at is None or before.ended_at > after.started_at:
                    found.append(f"session {after.id}: started while {before.id} was in "
                                 "progress")
        return found

    def session_problems(self, s: m.DosingSession) -> list[str]:
        started = s.started_at
        assert started is not None
        plan, patient = self.plans.get(s.plan_id), self.patients[s.patient_id]
        if plan is None or s.dose_mg is None:
            return ["started without a plan or a dose"]
        used = sum(1 for o in self.sessions
                   if o.plan_id == plan.id and (o.started_at or started) <= started)
        problems = [why for bad, why in (
            (plan.patient_id != s.patient_id, "the plan is another patient's"),
            (plan.prescriber_id != patient.prescriber_id, "plan not by the pair's prescriber"),
            (plan.created_at > started or (plan.superseded_at is not None
                                            and plan.superseded_at < started),
             "the plan was not the active one"),
            (self.local_day(started) > plan.valid_until, "the plan had expired"),
            (used > plan.sessions_authorised, "more sessions than the plan authorised"),
            (not in_dose_range(s.dose_mg), f"{s.dose_mg} mg outside the policy range"),
            (s.dose_mg > plan.max_dose_mg, f"{s.dose_mg} mg above the plan's maximum"),
            (s.route != plan.route, "route differs from the plan"),
            (started < s.scheduled_at - EARLIEST_START, "started too early"),
            (s.administered_mg != (s.dose_mg if s.state != "in_progress" else None),
             "administered dose differs from the dose started"),
        ) if bad]
        c = self.latest(self.checklists, s.id, started)
        so = self.latest(self.sign_offs, s.id, started)
        pr = self.latest(self.presences, s.id, started)
        if c is None or so is None or pr is None:
            return [*problems, "started without checklist, sign-off and presence"]
        bp = self.vitals[c.vitals_id]
        problems += [why for bad, why in (
            (c.by_id != patient.therapist_id, "checklist not by the therapist"),
            (started - c.at > CHECKLIST_VALID, "checklist stale"),
            (not set(ALL_ITEMS) <= set(c.affirmed), "checklist incomplete"),
            (bp.systolic >= HOLD[0] or bp.diastolic >= HOLD[1], "pre-dose BP at hold level"),
            (so.by_id != patient.prescriber_id, "sign-off not by the prescriber"),
            (started - so.at > SIGN_OFF_VALID, "sign-off stale"),
            (so.checklist_id != c.id or so.at < c.at, "sign-off before the latest checklist"),
            (so.plan_id != plan.id, "sign-off under another plan"),
            (so.dose_mg != s.dose_mg, "dose started differs from the sign-off"),
            (pr.by_id != patient.therapist_id or not pr.in_room, "presence not by therapist"),
            (started - pr.at > PRESENCE_VALID, "presence stale"),
            (pr.dose_mg != s.dose_mg or pr.route != plan.route, "double check failed"),
            (so.by_id in (c.by_id, pr.by_id), "fewer than two different people"),
        ) if bad]
        return problems

    @staticmethod
    def latest(rows: list[Signed], session_id: int | None, started: datetime
               ) -> Signed | None:
        mine = [r for r in rows if r.session_id == session_id and r.at <= started]
        return mine[-1] if mine else None


# ---------------------------------------------------------------- the test

def _empty(db: Database, sqlite_template: Path | None) -> None:
    """A fresh database for each example: a copy of the migrated template, or TRUNCATE."""
    if sqlite_template is None:
        _truncate_all(db)
        return
    db.dispose()
    path = Path(str(db.url.database))
    for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copy(sqlite_template, path)


# CI replays the same examples every run, so whether work lands never rests on luck;
# a developer's runs explore new ones each time.
SETTINGS = settings(max_examples=20, stateful_step_count=40, deadline=None,
                    derandomize=bool(os.environ.get("CI")),
                    phases=[phase for phase in Phase if phase is not Phase.explain],
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def test_no_random_sequence_of_actions_starts_an_unsafe_session(
        request: pytest.FixtureRequest, db: Database, services: Services, clock: ManualClock,
        policy: Policy) -> None:
    template = request.getfixturevalue("sqlite_template") if db.is_sqlite else None

    def a_fresh_clinic() -> ClinicUnderRandomActions:
        _empty(db, template)
        clock.set(START)
        return ClinicUnderRandomActions(services, clock, policy)

    run_state_machine_as_test(a_fresh_clinic, settings=SETTINGS)  # type: ignore[arg-type]
