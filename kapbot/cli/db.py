"""`kapbot db upgrade|status`: the schema, created or moved forward by Alembic."""

import click
from rich.table import Table

from kapbot.cli.common import CliError, emit, open_database
from kapbot.config import Settings
from kapbot.store import migrate
from kapbot.store.db import redact


@click.group()
def db() -> None:
    """Create, upgrade and inspect the database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database schema, or upgrade it to this kapbot's newest migration."""
    settings = Settings()
    with open_database(settings) as db:
        try:
            found = migrate.ensure_schema(db)
        except migrate.SchemaError as exc:
            raise CliError(str(exc)) from None
        click.echo(f"database {redact(db.url)} is at migration {found.current} (newest)")


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def db_status(as_json: bool) -> None:
    """Show the database's migration and the newest one this kapbot knows."""
    settings = Settings()
    with open_database(settings) as db:
        found = migrate.status(db)

    def table() -> Table:
        t = Table(title=f"Database {redact(db.url)}")
        t.add_column("current")
        t.add_column("newest")
        t.add_column("up to date")
        t.add_row(found.current or "none", found.head, "yes" if found.up_to_date else "no")
        return t

    emit(as_json, {"current": found.current, "head": found.head,
                    "up_to_date": found.up_to_date}, table)
