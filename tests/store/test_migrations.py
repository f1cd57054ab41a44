"""The schema: what the migrations build, how kapbot meets a database at start, and time.

kapbot never runs on a schema it does not know. These tests run on SQLite and PostgreSQL;
the ones that need an empty database get their own (a scratch PostgreSQL database,
created and dropped here, so the shared test database is never left half-migrated).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import StatementError
from sqlmodel import select

from kapbot.store import migrate
from kapbot.store import models as m
from kapbot.store.db import Database, normalise_url
from kapbot.store.models import metadata
from tests.clinic import CODE, THERAPIST, Clinic
from tests.conftest import DATABASES

FUTURE_REVISION = "0099_from_a_newer_kapbot"


@pytest.fixture(params=DATABASES)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all, as a clinic has before its first `kapbot db upgrade`."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield database
        database.dispose()
        return
    # Named after this run's own database (which fails loudly if PostgreSQL is not there).
    base = normalise_url(request.getfixturevalue("postgres_url"))
    name = f"{base.database}_migrations"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    database = Database(base.set(database=name).render_as_string(hide_password=False))
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _stamp(db: Database, revision: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


# --- what the migrations build -------------------------------------------------------------


def test_the_migrations_build_exactly_the_models_schema(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "compare_server_default": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_test_database_is_at_the_newest_migration(db: Database) -> None:
    found = migrate.status(db)
    assert found.current == migrate.head()
    assert found.up_to_date


# --- how kapbot meets a database at start ----------------------------------------------------


def test_a_new_clinic_database_is_built_at_start(empty_database: Database) -> None:
    before = migrate.status(empty_database)
    assert before.current is None
    assert not before.up_to_date

    after = migrate.ensure_schema(empty_database)

    assert after.up_to_date
    assert after.current == migrate.head()
    assert {t.name for t in metadata.sorted_tables} <= _tables(empty_database)
    assert migrate.status(empty_database).up_to_date


def test_a_current_database_is_left_alone_at_start(db: Database,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def no_upgrade_expected(_db: Database) -> migrate.SchemaStatus:
        raise AssertionError("ensure_schema upgraded a database that was already current")

    monkeypatch.setattr(migrate, "upgrade", no_upgrade_expected)

    assert migrate.ensure_schema(db).up_to_date
    assert migrate.ensure_schema(db, allow_upgrade=False).up_to_date
    assert migrate.status(db).current == migrate.head()


def test_upgrading_twice_changes_nothing(empty_database: Database) -> None:
    first = migrate.upgrade(empty_database)
    tables = _tables(empty_database)

    second = migrate.upgrade(empty_database)

    assert first == second
    assert second.up_to_date
    assert _tables(empty_database) == tables


def test_an_old_database_is_refused_when_upgrades_are_not_allowed(
        empty_database: Database) -> None:
    with pytest.raises(migrate.SchemaError) as refusal:
        migrate.ensure_schema(empty_database, allow_upgrade=False)

    message = str(refusal.value)
    assert "`kapbot db upgrade`" in message
    assert "none" in message
    assert migrate.head() in message
    assert _tables(empty_database) == set(), "a refused start must not touch the schema"


def test_a_database_written_by_a_newer_kapbot_is_refused(empty_database: Database) -> None:
    migrate.upgrade(empty_database)
    _stamp(empty_database, FUTURE_REVISION)

    for allow_upgrade in (True, False):
        with pytest.raises(migrate.SchemaError) as refusal:
            migrate.ensure_schema(empty_database, allow_upgrade=allow_upgrade)
        message = str(refusal.value)
        assert FUTURE_REVISION in message
        assert "newer kapbot" in message
        assert "does not know" in message

    assert migrate.status(empty_database).current == FUTURE_REVISION, \
        "a refused start must leave the newer kapbot's stamp alone"


def test_a_newer_database_is_reported_as_not_up_to_date(empty_database: Database) -> None:
    migrate.upgrade(empty_database)
    _stamp(empty_database, FUTURE_REVISION)

    found = migrate.status(empty_database)

    assert found.current == FUTURE_REVISION
    assert found.head == migrate.head()
    assert not found.up_to_date


# --- time ----------------------------------------------------------------------------------


def test_times_come_back_timezone_aware_in_utc(db: Database) -> None:
    new_york = datetime(2026, 3, 2, 4, 5, 6, 789012, tzinfo=ZoneInfo("America/New_York"))
    kolkata = datetime(2026, 3, 2, 14, 35, 6, 789012, tzinfo=timezone(timedelta(hours=5,
                                                                                minutes=30)))
    with db.transaction() as tx:
        tx.add(m.Clinician(slack_user_id="UNEWYORK1", created_at=new_york))
        tx.add(m.Clinician(slack_user_id="UKOLKATA1", created_at=kolkata))

    with db.reading() as tx:
        rows = {c.slack_user_id: c.created_at for c in tx.exec(select(m.Clinician))}

    for stored, given in ((rows["UNEWYORK1"], new_york), (rows["UKOLKATA1"], kolkata)):
        assert stored.tzinfo is UTC
        assert stored == given  # the same instant, to the microsecond
        assert stored == datetime(2026, 3, 2, 9, 5, 6, 789012, tzinfo=UTC)


def test_session_times_set_by_the_services_come_back_in_utc(clinic: Clinic, db: Database) -> None:
    clinic.post_plan()
    session_id = clinic.schedule()
    clinic.prepare(session_id)
    assert clinic.start(session_id).ok

    with db.reading() as tx:
        session = tx.get(m.DosingSession, session_id)
        entries = tx.exec(select(m.AuditEntry)).all()
    assert session is not None and session.started_at is not None
    for instant in (session.scheduled_at, session.created_at, session.started_at,
                    *(e.at for e in entries)):
        assert instant.tzinfo is UTC
    assert session.started_at == clinic.clock.now()


def test_the_stored_instant_does_not_depend_on_the_readers_zone(db: Database) -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with db.transaction() as tx:
        tx.add(m.Clinician(slack_user_id="UZONES01", created_at=at))

    with db.transaction() as tx:
        if db.is_sqlite:  # no zones in SQLite: the column holds UTC wall-clock time
            raw = tx.connection().exec_driver_sql(
                "SELECT created_at FROM clinician WHERE slack_user_id = 'UZONES01'").scalar_one()
            assert str(raw).startswith("2026-03-02 09:00:00")
        else:  # a PostgreSQL session in another zone reads the same instant
            tx.connection().exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Tokyo'")
        row = tx.exec(select(m.Clinician).where(m.Clinician.slack_user_id == "UZONES01")).one()
        assert row.created_at.tzinfo is UTC
        assert row.created_at == at


def test_a_naive_time_is_refused_by_the_database_layer(db: Database) -> None:
    with pytest.raises(StatementError) as refusal, db.transaction() as tx:
        tx.add(m.Clinician(slack_user_id="UNAIVE01", created_at=datetime(2026, 3, 2, 9, 0)))
        tx.flush()

    assert isinstance(refusal.value.orig, ValueError)
    assert "naive datetime" in str(refusal.value.orig)
    with db.reading() as tx:
        assert tx.exec(select(m.Clinician).where(m.Clinician.slack_user_id == "UNAIVE01")
                       ).first() is None


def test_a_session_time_without_a_zone_is_refused_by_the_therapist_form(clinic: Clinic,
                                                                        db: Database) -> None:
    naive = (clinic.clock.now() + timedelta(hours=3)).replace(tzinfo=None)

    outcome = clinic.services.schedule_session(THERAPIST, CODE, naive)

    assert outcome.refused
    assert any("no timezone" in reason for reason in outcome.reasons)
    with db.reading() as tx:
        assert tx.exec(select(m.DosingSession)).all() == []
