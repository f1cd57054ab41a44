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

THERAPISTS, SESSIONS_EACH = 100, 10  # each therapist's DM gets 10, at Slack's 1 a second
SESSIONS = THERAPISTS * SESSIONS_EACH


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
    start = kapbot.now() + timedelta(hours=25)
    therapists = [f"UTHER{n:04d}" for n in range(THERAPISTS)]
    for n, therapist in enumerate(therapists):
        kapbot.slack.workspace.add_user(f"therapist{n}", user_id=therapist)
        assert services.add_clinician("UADMIN", therapist, ["therapist"]).ok
        code = f"KAP-{n + 1000:04d}"
        assert services.add_patient("UADMIN", code, "UPRESCRIB", therapist).ok
        assert services.post_plan("UPRESCRIB", code, plan_form(valid_until=valid_until)).ok
        for number in range(SESSIONS_EACH):
            assert services.schedule_session(therapist, code, start + timedelta(
                seconds=n * SESSIONS_EACH + number)).ok
    kapbot.settled(seconds=240)
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
    for n in (0, THERAPISTS // 2, THERAPISTS - 1):
        assert len(dm(kapbot, f"therapist{n}", "pre-session checklist is not done")) == (
            SESSIONS_EACH)
    assert_each_once(kapbot)
    services.db.dispose()
