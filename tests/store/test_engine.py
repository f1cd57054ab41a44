"""The embedded database is set up for a clinic's safety, not for speed alone."""

from kapbot.store.db import Database


def test_sqlite_runs_in_wal_mode_with_full_sync_and_foreign_keys(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'k.db'}")
    with db.engine.connect() as connection:
        pragmas = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("journal_mode", "synchronous", "foreign_keys")}
    db.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}


def test_a_pasted_postgresql_url_uses_psycopg_3() -> None:
    db = Database("postgresql://clinic:secret@db.internal/kapbot")
    assert db.url.drivername == "postgresql+psycopg"
    assert "secret" not in repr(db.url)
    db.dispose()
