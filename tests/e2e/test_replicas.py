"""Two `kapbot run` replicas on one PostgreSQL database, a thousand reminders due at once.

Each fires once and each message reaches Slack once: the task claims (`FOR UPDATE SKIP
LOCKED`, under a lease) and the closing compare-and-set decide who does what. SQLite is
a single-host database, so this runs on PostgreSQL alone.
"""

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import col, select

from kapbot.care.timeline import TimerKind
from kapbot.clock import FileOffsetClock
from kapbot.policy import load_policy
from kapbot.services import Services
from kapbot.store.db import Database
from kapbot.store.models import TimedTask
from tests.clinic import plan_form
from tests.conftest import DATABASES, _truncate_all
from tests.e2e.conftest import Running
from tests.e2e.test_durable_time import assert_each_once, dm
from tests.e2e.test_pathway import set_up_pair

SESSIONS = 1000


@pytest.fixture(params=[d for d in DATABASES if d == "postgresql"])
def db(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    _truncate_all(database)
    yield database
    database.dispose()


def test_two_replicas_fire_a_thousand_due_reminders_once_each(kapbot: Running) -> None:
    set_up_pair(kapbot)
    services = Services(Database(kapbot.database_url), load_policy(),
                        FileOffsetClock(str(kapbot.clock_file)), frozenset({"UADMIN"}))
    valid_until = (kapbot.now() + timedelta(days=90)).date().isoformat()
    assert services.post_plan("UPRESCRIB", "KAP-0042", plan_form(valid_until=valid_until)).ok
    start = kapbot.now() + timedelta(hours=25)
    for number in range(SESSIONS):
        assert services.schedule_session("UTHERAPST", "KAP-0042",
                                         start + timedelta(seconds=number)).ok
    kapbot.settled(seconds=120)
    kapbot.replica()

    kapbot.advance(61 + SESSIONS / 60)  # every 24-hour reminder is now due
    kapbot.settled(seconds=240)

    with services.db.reading() as tx:
        fired = tx.exec(select(TimedTask.claimed_by).where(
            TimedTask.kind == TimerKind.CHECKLIST_REMINDER.value,
            col(TimedTask.state) == "done")).all()
    assert len(fired) == SESSIONS
    by_replica = Counter(fired)
    assert len(by_replica) == 2, by_replica  # both replicas did part of the work
    assert len(dm(kapbot, "lee", "pre-session checklist is not done")) == SESSIONS
    assert_each_once(kapbot)
    services.db.dispose()
