"""What every `kapbot` subcommand shares: the one-line error with exit 2, the database
opened with readable failures, tables-or-JSON output, the operator as an audited actor,
dates typed and shown in the clinic's timezone, and files written whole or not at all."""

import getpass
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.text import Text
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError
from sqlmodel import Session

from kapbot.clock import Clock, FileOffsetClock, SystemClock
from kapbot.config import Settings
from kapbot.policy import Policy, PolicyError
from kapbot.store import migrate, snapshots
from kapbot.store.db import Database, redact

if TYPE_CHECKING:  # the services are imported by the commands that act, not by `audit verify`
    from kapbot.services import Services

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
    """The configured database, reachable and migrated: what every record command needs.

    A SQLite file that does not exist is refused before it is opened, since opening it
    would leave an empty file behind where the operator mistyped a path.
    """
    with open_database(settings) as db:
        path = db.url.database if db.is_sqlite else None
        if path and path != ":memory:" and not Path(path).exists():
            raise CliError(f"database {redact(db.url)}: no such file; run `kapbot db upgrade` "
                           "to create it")
        migrated(db)
        yield db


def emit(as_json: bool, data: dict[str, Any], table: Callable[[], Any]) -> None:
    """Print a rich table for people, or the same data as JSON for scripts."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        console.print(table())


ACTOR_MAX = 32  # the audit chain's actor column


def operator() -> str:
    """The audit chain's name for this command's user: never a Slack ID, so never confused."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "cli"
    return f"cli:{login}"[:ACTOR_MAX]


def operator_services(settings: Settings, db: Database) -> tuple["Services", str]:
    """The services with this command's user as an administrator, and that user's name."""
    from kapbot.services import Services

    actor = operator()
    offset = settings.clock_offset_file
    clock: Clock = FileOffsetClock(offset) if offset else SystemClock()
    return Services(db, clinic_policy(settings), clock, settings.admin_ids | {actor}), actor


DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
T = TypeVar("T")


def clinic_policy(settings: Settings) -> Policy:
    """The policy in force: its timezone is how every date typed and shown is read."""
    try:
        return settings.load_policy()
    except PolicyError as exc:
        raise CliError(str(exc)) from None


def parse_day(value: str | None, option: str) -> date:
    """A calendar day as YYYY-MM-DD, the one form no clinic misreads (03/04 is two dates)."""
    if value is None:
        raise CliError(f"{option} is required: a date as YYYY-MM-DD")
    try:
        if not DAY.fullmatch(value.strip()):
            raise ValueError
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CliError(f"{option} {value!r} is not a date: expected YYYY-MM-DD, "
                       "e.g. 2026-03-02") from None


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """Midnight at the start of `day` in the clinic, as a UTC instant."""
    return datetime.combine(day, time(), tz).astimezone(UTC)


def local_iso(instant: datetime | None, tz: ZoneInfo) -> str | None:
    """An instant for scripts: ISO 8601 in the clinic's timezone, with its offset."""
    return instant.astimezone(tz).isoformat(timespec="seconds") if instant else None


def cell(value: object) -> Text:
    """A table cell shown literally: a display name or an error with [brackets] is not markup."""
    return Text("—" if value is None or value == "" else str(value))


def write_atomically(path: Path, write: Callable[[TextIO], T]) -> T:
    """Write `path` whole or not at all: a temporary file beside it, renamed at the end.

    A reader never sees half a report, and a failure (a full disk, a lost database) leaves
    any earlier file of that name untouched. The file is the operator's alone (mode 0600,
    as `mkstemp` makes it): it holds clinical records.
    """
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".part")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            result = write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return result


def known_patient(tx: Session, code: str, policy: Policy, db: Database) -> None:
    """Refuse a code that names no patient, saying which database was asked."""
    if not policy.code_is_valid(code):
        raise CliError(f"{code!r} is not a patient code (codes match "
                       f"{policy.patient_code_pattern})")
    if snapshots.patient_by_code(tx, code) is None:
        raise CliError(f"no patient with code {code} in database {redact(db.url)}")
