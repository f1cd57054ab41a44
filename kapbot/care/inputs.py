"""Turning what a person typed into checked numbers and dates, with reasons they can act on.

Slack modals and the CLI hand over text; the rules want integers in plausible ranges.
Every parser returns the value or a sentence naming the field, so a form with several
mistakes is answered with all of them at once.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kapbot.care.values import Vitals

Parsed = tuple[int | None, str | None]
_WHOLE = re.compile(r"-?[0-9]{1,9}")  # ASCII digits only: '²' and '--5' are not numbers


def _integer(raw: object, label: str) -> Parsed:
    if isinstance(raw, bool) or raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, f"{label} is required."
    if isinstance(raw, int):
        return raw, None
    text = str(raw).strip()
    if not _WHOLE.fullmatch(text):
        return None, f"{label} must be a whole number, not {text[:20]!r}."
    return int(text), None


def whole_number(raw: object, label: str, low: int, high: int, unit: str = "") -> Parsed:
    """A whole number between `low` and `high` inclusive, or the reason it is not."""
    value, reason = _integer(raw, label)
    if value is None:
        return None, reason
    if not low <= value <= high:
        suffix = f" {unit}" if unit else ""
        return None, f"{label} must be between {low} and {high}{suffix} (got {value}{suffix})."
    return value, None


def positive_mg(raw: object, label: str) -> Parsed:
    """A dose in milligrams, more than zero; the policy's limits are checked by the rules."""
    value, reason = _integer(raw, label)
    if value is not None and value <= 0:
        return None, f"{label} must be more than 0 mg (got {value} mg)."
    return value, reason


# Plausibility, not clinical limits: a value outside these is a typing mistake, not a reading.
_VITAL_RANGES = {
    "systolic": ("Systolic BP", 60, 260, "mmHg"),
    "diastolic": ("Diastolic BP", 30, 160, "mmHg"),
    "heart_rate": ("Heart rate", 30, 220, "bpm"),
    "spo2": ("SpO2", 50, 100, "%"),
}


def vitals(systolic: object, diastolic: object, heart_rate: object, spo2: object
           ) -> tuple[Vitals | None, list[str]]:
    raw = {"systolic": systolic, "diastolic": diastolic, "heart_rate": heart_rate, "spo2": spo2}
    values: dict[str, int] = {}
    reasons: list[str] = []
    for key, (label, low, high, unit) in _VITAL_RANGES.items():
        value, reason = whole_number(raw[key], label, low, high, unit)
        if reason:
            reasons.append(reason)
        elif value is not None:
            values[key] = value
    if not reasons and values["systolic"] <= values["diastolic"]:
        reasons.append("Systolic BP must be higher than diastolic BP.")
    if reasons:
        return None, reasons
    return Vitals(**values), []


def optional_score(raw: object, label: str, high: int) -> Parsed:
    """An optional questionnaire total such as PHQ-9 (0–27); blank means not taken."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    return whole_number(raw, label, 0, high)


def day(raw: object, label: str) -> tuple[date | None, str | None]:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw, None
    try:
        return date.fromisoformat(str(raw).strip()), None
    except ValueError:
        return None, f"{label} must be a date written YYYY-MM-DD, not {str(raw)[:20]!r}."


def local_time(raw: str, tz: ZoneInfo) -> tuple[datetime | None, str | None]:
    """`YYYY-MM-DD HH:MM` in the clinic's timezone, as an aware instant."""
    try:
        naive = datetime.strptime(raw.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        return None, f"Time must be written YYYY-MM-DD HH:MM, not {raw[:30]!r}."
    return naive.replace(tzinfo=tz), None


def free_text(raw: object, label: str, limit: int = 3000, required: bool = False
              ) -> tuple[str | None, str | None]:
    """Clinical free text: length-limited and stored, never logged."""
    text = "" if raw is None else str(raw).strip()
    if required and not text:
        return None, f"{label} is required."
    if len(text) > limit:
        return None, f"{label} is longer than {limit} characters."
    return text, None
