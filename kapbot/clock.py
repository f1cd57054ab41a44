"""Where "now" comes from. Injected everywhere so tests and the demo can move time."""

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests, benchmarks and the scripted demo."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


class FileOffsetClock:
    """System time plus an offset in seconds read from a file: lets tests (and a rehearsal)
    move a real `kapbot run` process through a two-hour session in seconds.

    Set only through `KAPBOT_CLOCK_OFFSET_FILE`; never in a clinic.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._seen: tuple[float, float] = (-1.0, 0.0)  # (file mtime, offset)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset())

    def _offset(self) -> float:
        try:
            mtime = os.stat(self._path).st_mtime
            if mtime != self._seen[0]:
                with open(self._path, encoding="ascii") as f:
                    self._seen = (mtime, float(f.read().strip() or 0))
        except (OSError, ValueError):
            return self._seen[1]
        return self._seen[1]
