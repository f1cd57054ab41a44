"""Who may do what: the actor is always checked against this patient's care pair.

Slack tells us who clicked; the roster and the care pair decide whether that person may
act. A therapist of another patient, an inactive clinician or a stranger is refused.
"""

from kapbot.care.values import Actor, CarePair, Role


def on_roster(actor: Actor) -> str | None:
    if actor.clinician_id is None or not actor.active:
        return "You are not an active clinician on kapbot's roster."
    return None


def admin(actor: Actor, doing: str) -> str | None:
    if not actor.is_admin:
        return f"Only an administrator may {doing}."
    return None


def prescriber_of(actor: Actor, pair: CarePair, doing: str) -> str | None:
    if (reason := on_roster(actor)) is not None:
        return reason
    if actor.clinician_id != pair.prescriber_id or not actor.holds(Role.PRESCRIBER):
        return f"Only {pair.code}'s prescriber may {doing}."
    return None


def therapist_of(actor: Actor, pair: CarePair, doing: str) -> str | None:
    if (reason := on_roster(actor)) is not None:
        return reason
    if actor.clinician_id != pair.therapist_id or not actor.holds(Role.THERAPIST):
        return f"Only {pair.code}'s therapist may {doing}."
    return None


def pair_member(actor: Actor, pair: CarePair, doing: str) -> str | None:
    if (reason := on_roster(actor)) is not None:
        return reason
    if actor.clinician_id == pair.prescriber_id and actor.holds(Role.PRESCRIBER):
        return None
    if actor.clinician_id == pair.therapist_id and actor.holds(Role.THERAPIST):
        return None
    return f"Only {pair.code}'s prescriber or therapist may {doing}."
