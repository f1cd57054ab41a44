"""`kapbot report sessions`: each dosing session's monitoring record, REMS-style, for the
clinic's own files or a regulator's form."""

import csv
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import click
from rich.table import Table
from rich.text import Text

from kapbot.blocks.text import when
from kapbot.cli.common import (
    CliError,
    cell,
    clinic_database,
    clinic_policy,
    day_start,
    emit,
    known_patient,
    local_iso,
    parse_day,
    write_atomically,
)
from kapbot.config import Settings
from kapbot.services import reports
from kapbot.services.reports import BloodPressure, Person, SessionRecord

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run


@click.group()
def report() -> None:
    """Reports over the clinic's records."""


CSV_COLUMNS = (
    "session_id", "patient_code", "date", "state", "prescriber", "prescriber_slack_id",
    "therapist", "therapist_slack_id", "first_session", "dose_mg", "route", "formulation",
    "started_at", "ended_at", "minutes_dose_to_end", "bp_pre_dose", "bp_40_min",
    "bp_40_min_minutes_after_dose", "bp_pre_discharge", "sedation_moaas_lowest",
    "dissociation_highest", "adverse_events", "adverse_event_severity",
    "summary_acknowledged_at", "summary_acknowledged_by", "summary_acknowledged_by_slack_id")


def _bp(reading: BloodPressure | None) -> str:
    return f"{reading.systolic}/{reading.diastolic}" if reading else ""


def _events(record: SessionRecord) -> str:
    return "; ".join(f"{e.description} ({e.severity})" for e in record.adverse_events)


def _name(person: Person | None) -> str:
    return (person.display_name or person.slack_user_id) if person else ""


def _flat(record: SessionRecord, tz: ZoneInfo) -> dict[str, Any]:
    """One session as one flat row: the CSV's columns and the JSON's keys."""
    ack = record.summary_acknowledged_by
    at_40 = record.bp_40_min
    return {
        "session_id": record.session_id, "patient_code": record.patient_code,
        "date": record.started_at.astimezone(tz).date().isoformat(), "state": record.state,
        "prescriber": _name(record.prescriber),
        "prescriber_slack_id": record.prescriber.slack_user_id,
        "therapist": _name(record.therapist),
        "therapist_slack_id": record.therapist.slack_user_id,
        "first_session": record.first_session, "dose_mg": record.dose_mg,
        "route": record.route, "formulation": record.formulation,
        "started_at": local_iso(record.started_at, tz),
        "ended_at": local_iso(record.ended_at, tz),
        "minutes_dose_to_end": record.monitoring_minutes,
        "bp_pre_dose": _bp(record.bp_pre_dose) or None,
        "bp_40_min": _bp(at_40) or None,
        "bp_40_min_minutes_after_dose": at_40.minutes_after_start if at_40 else None,
        "bp_pre_discharge": _bp(record.bp_pre_discharge) or None,
        "sedation_moaas_lowest": record.sedation_lowest,
        "dissociation_highest": record.dissociation_highest,
        "adverse_events": [{"description": e.description, "severity": e.severity}
                           for e in record.adverse_events],
        "adverse_event_severity": record.worst_severity,
        "summary_acknowledged_at": local_iso(record.summary_acknowledged_at, tz),
        "summary_acknowledged_by": _name(ack) or None,
        "summary_acknowledged_by_slack_id": ack.slack_user_id if ack else None,
    }


def _csv_value(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: typed free text never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _write_csv(out: TextIO, records: tuple[SessionRecord, ...], tz: ZoneInfo) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for record in records:
        row = _flat(record, tz)
        row["adverse_events"] = _events(record)
        writer.writerow(_csv_value(row[column]) for column in CSV_COLUMNS)


def _table(records: tuple[SessionRecord, ...], tz: ZoneInfo, title: str) -> Table:
    """Eight columns of a few short lines each, so a whole record fits a terminal."""
    t = Table(title=title, show_lines=True)
    for column in ("session", "care pair", "dose", "dose → end", "blood pressure",
                   "sedation", "adverse events", "summary acknowledged"):
        t.add_column(column, overflow="fold")
    for r in records:
        pressures = [f"pre-dose {_bp(r.bp_pre_dose) or '—'}",
                     f"+{r.bp_40_min.minutes_after_start} min {_bp(r.bp_40_min)}"
                     if r.bp_40_min else "+40 min —",
                     f"discharge {_bp(r.bp_pre_discharge) or '—'}"]
        ack = (f"{when(r.summary_acknowledged_at, tz)}\nby {_name(r.summary_acknowledged_by)}"
               if r.summary_acknowledged_at else "not yet")
        t.add_row(cell(f"{r.patient_code}\n{when(r.started_at, tz)}\n"
                       f"{r.state.replace('_', ' ')}"),
                  cell(f"{r.prescriber.label}\n{r.therapist.label}"),
                  cell(f"{r.dose_mg} mg {r.route}\n"
                       f"{'first session' if r.first_session else 'not the first'}"),
                  cell(f"{r.monitoring_minutes} min" if r.monitoring_minutes is not None
                       else None),
                  cell("\n".join(pressures)),
                  cell(f"MOAA/S {_dash(r.sedation_lowest)}\n"
                       f"dissociation {_dash(r.dissociation_highest)}"),
                  cell(_events(r) or "none"), cell(ack))
    return t


def _dash(value: int | None) -> str:
    return "—" if value is None else str(value)


@report.command("sessions")
@click.option("--from", "from_", metavar="DATE", help="First day, YYYY-MM-DD (clinic time). "
              "[required]")
@click.option("--to", "to", metavar="DATE", help="Last day, YYYY-MM-DD, included. [required]")
@click.option("--patient", metavar="CODE", help="Only this patient's sessions.")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Write the report to FILE as CSV (whole or not at all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def report_sessions(from_: str | None, to: str | None, patient: str | None,
                    csv_file: Path | None, as_json: bool) -> None:
    """One row per dosing session taken from --from to --to: the monitoring record.

    Patient code, date, prescriber and therapist, first session or not, dose and route,
    minutes from the dose to the end of monitoring, blood pressure before the dose, about
    40 minutes after it and before discharge, the deepest sedation and dissociation seen,
    adverse events with their severity, and who acknowledged the summary and when.
    Sessions that never started (cancelled, or still scheduled) have no record to show.
    """
    first, last = parse_day(from_, "--from"), parse_day(to, "--to")
    if last < first:
        raise CliError(f"--to {last} is before --from {first}")
    settings = Settings()
    policy = clinic_policy(settings)
    tz = policy.tz
    with clinic_database(settings) as db, db.reading() as tx:
        if patient is not None:
            known_patient(tx, patient, policy, db)
        records = reports.session_records(tx, day_start(first, tz),
                                          day_start(last + timedelta(days=1), tz), patient)
    period = f"{first} to {last}"
    if csv_file is not None:
        write_atomically(csv_file, lambda out: _write_csv(out, records, tz))
        emit(as_json, {"file": str(csv_file), "from": str(first), "to": str(last),
                       "sessions": len(records)},
             lambda: Text(f"wrote {len(records)} sessions ({period}) to {csv_file}"))
        return
    emit(as_json, {"from": str(first), "to": str(last), "timezone": policy.timezone,
                   "sessions": [_flat(r, tz) for r in records]},
         lambda: _table(records, tz, f"Dosing sessions {period} ({policy.timezone}): "
                                     f"{len(records)}"))
