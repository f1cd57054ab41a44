"""`kapbot roster import|list`: the clinic's roster from a CSV file, all of it or none.

The roster file has a header naming three columns, in any order:

    slack_user_id,roles,display_name
    U012AB3CD,prescriber;admin,Dr Rowe
    U045EF6GH,therapist,Sam Lee

`roles` holds one or more of prescriber, therapist and admin, separated by `;`, `|`,
`,` (inside quotes) or spaces. An import only adds roles; `/kap roster remove` takes
them away, because that must respect the care pairs.

Whoever runs `kapbot` holds the database's URL, so can already change anything in it:
the command is trusted as the clinic's administrator. It acts as `cli:<login name>`,
which the audit chain records beside every Slack user's actions.
"""

import csv
import io
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Group
from rich.table import Table

from kapbot.cli.common import CliError, cell, clinic_database, emit, operator_services
from kapbot.config import Settings
from kapbot.services.roster import Enrolled, RosterRow, roster_problems

COLUMNS = ("slack_user_id", "roles", "display_name")


class ImportRefusedError(CliError):
    """A roster file with problems: every one of them, each on its line, and that nothing
    changed. A single problem is a single line, like any other bad input."""

    def __init__(self, file: Path, problems: list[tuple[int | None, str]]) -> None:
        self.lines = [f"{file} line {line}: {problem}" if line else f"{file}: {problem}"
                      for line, problem in problems]
        if len(self.lines) == 1:
            super().__init__(f"{self.lines.pop()}; nothing was imported")
        else:
            super().__init__(f"{file}: nothing was imported ({len(problems)} problems)")

    def show(self, file: Any = None) -> None:
        super().show(file)
        for line in self.lines:
            click.echo(f"kapbot: error: {line}", err=True)


def _column(name: str) -> str:
    """`Slack User ID` and `display-name` are how spreadsheets write the column names."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _read_text(file: Path) -> str:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(f"{file} is not a CSV file: it is not UTF-8 text") from None
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror or exc}") from None
    if "\x00" in text:
        raise CliError(f"{file} is not a CSV file: it holds binary data")
    return text


def read_roster(file: Path) -> tuple[list[RosterRow], list[tuple[int | None, str]]]:
    """The rows of a roster file, and every problem of its shape, each with its line."""
    reader = csv.reader(io.StringIO(_read_text(file)))
    header: list[str] | None = None
    rows: list[RosterRow] = []
    problems: list[tuple[int | None, str]] = []
    try:
        while True:
            line = reader.line_num + 1
            try:
                cells = [c.strip() for c in next(reader)]
            except StopIteration:
                break
            if not any(cells):
                continue
            if header is None:
                header = [_column(c) for c in cells]
                problems += _header_problems(header, line)
                if problems:
                    return rows, problems
                continue
            if len(cells) > len(header):
                problems.append((line, f"{len(cells)} values, but the header names "
                                       f"{len(header)} columns (quote a name that holds a "
                                       "comma)"))
                continue
            values = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
            rows.append(RosterRow(line, values["slack_user_id"], values["roles"],
                                  values["display_name"]))
    except csv.Error as exc:
        raise CliError(f"{file} line {reader.line_num}: not readable as CSV ({exc})") from None
    if header is None:
        problems.append((None, f"the file is empty: its first line must be the header "
                               f"{','.join(COLUMNS)}"))
    elif not rows and not problems:
        problems.append((None, "the file lists no clinicians: add one row per clinician "
                               "under the header"))
    return rows, problems


def _header_problems(header: list[str], line: int) -> list[tuple[int | None, str]]:
    expected = ",".join(COLUMNS)
    if not set(header) & set(COLUMNS):
        return [(line, f"no header: the first line must name the columns {expected}")]
    problems: list[tuple[int | None, str]] = []
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing:
        problems.append((line, f"missing column {', '.join(missing)} (the header must name "
                               f"{expected})"))
    if unknown:
        problems.append((line, f"unknown column {', '.join(map(repr, unknown))} (the header "
                               f"must name {expected}, nothing else)"))
    if repeated:
        problems.append((line, f"column {', '.join(repeated)} appears twice"))
    return problems


@click.group()
def roster() -> None:
    """Import and list the clinic's roster (who holds which role)."""


def _roles(roles: tuple[str, ...]) -> str:
    return ", ".join(roles) or "no roles"


@roster.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def roster_import(file: Path, as_json: bool) -> None:
    """Add every clinician in FILE (CSV: slack_user_id, roles, display_name), or none.

    roles holds prescriber, therapist and/or admin, separated by ";", "|", "," or spaces.
    An import adds roles and never removes one. Any bad row (unknown role, malformed or
    repeated user ID, no roles, a missing column) is listed with its line, and nothing
    is imported.
    """
    rows, problems = read_roster(file)
    if problems:
        raise ImportRefusedError(file, sorted(
            [*problems, *roster_problems(rows)], key=lambda p: p[0] or 0))
    settings = Settings()
    with clinic_database(settings) as db:
        services, actor = operator_services(settings, db)
        outcome = services.import_roster(actor, rows)
    if outcome.refused:
        raise ImportRefusedError(file, [(None, reason) for reason in outcome.reasons])
    done: tuple[Enrolled, ...] = outcome.data["clinicians"]
    counts = {change: sum(1 for e in done if e.change == change)
              for change in ("new", "updated", "unchanged")}

    def table() -> Group:
        summary = ", ".join(f"{n} {change}" for change, n in counts.items())
        t = Table()
        for column in ("line", "Slack user ID", "name", "roles now", "change"):
            t.add_column(column)
        for e in done:
            t.add_row(cell(e.line), cell(e.slack_user_id), cell(e.display_name),
                      cell(_roles(e.roles)), cell(e.change))
        return Group(cell(f"Imported {len(done)} clinicians from {file} ({summary})"), t)

    emit(as_json, {"file": str(file), "imported": len(done), **counts,
                   "clinicians": [asdict(e) for e in done]}, table)


@roster.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def roster_list(as_json: bool) -> None:
    """Everyone on the roster, with their roles, active or not."""
    settings = Settings()
    with clinic_database(settings) as db:
        services, _ = operator_services(settings, db)
        members = services.roster_members()

    def table() -> Table:
        t = Table(title=f"Roster: {sum(1 for c in members if c.active)} active, "
                        f"{sum(1 for c in members if not c.active)} inactive")
        for column in ("Slack user ID", "name", "roles", "state"):
            t.add_column(column)
        for c in members:
            t.add_row(cell(c.slack_user_id), cell(c.display_name), cell(_roles(c.roles)),
                      cell("active" if c.active else "inactive"))
        return t

    emit(as_json, {"clinicians": [asdict(c) for c in members]}, table)
