"""`kapbot audit`: proof that the record has not been altered, and a copy of it to keep."""

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click
from rich.text import Text
from sqlmodel import Session

from kapbot.cli.common import (
    clinic_database,
    clinic_policy,
    day_start,
    emit,
    parse_day,
    write_atomically,
)
from kapbot.config import Settings
from kapbot.store import audit


@click.group("audit")
def audit_group() -> None:
    """Prove the audit trail has not been altered, and export it."""


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


def _export(tx: Session, since: datetime, out: TextIO) -> int:
    """Write the entries as JSON Lines; how many were written."""
    from kapbot.services import reports  # here, so `kapbot audit verify` never loads it

    count = 0
    for entry in reports.audit_entries(tx, since):
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        count += 1
    return count


@audit_group.command("export")
@click.option("--since", metavar="DATE", help="First day, YYYY-MM-DD, in the clinic's "
              "timezone. [required]")
@click.option("--out", "out_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Write to FILE (whole or not at all) instead of standard output.")
@click.option("--json", "as_json", is_flag=True,
              help="With --out: print the summary as JSON for scripts.")
def audit_export(since: str | None, out_file: Path | None, as_json: bool) -> None:
    """The audit entries since DATE as JSON Lines, one entry per line.

    Each line holds seq, at, actor, action, subject, outcome, reasons, prev_hash and
    entry_hash; `at` is UTC exactly as it was hashed, so each entry_hash can be recomputed
    from the line itself as sha256(prev_hash + the entry as sorted, compact JSON).
    """
    day = parse_day(since, "--since")
    settings = Settings()
    start = day_start(day, clinic_policy(settings).tz)
    with clinic_database(settings) as db, db.reading() as tx:
        if out_file is None:
            _export(tx, start, sys.stdout)
            return
        count = write_atomically(out_file, lambda out: _export(tx, start, out))
    emit(as_json, {"file": str(out_file), "since": str(day), "entries": count},
         lambda: Text(f"wrote {count} audit entries since {day} to {out_file}"))
