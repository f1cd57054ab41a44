"""The clinic's protocol as one validated, typed, immutable object.

Every clinical number kapbot enforces lives here, loaded from a TOML file the clinic's
medical director owns. A wrong file must stop kapbot at load time with a message that
names the key, because a silently defaulted limit is a clinical risk.
"""

import re
import tomllib
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

Route = Literal["sublingual", "buccal", "oral"]
Formulation = Literal["rdt", "troche"]
PositiveInt = Annotated[StrictInt, Field(gt=0)]
Count = Annotated[StrictInt, Field(ge=0)]
Identifier = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the key and the reason."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Medication(_Section):
    formulations: tuple[Formulation, ...] = Field(min_length=1)
    routes: tuple[Route, ...] = Field(min_length=1)


class Dose(_Section):
    min_mg: PositiveInt
    max_mg: PositiveInt
    first_session_max_mg: PositiveInt
    titration_step_mg: PositiveInt
    min_days_between_sessions: Count

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_mg > self.max_mg:
            raise ValueError(f"min_mg ({self.min_mg}) is greater than max_mg ({self.max_mg})")
        if not self.min_mg <= self.first_session_max_mg <= self.max_mg:
            raise ValueError("first_session_max_mg must lie between min_mg and max_mg")
        return self


class BloodPressure(_Section):
    hold_systolic: PositiveInt
    hold_diastolic: PositiveInt
    caution_systolic: PositiveInt
    caution_diastolic: PositiveInt

    @model_validator(mode="after")
    def _caution_below_hold(self) -> Self:
        if self.caution_systolic >= self.hold_systolic:
            raise ValueError("caution_systolic must be below hold_systolic")
        if self.caution_diastolic >= self.hold_diastolic:
            raise ValueError("caution_diastolic must be below hold_diastolic")
        return self


class Vitals(_Section):
    spo2_flag_below: Annotated[StrictInt, Field(ge=50, le=100)]


class Fasting(_Section):
    food_hours: Count
    liquids_minutes: Count


class Windows(_Section):
    checklist_valid_minutes: PositiveInt
    dose_signoff_valid_minutes: PositiveInt
    presence_valid_minutes: PositiveInt
    earliest_start_minutes: Count


class SessionTiming(_Section):
    check_in_interval_minutes: PositiveInt
    check_in_grace_minutes: Count
    vitals_reminder_minutes: PositiveInt
    min_monitoring_minutes: PositiveInt


class Summary(_Section):
    reminder_hours: PositiveInt
    overdue_days: PositiveInt


class Reminders(_Section):
    """When kapbot chases people. Times count back from the scheduled instant, in UTC, so a
    daylight-saving change neither skips nor doubles one. Older policy files without this
    section get PROTOCOL.md's defaults."""

    checklist_hours_before: tuple[PositiveInt, ...] = (24, 2)
    sign_off_hours_before: tuple[PositiveInt, ...] = (2,)
    overdue_minutes: PositiveInt = 60
    escalation_repeat_minutes: PositiveInt = 5


class Item(_Section):
    """One box to tick on a checklist."""

    id: Identifier
    text: Annotated[StrictStr, Field(min_length=1, max_length=150)]


class FollowUpRule(_Section):
    kind: Identifier
    label: Annotated[StrictStr, Field(min_length=1, max_length=60)]
    due_days: Count
    window_days: PositiveInt


def _unique_ids(items: tuple[Item, ...] | tuple[FollowUpRule, ...], what: str) -> None:
    ids = [getattr(i, "id", None) or getattr(i, "kind", None) for i in items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"{what} repeats {', '.join(duplicates)}")


class Policy(_Section):
    """The whole protocol. Durations are exposed as `timedelta` properties for the rules."""

    timezone: StrictStr
    escalation_channel: Annotated[StrictStr, Field(min_length=1, max_length=80)]
    patient_code_pattern: StrictStr
    medication: Medication
    dose: Dose
    blood_pressure: BloodPressure
    vitals: Vitals
    fasting: Fasting
    windows: Windows
    session: SessionTiming
    summary: Summary
    reminders: Reminders = Reminders()
    # Slack shows at most 10 boxes in one group, so a checklist holds at most 10 items.
    checklist: tuple[Item, ...] = Field(min_length=1, max_length=10)
    discharge: tuple[Item, ...] = Field(min_length=1, max_length=10)
    follow_ups: tuple[FollowUpRule, ...]

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name such as "
                             "'America/New_York')") from None
        return value

    @field_validator("patient_code_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @field_validator("checklist", "discharge", "follow_ups")
    @classmethod
    def _distinct_ids(cls, value: tuple[Item | FollowUpRule, ...]) -> tuple:
        ids = [i.id if isinstance(i, Item) else i.kind for i in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"repeats {', '.join(repeated)}")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def checklist_valid(self) -> timedelta:
        return timedelta(minutes=self.windows.checklist_valid_minutes)

    @property
    def dose_signoff_valid(self) -> timedelta:
        return timedelta(minutes=self.windows.dose_signoff_valid_minutes)

    @property
    def presence_valid(self) -> timedelta:
        return timedelta(minutes=self.windows.presence_valid_minutes)

    @property
    def earliest_start(self) -> timedelta:
        return timedelta(minutes=self.windows.earliest_start_minutes)

    @property
    def min_monitoring(self) -> timedelta:
        return timedelta(minutes=self.session.min_monitoring_minutes)

    @property
    def check_in_interval(self) -> timedelta:
        return timedelta(minutes=self.session.check_in_interval_minutes)

    @property
    def check_in_grace(self) -> timedelta:
        return timedelta(minutes=self.session.check_in_grace_minutes)

    @property
    def min_interval(self) -> timedelta:
        return timedelta(days=self.dose.min_days_between_sessions)

    def code_is_valid(self, code: str) -> bool:
        return re.fullmatch(self.patient_code_pattern, code) is not None


def _describe(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = "unknown key"
        elif e["type"] == "missing":
            message = "required key is missing"
        elif e["type"] == "literal_error":
            message = f"{e['input']!r} is not allowed; {message[0].lower()}{message[1:]}"
        parts.append(f"{key}: {message}")
    return "; ".join(parts)


def parse_policy(text: str, source: str = "policy") -> Policy:
    """Parse and validate policy TOML text; raise `PolicyError` naming every bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"{source}: {_describe(exc)}") from None


def load_policy(path: Path | None = None) -> Policy:
    """Load the clinic's policy file, or the packaged default when no path is given."""
    if path is None:
        text = resources.files("kapbot").joinpath("default_policy.toml").read_text("utf-8")
        return parse_policy(text, "default policy")
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not a text file (expected UTF-8 TOML)") from None
    return parse_policy(text, str(path))
