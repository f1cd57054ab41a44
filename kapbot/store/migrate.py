"""Alembic, driven from code: `kapbot db upgrade`, `kapbot db status`, and the start-up check.

kapbot never runs on a schema it does not know: at start it upgrades an older database
(or refuses, if told not to) and refuses one newer than itself.
"""

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from kapbot.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x6B6170626F74  # "kapbot": replicas starting together migrate one at a time


class SchemaError(RuntimeError):
    """The database's schema is not the one this kapbot was built for."""


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def _known(revision: str) -> bool:
    return ScriptDirectory.from_config(_config()).get_revision(revision) is not None


def status(db: Database) -> SchemaStatus:
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return SchemaStatus(current, head())


def upgrade(db: Database) -> SchemaStatus:
    """Create or upgrade the schema to the newest migration, in one transaction."""
    config = _config()
    with db.engine.begin() as connection:
        if not db.is_sqlite:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return status(db)


def ensure_schema(db: Database, allow_upgrade: bool = True) -> SchemaStatus:
    """Bring the database to this kapbot's schema, or explain why it will not run."""
    found = status(db)
    if found.up_to_date:
        return found
    if found.current is not None:
        try:
            known = _known(found.current)
        except Exception:  # alembic raises several types for an unknown revision
            known = False
        if not known:
            raise SchemaError(
                f"the database is at migration {found.current}, which this kapbot does not know "
                "(it was written by a newer kapbot): upgrade kapbot, or point "
                "KAPBOT_DATABASE_URL at another database")
    if not allow_upgrade:
        raise SchemaError(
            f"the database is at migration {found.current or 'none'} but this kapbot needs "
            f"{found.head}: run `kapbot db upgrade`")
    return upgrade(db)
