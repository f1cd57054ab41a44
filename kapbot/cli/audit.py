"""`kapbot audit`: proof that the record has not been altered."""

import json
import sys

import click

from kapbot.cli.common import clinic_database
from kapbot.config import Settings
from kapbot.store import audit


@click.group("audit")
def audit_group() -> None:
    """Prove the audit trail has not been altered."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def audit_verify(as_json: bool) -> None:
    """Recompute the hash chain; exit 1 naming the first bad entry."""
    settings = Settings()
    with clinic_database(settings) as db:
        result = audit.verify(db)
    if as_json:
        click.echo(json.dumps({"whole": result.whole, "entries": result.entries,
                               "first_bad": result.first_bad, "problem": result.problem}))
    elif result.whole:
        click.echo(f"audit chain intact: {result.entries} entries")
    else:
        click.echo(f"audit chain broken at entry {result.first_bad}: {result.problem}", err=True)
    if not result.whole:
        sys.exit(1)
