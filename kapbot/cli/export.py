"""`kapbot export fhir`: a patient's record for the clinic's EHR, as a FHIR R4 Bundle.

Files are written whole or not at all: each goes to a temporary file beside its target
and is renamed over it at the end, so an EHR watching the folder never reads half a
Bundle, and a failed run leaves the previous export in place. The temporary file is
created owner-only (mkstemp), and the rename keeps that: the Bundles hold clinical notes.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import quote

import click
from rich.console import Console
from rich.progress import Progress

from kapbot.cli.common import CliError, clinic_database
from kapbot.config import Settings
from kapbot.fhir import InvalidBundleError, patient_bundle_json, patient_codes
from kapbot.policy import Policy, PolicyError, load_policy
from kapbot.store.db import Database


@click.group("export")
def export_group() -> None:
    """Export the clinic's records for other systems."""


def _policy(settings: Settings) -> Policy:
    try:
        return load_policy(settings.policy)
    except PolicyError as exc:
        raise CliError(str(exc)) from None


def _bundle(db: Database, code: str, policy: Policy) -> str:
    try:
        text = patient_bundle_json(db, code, policy)
    except InvalidBundleError as exc:
        raise CliError(f"patient {code}: the export is not valid FHIR ({exc}); "
                       "nothing was written") from None
    if text is None:
        raise CliError(f"no patient with code {code!r}")
    return text


def write_whole(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file renamed over it at the end."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".part")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise CliError(f"cannot write {path}: {exc.strerror}") from None


def file_name(code: str) -> str:
    """The patient's file: the code itself, percent-quoted if a clinic's codes allow `/`."""
    return f"{quote(code, safe='')}.json"


@export_group.command("fhir")
@click.argument("code", required=False)
@click.option("--all", "everyone", is_flag=True,
              help="Export every patient, one CODE.json file each.")
@click.option("--out", type=click.Path(path_type=Path),
              help="With CODE: the file to write (default: print to stdout). With --all: "
                   "the directory to write into (default: the current directory).")
def export_fhir(code: str | None, everyone: bool, out: Path | None) -> None:
    """Export patient records as FHIR R4 Bundles (JSON).

    One patient by CODE, or every patient with --all. The patient appears only as the
    opaque patient code, clinicians by Slack user ID and display name. Clinical notes
    are included, so files are written readable by their owner only: keep them as you
    keep the EHR.
    """
    if everyone == (code is not None):
        raise CliError("give one patient CODE, or --all (not both)")
    settings = Settings()
    policy = _policy(settings)
    with clinic_database(settings) as db:
        if everyone:
            _export_everyone(db, policy, out or Path.cwd())
            return
        assert code is not None
        text = _bundle(db, code, policy)
    if out is None:
        click.echo(text)
    else:
        write_whole(out, text + "\n")
        click.echo(f"wrote patient {code}'s FHIR Bundle to {out}")


def _export_everyone(db: Database, policy: Policy, directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot write into {directory}: {exc.strerror}") from None
    codes = patient_codes(db)
    # On stderr and only at a terminal, so stdout and a script's logs stay clean.
    screen = Console(stderr=True)
    with Progress(console=screen, transient=True, disable=not screen.is_terminal) as progress:
        bar = progress.add_task("Exporting FHIR bundles", total=len(codes))
        for code in codes:
            write_whole(directory / file_name(code), _bundle(db, code, policy) + "\n")
            progress.advance(bar)
    plural = "" if len(codes) == 1 else "s"
    click.echo(f"exported {len(codes)} patient{plural} as FHIR Bundles to {directory}")
