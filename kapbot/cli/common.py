"""What every `kapbot` subcommand shares: the one-line error with exit 2, the database
opened with readable failures, and tables-or-JSON output."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from kapbot.config import Settings
from kapbot.store import migrate
from kapbot.store.db import Database, redact

USAGE_ERROR = 2
console = Console()


class CliError(click.ClickException):
    """A one-line error for a person at a terminal: what went wrong, and where."""

    exit_code = USAGE_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"kapbot: error: {self.message}", err=True)


@contextmanager
def open_database(settings: Settings) -> Iterator[Database]:
    """The configured database; an unreachable one or a failed query becomes one line."""
    try:
        db = Database(settings.database_url)
    except ArgumentError:
        raise CliError("KAPBOT_DATABASE_URL is not a database URL (expected e.g. "
                       "sqlite:///kapbot.db or postgresql://user@host/db)") from None
    try:
        yield db
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise CliError(f"database {redact(db.url)}: {reason}") from None
    finally:
        db.dispose()


def migrated(db: Database) -> None:
    """Refuse to read or write a database that is not at this kapbot's schema."""
    try:
        migrate.ensure_schema(db, allow_upgrade=False)
    except migrate.SchemaError as exc:
        raise CliError(f"database {redact(db.url)}: {exc}") from None


@contextmanager
def clinic_database(settings: Settings) -> Iterator[Database]:
    """The configured database, reachable and migrated: what every record command needs."""
    with open_database(settings) as db:
        migrated(db)
        yield db


def emit(as_json: bool, data: dict[str, Any], table: Callable[[], Any]) -> None:
    """Print a rich table for people, or the same data as JSON for scripts."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        console.print(table())


