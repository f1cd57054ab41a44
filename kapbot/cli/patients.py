"""`kapbot patients`: every patient at a glance, for the administrator at a terminal."""

from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.table import Table

from kapbot.blocks.text import when
from kapbot.cli.common import (
    cell,
    clinic_database,
    clinic_policy,
    emit,
    known_patient,
    local_iso,
)
from kapbot.config import Settings
from kapbot.services import reports
from kapbot.services.reports import PatientLine


def _as_data(line: PatientLine, tz: ZoneInfo) -> dict[str, Any]:
    data = asdict(line)
    if line.next_session is not None:
        data["next_session"]["scheduled_at"] = local_iso(line.next_session.scheduled_at, tz)
    return data


def _table(lines: tuple[PatientLine, ...], tz: ZoneInfo, timezone: str) -> Table:
    t = Table(title=f"Patients: {len(lines)} (times in {timezone})")
    for column in ("code", "prescriber", "therapist", "active plan", "next session",
                   "open follow-ups"):
        t.add_column(column)
    for p in lines:
        plan = (f"v{p.plan.version}: {p.plan.dose_mg} mg {p.plan.route}" if p.plan
                else "no active plan")
        upcoming = p.next_session
        session = (f"{when(upcoming.scheduled_at, tz)} ({upcoming.state.replace('_', ' ')})"
                   if upcoming else "none scheduled")
        t.add_row(cell(p.code), cell(p.prescriber.label), cell(p.therapist.label), cell(plan),
                  cell(session), cell(p.open_follow_ups))
    return t


@click.command("patients")
@click.argument("code", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def patients(code: str | None, as_json: bool) -> None:
    """Every patient (or the one with CODE): care pair, active plan, next session, follow-ups.

    The next session is the earliest one scheduled or in progress, at the clinic's time
    (the policy's timezone); follow-ups count those still open.
    """
    settings = Settings()
    policy = clinic_policy(settings)
    with clinic_database(settings) as db, db.reading() as tx:
        if code is not None:
            known_patient(tx, code, policy, db)
        lines = reports.patients(tx, code)
    emit(as_json, {"timezone": policy.timezone, "patients": [_as_data(p, policy.tz)
                                                             for p in lines]},
         lambda: _table(lines, policy.tz, policy.timezone))
