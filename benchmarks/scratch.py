"""Scratch databases, migrated and empty, made for one benchmark and dropped after it.

PostgreSQL ones are named `kapbot_bench_<pid>_<purpose>` so a benchmark run never
touches the test suite's databases, or another person's run on the same server.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from kapbot.store import migrate
from kapbot.store.db import Database, normalise_url

POSTGRES_URL = os.environ.get("KAPBOT_BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
KINDS = ("sqlite", "postgresql")


@contextmanager
def scratch_url(kind: str, purpose: str) -> Iterator[str]:
    """A URL of a fresh, migrated database of `kind`, removed when the block ends."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"kapbot-bench-{purpose}-") as folder:
            url = f"sqlite:///{Path(folder) / 'kapbot.db'}"
            _migrate(url)
            yield url
        return
    name = f"kapbot_bench_{os.getpid()}_{purpose}"
    admin = create_engine(normalise_url(POSTGRES_URL).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = normalise_url(POSTGRES_URL).set(database=name).render_as_string(
            hide_password=False)
        _migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_database(kind: str, purpose: str) -> Iterator[Database]:
    with scratch_url(kind, purpose) as url:
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()


def _migrate(url: str) -> None:
    db = Database(url)
    try:
        migrate.upgrade(db)
    finally:
        db.dispose()
