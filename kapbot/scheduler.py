"""The timer worker: fires due rows of the task table. The table is the truth.

APScheduler 3 is only this process's alarm clock: one interval job that polls the
table, brought forward when the next task falls due sooner than the next poll. Its own
job store holds nothing that matters, so replicas never share it (APScheduler's FAQ
warns against that); they share the table, and claims under a lease decide who fires.
"""

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from kapbot.services import Services
from kapbot.store import tasks

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a task whose effect fails this often is given up, and audited
JOB_ID = "kapbot-timer"


class Timer:
    """Claims due tasks in batches and fires each through the services."""

    def __init__(self, services: Services, worker: str, poll_seconds: float = 2.0,
                 lease: timedelta = timedelta(seconds=60), batch: int = 50) -> None:
        self.services, self.worker, self.poll = services, worker, poll_seconds
        self.lease, self.batch = lease, batch
        self._scheduler: BackgroundScheduler | None = None

    def run_once(self) -> int:
        """Fire everything due now; return how many tasks had their effect here."""
        fired = 0
        while True:
            claimed = tasks.claim(self.services.db, self.services.clock.now(), self.worker,
                                  self.lease, self.batch)
            fired += sum(self._fire(task) for task in claimed)
            if len(claimed) < self.batch:
                return fired

    def _fire(self, task: tasks.Claimed) -> int:
        try:
            return int(self.services.fire(task, self.worker))
        except Exception:  # the task stays claimed; its lease ends and it is tried again
            log.exception("timer task %s (%s) failed on attempt %s", task.id, task.kind,
                          task.attempts)
            if task.attempts >= MAX_ATTEMPTS:
                self.services.give_up(task, self.worker)
            return 0

    def start(self) -> None:
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.add_job(self._tick, IntervalTrigger(seconds=self.poll), id=JOB_ID,
                                max_instances=1, coalesce=True,
                                next_run_time=datetime.now(UTC))
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def _tick(self) -> None:
        try:
            self.run_once()
            self._wake_for_next()
        except Exception:  # the database may be briefly unreachable: the next poll retries
            log.exception("timer round failed")

    def _wake_for_next(self) -> None:
        """Run again when the earliest pending task falls due, if that is before the poll."""
        due = tasks.next_due(self.services.db)
        if due is None or self._scheduler is None:
            return
        delay = max(due - self.services.clock.now(), timedelta(0))
        if delay.total_seconds() < self.poll:
            self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC) + delay)
