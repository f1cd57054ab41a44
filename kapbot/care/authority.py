"""Who may do what: the actor is always checked against this patient's care pair.

Slack tells us who clicked; the roster and the care pair decide whether that person may
act. A therapist of another patient, an inactive clinician or a stranger is refused.
"""

from kapbot.care.values import Actor, CarePair, Role

BOTH = (Role.PRESCRIBER, Role.THERAPIST)


def on_roster(actor: Actor) -> str | None:
    if actor.clinician_id is None or not actor.active:
        return "You are not an active clinician on kapbot's roster."
    return None


def admin(actor: Actor, doing: str) -> str | None:
    if not actor.is_admin:
        return f"Only an administrator may {doing}."
    return None


def _seat(pair: CarePair, role: Role) -> int:
    return pair.prescriber_id if role is Role.PRESCRIBER else pair.therapist_id


def of_pair(actor: Actor, pair: CarePair, doing: str, roles: tuple[Role, ...] = BOTH
            ) -> str | None:
    """The actor holds one of these seats of the pair, and still holds that role."""
    if (reason := on_roster(actor)) is not None:
        return reason
    if any(actor.clinician_id == _seat(pair, role) and actor.holds(role) for role in roles):
        return None
    return f"Only {pair.code}'s {' or '.join(r.value for r in roles)} may {doing}."


def prescriber_of(actor: Actor, pair: CarePair, doing: str) -> str | None:
    return of_pair(actor, pair, doing, (Role.PRESCRIBER,))


def therapist_of(actor: Actor, pair: CarePair, doing: str) -> str | None:
    return of_pair(actor, pair, doing, (Role.THERAPIST,))
