"""One fixture, two databases: every store, service and gate test runs on SQLite and PostgreSQL.

PostgreSQL comes from KAPBOT_TEST_POSTGRES_URL (default: the local server, user
`postgres`); each run creates a database of its own, named after that one. If the
server cannot be reached the PostgreSQL half of the suite fails loudly; it never skips.
KAPBOT_TEST_DATABASES=sqlite narrows a local run on purpose.
"""

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from kapbot.clock import ManualClock
from kapbot.policy import Policy, load_policy
from kapbot.services import Services
from kapbot.store import migrate
from kapbot.store.db import Database, normalise_url
from kapbot.store.models import metadata
from tests.clinic import Clinic

POSTGRES_URL = os.environ.get("KAPBOT_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/kapbot_test")
DATABASES = [d.strip() for d in os.environ.get("KAPBOT_TEST_DATABASES",
                                               "sqlite,postgresql").split(",") if d.strip()]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _admin_engine(url: str) -> Engine:
    return create_engine(normalise_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this run's own, dropped at the end.

    Named after the configured one plus the process id, so two test runs on one server
    (a developer's and CI's, or parallel workers) never wipe each other's tables.
    """
    base = normalise_url(POSTGRES_URL)
    url = base.set(database=f"{base.database}_{os.getpid()}")
    shown = url.render_as_string(hide_password=True)
    try:
        admin = _admin_engine(POSTGRES_URL)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        db = Database(url.render_as_string(hide_password=False))
        migrate.upgrade(db)
        db.dispose()
    except Exception as exc:  # any failure here must fail the run, loudly
        pytest.fail(f"PostgreSQL at {shown} is not usable ({exc.__class__.__name__}: "
                    f"{str(exc).strip().splitlines()[0]}). Start it, set "
                    "KAPBOT_TEST_POSTGRES_URL, or run with KAPBOT_TEST_DATABASES=sqlite on "
                    "purpose.", pytrace=False)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "kapbot.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()
    return path


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=DATABASES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "kapbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("postgres_url"))
        _truncate_all(database)
    yield database
    database.dispose()


@pytest.fixture
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def services(db: Database, policy: Policy, clock: ManualClock) -> Services:
    return Services(db, policy, clock, admins=frozenset({"UADMIN"}))


@pytest.fixture
def clinic(services: Services, clock: ManualClock) -> Clinic:
    return Clinic.open(services, clock)


URL_SECRET = "hunter2-never-printed"  # a password no output may ever show


@pytest.fixture(params=DATABASES)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has run `kapbot db upgrade` on yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'clinic.db'}"
        return
    # Named after this run's own database (which fails loudly if PostgreSQL is not there).
    base = normalise_url(request.getfixturevalue("postgres_url"))
    name = f"{base.database}_cli"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name, password=base.password or URL_SECRET)  # trust auth ignores it
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
