"""Reading vital signs against the clinic's hold and caution limits."""

from kapbot.care.values import Vitals
from kapbot.policy import Policy


def hold_reason(v: Vitals, policy: Policy, when: str = "Pre-dose") -> str | None:
    """A reading that blocks dosing: at or above either hold limit."""
    bp = policy.blood_pressure
    if v.systolic >= bp.hold_systolic or v.diastolic >= bp.hold_diastolic:
        return (f"{when} BP {v.systolic}/{v.diastolic} is at or above the hold limit "
                f"({bp.hold_systolic}/{bp.hold_diastolic}).")
    return None


def cautions(v: Vitals, policy: Policy, when: str = "Pre-dose") -> list[str]:
    """Readings to flag in words without blocking anything."""
    bp = policy.blood_pressure
    found = []
    if hold_reason(v, policy) is None and (
            v.systolic > bp.caution_systolic or v.diastolic > bp.caution_diastolic):
        found.append(f"Caution: {when.lower()} BP {v.systolic}/{v.diastolic} is above "
                     f"{bp.caution_systolic}/{bp.caution_diastolic}.")
    if v.spo2 < policy.vitals.spo2_flag_below:
        found.append(f"Caution: SpO2 {v.spo2}% is below {policy.vitals.spo2_flag_below}% "
                     "(possible respiratory depression).")
    return found
