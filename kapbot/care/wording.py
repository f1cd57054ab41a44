"""How times and durations read to clinicians: short, in the clinic's timezone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def duration(delta: timedelta) -> str:
    """`2 h`, `15 min`, `1 h 30 min`, `7 days` — the units a clinician would say."""
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0 and minutes >= 24 * 60:
        days = minutes // (24 * 60)
        return f"{days} day" if days == 1 else f"{days} days"
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def local(instant: datetime, tz: ZoneInfo) -> str:
    """An instant as the clinic reads it: `2026-11-25 14:30`."""
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")
