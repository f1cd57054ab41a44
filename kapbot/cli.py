"""The `kapbot` command. Bad input gets one line on stderr and exit status 2."""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from kapbot.config import Settings
from kapbot.policy import Policy, PolicyError, load_policy
from kapbot.store import audit, migrate
from kapbot.store.db import Database, redact

USAGE_ERROR = 2
console = Console()


class CliError(click.ClickException):
    """A one-line error for a person at a terminal: what went wrong, and where."""

    exit_code = USAGE_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"kapbot: error: {self.message}", err=True)


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
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


def _migrated(db: Database) -> None:
    try:
        migrate.ensure_schema(db, allow_upgrade=False)
    except migrate.SchemaError as exc:
        raise CliError(f"database {redact(db.url)}: {exc}") from None


def _emit(as_json: bool, data: dict[str, Any], table: Callable[[], Any]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        console.print(table())


@click.group()
@click.version_option(package_name="kapbot")
def main() -> None:
    """kapbot: the two-person session gate for ketamine-assisted psychotherapy, in Slack."""


@main.command()
def run() -> None:
    """Run kapbot: Socket Mode if SLACK_APP_TOKEN is set, else HTTP on KAPBOT_PORT."""
    import logging

    from kapbot.app import Kapbot
    settings = Settings()
    missing = settings.missing_for_run()
    if missing:
        raise CliError("; ".join(missing))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    try:
        bot = Kapbot(settings)
    except migrate.SchemaError as exc:
        raise CliError(str(exc)) from None
    except PolicyError as exc:
        raise CliError(str(exc)) from None
    bot.run()


@main.command()
def demo() -> None:
    """Play the whole pathway on a local Slack, on a fresh kapbot-demo.db here."""
    from kapbot.sandbox.demo import run_demo

    run_demo(console, Path.cwd())


@main.group()
def policy() -> None:
    """Check and show the clinic's policy file."""


def _policy_table(p: Policy, source: str) -> Table:
    table = Table(title=f"Policy in force ({source})", show_lines=False)
    table.add_column("setting")
    table.add_column("value")
    for key, value in p.model_dump(mode="json").items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                table.add_row(f"{key}.{sub}", str(inner))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                name = item.get("id") or item.get("kind")
                rest = ", ".join(f"{k}={v}" for k, v in item.items() if k not in ("id", "kind"))
                table.add_row(f"{key}.{name}", rest)
        else:
            table.add_row(key, str(value))
    return table


def _load(path: Path | None) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        raise CliError(str(exc)) from None


@policy.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def policy_check(file: Path) -> None:
    """Validate FILE as a policy; exit 2 naming each bad key."""
    p = _load(file)
    click.echo(f"{file}: valid policy ({len(p.checklist)} checklist items, doses "
               f"{p.dose.min_mg}–{p.dose.max_mg} mg, routes {', '.join(p.medication.routes)}, "
               f"timezone {p.timezone})")


@policy.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def policy_show(as_json: bool) -> None:
    """Print the policy in force (KAPBOT_POLICY, or the packaged default)."""
    settings = Settings()
    p = _load(settings.policy)
    source = str(settings.policy) if settings.policy else "packaged default"
    _emit(as_json, {"source": source, "policy": p.model_dump(mode="json")},
          lambda: _policy_table(p, source))


@main.group()
def db() -> None:
    """Create, upgrade and inspect the database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database schema, or upgrade it to this kapbot's newest migration."""
    settings = Settings()
    with _database(settings) as database:
        try:
            found = migrate.ensure_schema(database)
        except migrate.SchemaError as exc:
            raise CliError(str(exc)) from None
        click.echo(f"database {redact(database.url)} is at migration {found.current} (newest)")


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def db_status(as_json: bool) -> None:
    """Show the database's migration and the newest one this kapbot knows."""
    settings = Settings()
    with _database(settings) as database:
        found = migrate.status(database)

    def table() -> Table:
        t = Table(title=f"Database {redact(database.url)}")
        t.add_column("current")
        t.add_column("newest")
        t.add_column("up to date")
        t.add_row(found.current or "none", found.head, "yes" if found.up_to_date else "no")
        return t

    _emit(as_json, {"current": found.current, "head": found.head,
                    "up_to_date": found.up_to_date}, table)


@main.group("audit")
def audit_group() -> None:
    """Prove the audit trail has not been altered."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def audit_verify(as_json: bool) -> None:
    """Recompute the hash chain; exit 1 naming the first bad entry."""
    settings = Settings()
    with _database(settings) as database:
        _migrated(database)
        result = audit.verify(database)
    if as_json:
        click.echo(json.dumps({"whole": result.whole, "entries": result.entries,
                               "first_bad": result.first_bad, "problem": result.problem}))
    elif result.whole:
        click.echo(f"audit chain intact: {result.entries} entries")
    else:
        click.echo(f"audit chain broken at entry {result.first_bad}: {result.problem}", err=True)
    if not result.whole:
        sys.exit(1)
