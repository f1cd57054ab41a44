"""Scripted outages of the Web API: the failures kapbot's delivery worker must survive.

Faults wait in a queue and are used up, in order, by the calls they match, so a test
says exactly which calls fail ("the next two chat.postMessage calls") rather than
relying on timing.
"""

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum


class FaultKind(StrEnum):
    SERVER_ERROR = "server_error"
    """Answer with an HTTP 5xx; nothing is stored."""
    RATE_LIMITED = "rate_limited"
    """Answer 429 with Retry-After; nothing is stored."""
    HANG = "hang"
    """Say nothing for a while, then close the connection; nothing is stored (a timeout)."""
    DROP_AFTER_ACCEPT = "drop_after_accept"
    """Do the work, then close the connection unanswered: stored, yet the caller sees an
    error. The ambiguous failure that makes at-least-once delivery post twice."""


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    method: str | None
    """The Web API method it applies to ("response_url" for response URLs); None: any."""
    times: int = 1
    status: int = 500
    retry_after: int = 1
    seconds: float = 0.0


class FaultPlan:
    """The queue of faults still to happen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def _add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("a fault must happen at least once")
        with self._lock:
            self._queue.append(fault)

    def server_error(self, *, times: int = 1, method: str | None = None,
                     status: int = 500) -> None:
        self._add(Fault(FaultKind.SERVER_ERROR, method, times, status=status))

    def rate_limited(self, *, retry_after: int = 1, times: int = 1,
                     method: str | None = None) -> None:
        self._add(Fault(FaultKind.RATE_LIMITED, method, times, retry_after=retry_after))

    def hang(self, seconds: float, *, times: int = 1, method: str | None = None) -> None:
        self._add(Fault(FaultKind.HANG, method, times, seconds=seconds))

    def drop_after_accept(self, *, times: int = 1, method: str | None = None) -> None:
        self._add(Fault(FaultKind.DROP_AFTER_ACCEPT, method, times))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._queue)

    def take(self, method: str) -> Fault | None:
        """The first queued fault matching this call, used up by it."""
        with self._lock:
            for index, fault in enumerate(self._queue):
                if fault.method is None or fault.method == method:
                    if fault.times == 1:
                        del self._queue[index]
                    else:
                        self._queue[index] = replace(fault, times=fault.times - 1)
                    return replace(fault, times=1)
            return None


class ChannelRateLimit:
    """Slack's limit of about one chat.postMessage per second in each channel.

    Time comes from the emulator's clock, so a manual clock must be advanced for the
    limit to lift.
    """

    def __init__(self, per_second: float, clock: Callable[[], float]) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._last_post: dict[str, float] = {}

    def admit(self, channel_id: str) -> int | None:
        """None when a post may go now (and counts it); otherwise Retry-After seconds."""
        with self._lock:
            now = self._clock()
            last = self._last_post.get(channel_id)
            if last is not None and now - last < self.interval:
                return max(1, math.ceil(self.interval - (now - last)))
            self._last_post[channel_id] = now
            return None
