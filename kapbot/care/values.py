"""Small immutable values the rules decide over, and the decision they return."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    PRESCRIBER = "prescriber"
    THERAPIST = "therapist"
    ADMIN = "admin"


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ABORTED = "aborted"


class Severity(StrEnum):
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"

    @property
    def flagged(self) -> bool:
        """Moderate and severe events go to the top of the prescriber's summary."""
        return self in (Severity.MODERATE, Severity.SEVERE)


class FollowUpState(StrEnum):
    OPEN = "open"
    DONE = "done"
    MISSED = "missed"


ROUTE_LABELS = {"sublingual": "Sublingual", "buccal": "Buccal", "oral": "Oral"}
FORMULATION_LABELS = {"rdt": "RDT", "troche": "Troche"}


@dataclass(frozen=True)
class Actor:
    """Whoever pressed the button, as the roster knows them right now."""

    slack_user_id: str
    clinician_id: int | None = None
    roles: frozenset[Role] = frozenset()
    active: bool = False
    bootstrap_admin: bool = False

    @property
    def is_admin(self) -> bool:
        return self.bootstrap_admin or (self.active and Role.ADMIN in self.roles)

    def holds(self, role: Role) -> bool:
        return self.active and role in self.roles


@dataclass(frozen=True)
class CarePair:
    patient_id: int
    code: str
    prescriber_id: int
    therapist_id: int


@dataclass(frozen=True)
class Vitals:
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int


@dataclass(frozen=True)
class Plan:
    id: int
    version: int
    prescriber_id: int
    formulation: str
    route: str
    dose_mg: int
    max_dose_mg: int
    sessions_authorised: int
    sessions_used: int
    valid_until: date


@dataclass(frozen=True)
class Checklist:
    id: int
    by: int
    at: datetime
    affirmed: frozenset[str]
    vitals: Vitals


@dataclass(frozen=True)
class DoseSignOff:
    id: int
    by: int
    at: datetime
    dose_mg: int
    plan_id: int
    checklist_id: int


@dataclass(frozen=True)
class Presence:
    id: int
    by: int
    at: datetime
    in_room: bool
    dose_mg: int
    route: str


@dataclass(frozen=True)
class PriorDose:
    """The most recent dose this patient took in a session (started, whatever its end)."""

    dose_mg: int
    at: datetime


@dataclass(frozen=True)
class SessionHead:
    """Whose a session is and where it stands: all that watching a session in progress
    needs, since its gate was passed when it started."""

    id: int
    pair: CarePair
    state: SessionState


@dataclass(frozen=True)
class SessionSnapshot:
    """Everything the gate needs about one session, read in one transaction."""

    id: int
    pair: CarePair
    state: SessionState
    scheduled_at: datetime
    started_at: datetime | None = None
    plan: Plan | None = None  # the patient's active (latest, unsuperseded) plan
    checklist: Checklist | None = None
    sign_off: DoseSignOff | None = None
    presence: Presence | None = None
    prior_dose: PriorDose | None = None
    another_in_progress: bool = False


@dataclass(frozen=True)
class Decision:
    """A rule's answer: refused when there is any reason; warnings never refuse."""

    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def refused(self) -> bool:
        return bool(self.reasons)

    @classmethod
    def of(cls, reasons: Iterable[str | None], warnings: Iterable[str | None] = ()) -> "Decision":
        return cls(tuple(r for r in reasons if r), tuple(w for w in warnings if w))
