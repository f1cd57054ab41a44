"""`kapbot export fhir`, run as the clinic's administrator runs it: a separate process.

The demo's patient is exported straight after `kapbot demo`, so what a newcomer sees in
Slack is what the EHR receives; the rest runs on a clinic built through the services on
SQLite and PostgreSQL. Bad input is one `kapbot: error:` line and exit 2, and a file is
either the whole Bundle or untouched.
"""

import json
import os
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from kapbot.cli.common import CliError, write_atomically
from kapbot.store.db import Database
from tests.clinic import ADMIN, OTHER_THERAPIST, PRESCRIBER, Clinic, accepted, plan_form
from tests.fhir.story import Json, codes_of, of_type, resolve, tell
from tests.test_cli import SECRET, kapbot, one_line_error

SUBLINGUAL = ("http://snomed.info/sct", "37839007")
LOINC = "http://loinc.org"
DEMO_URL = "sqlite:///kapbot-demo.db"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory where `kapbot demo` has just played the pathway."""
    directory = tmp_path_factory.mktemp("demo")
    played = kapbot("demo", cwd=directory)
    assert played.returncode == 0, played.stderr[-2000:]
    return directory


@pytest.fixture(scope="module")
def demo_bundle(demo: Path) -> Json:
    exported = kapbot("export", "fhir", "KAP-0042", cwd=demo, KAPBOT_DATABASE_URL=DEMO_URL)
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr == ""
    return json.loads(exported.stdout)


def url_of(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


# --- the demo's patient, end to end --------------------------------------------------------


def test_the_demo_patients_export_validates_as_one_fhir_r4_bundle(demo_bundle: Json) -> None:
    parsed = Bundle.model_validate(demo_bundle)

    assert parsed.type == "collection"
    [patient] = of_type(demo_bundle, "Patient")
    assert patient["identifier"][0]["value"] == "KAP-0042"


def test_export_carries_the_sublingual_route_as_snomed_37839007(demo_bundle: Json) -> None:
    [plan] = of_type(demo_bundle, "MedicationRequest")
    [given] = of_type(demo_bundle, "MedicationAdministration")

    assert codes_of(plan["dosageInstruction"][0]["route"]) == {SUBLINGUAL}
    assert codes_of(given["dosage"]["route"]) == {SUBLINGUAL}


def test_export_carries_the_100_mg_dose_authorised_and_taken(demo_bundle: Json) -> None:
    [plan] = of_type(demo_bundle, "MedicationRequest")
    [given] = of_type(demo_bundle, "MedicationAdministration")

    assert plan["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 100
    assert plan["dosageInstruction"][0]["maxDosePerAdministration"]["value"] == 150
    assert plan["note"][0]["text"] == "Start low; review after session 2."
    assert given["status"] == "completed"
    assert given["dosage"]["dose"] == {"value": 100, "unit": "mg",
                                       "system": "http://unitsofmeasure.org", "code": "mg"}
    assert given["note"][0]["text"] == "Tearful at +60, settled by +90; keen to continue."


def test_export_carries_the_demo_vitals_as_loinc_observations(demo_bundle: Json) -> None:
    observations = of_type(demo_bundle, "Observation")

    def values(code: str) -> list[object]:
        found = [o for o in observations if (LOINC, code) in codes_of(o["code"])]
        return [[c["valueQuantity"]["value"] for c in o["component"]] if "component" in o
                else o["valueQuantity"]["value"] for o in found]

    # the checklist's, then at +40 min, then before discharge
    assert values("85354-9") == [[148, 88], [138, 86], [128, 82]]
    assert values("8867-4") == [76, 82, 72]
    assert values("59408-5") == [98, 96, 98]
    scales = {o["code"]["text"]: o["valueInteger"] for o in observations
              if "coding" not in o["code"]}
    assert scales == {"Sedation (MOAA/S, 0-5)": 4, "Dissociation (clinician's rating, 0-4)": 2}


def test_export_carries_the_demo_follow_ups_one_done_with_scores_one_missed(
        demo_bundle: Json) -> None:
    tasks = {t["code"]["text"]: t for t in of_type(demo_bundle, "Task")}
    done, missed = tasks["Integration session"], tasks["Check-in"]

    assert (done["status"], done["businessStatus"]["text"]) == ("completed", "done")
    assert {o["type"]["text"]: resolve(demo_bundle, o["valueReference"])["valueInteger"]
            for o in done["output"]} == {"PHQ-9": 11, "GAD-7": 8}
    assert (missed["status"], missed["businessStatus"]["text"]) == ("failed", "missed")


def test_export_carries_both_sign_offs_and_the_refused_double_check(demo_bundle: Json) -> None:
    def who(provenance: Json) -> tuple[str, str]:
        [agent] = provenance["agent"]
        person = resolve(demo_bundle, agent["who"])
        return agent["type"]["coding"][0]["code"], person["identifier"][0]["value"]

    def targets(provenance: Json) -> list[str]:
        return [resolve(demo_bundle, t)["resourceType"] for t in provenance["target"]]

    sign_off, mismatched, confirmed = of_type(demo_bundle, "Provenance")

    assert sign_off["activity"]["text"] == "Dose sign-off: 100 mg"
    assert who(sign_off) == ("attester", "UDEMOROWE")
    assert targets(sign_off) == ["MedicationRequest", "MedicationAdministration"]
    assert "read 150 mg sublingual" in mismatched["activity"]["text"]
    assert targets(mismatched) == ["MedicationRequest", "Encounter"], "it gave no dose"
    assert "read 100 mg sublingual" in confirmed["activity"]["text"]
    assert who(confirmed) == ("verifier", "UDEMOLEE0")
    assert targets(confirmed) == ["MedicationRequest", "Encounter", "MedicationAdministration"]


def test_export_to_a_file_writes_the_same_bundle_whole_over_the_old_one(
        demo: Path, demo_bundle: Json) -> None:
    target = demo / "out" / "KAP-0042.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text("an export from last week", "utf-8")

    written = kapbot("export", "fhir", "KAP-0042", "--out", str(target), cwd=demo,
                     KAPBOT_DATABASE_URL=DEMO_URL)

    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == f"wrote patient KAP-0042's FHIR Bundle to {target}"
    assert json.loads(target.read_text("utf-8")) == demo_bundle
    assert leftovers(target.parent) == []
    assert target.stat().st_mode & 0o777 == 0o600, "clinical notes: the owner's eyes only"


def test_a_failed_export_leaves_the_previous_file_untouched(demo: Path) -> None:
    target = demo / "kept.json"
    target.write_text("the last good export", "utf-8")

    line = one_line_error(kapbot("export", "fhir", "KAP-9999", "--out", str(target), cwd=demo,
                                 KAPBOT_DATABASE_URL=DEMO_URL))

    assert line == "kapbot: error: no patient with code 'KAP-9999'"
    assert target.read_text("utf-8") == "the last good export"
    assert leftovers(demo) == []


def test_all_without_out_writes_into_the_current_directory(demo: Path) -> None:
    here = demo / "here"
    here.mkdir()
    (here / "kapbot-demo.db").symlink_to(demo / "kapbot-demo.db")

    result = kapbot("export", "fhir", "--all", cwd=here, KAPBOT_DATABASE_URL=DEMO_URL)

    assert result.returncode == 0, result.stderr
    assert json.loads((here / "KAP-0042.json").read_text("utf-8"))["type"] == "collection"


# --- writing whole or not at all ----------------------------------------------------------


def test_a_write_that_fails_half_way_keeps_the_old_file_and_leaves_no_scraps(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "KAP-0042.json"
    target.write_text("the last good export", "utf-8")

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(CliError, match="No space left on device"):
        write_atomically(target, lambda out: out.write('{"resourceType": "Bundle"}'))

    assert target.read_text("utf-8") == "the last good export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["KAP-0042.json"]


def test_an_out_file_in_a_missing_directory_is_one_line(demo: Path) -> None:
    line = one_line_error(kapbot("export", "fhir", "KAP-0042", "--out",
                                 str(demo / "no-such-dir" / "x.json"), cwd=demo,
                                 KAPBOT_DATABASE_URL=DEMO_URL))

    assert "cannot write" in line
    assert "No such file or directory" in line


# --- every patient, on both databases ------------------------------------------------------


def test_all_exports_every_patient_into_a_file_of_its_own(db: Database, clinic: Clinic,
                                                          tmp_path: Path) -> None:
    tell(clinic)
    accepted(clinic.services.add_patient(ADMIN, "KAP-0043", PRESCRIBER, OTHER_THERAPIST,
                                         "C0PAIR43"))
    accepted(clinic.services.post_plan(PRESCRIBER, "KAP-0043", plan_form(dose=50)))
    directory = tmp_path / "exports" / "today"

    result = kapbot("export", "fhir", "--all", "--out", str(directory), cwd=tmp_path,
                    KAPBOT_DATABASE_URL=url_of(db))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"exported 2 patients as FHIR Bundles to {directory}"
    assert result.stderr == "", "a script's logs get no progress bar"
    assert sorted(p.name for p in directory.iterdir()) == ["KAP-0042.json", "KAP-0043.json"]
    for code, doses in (("KAP-0042", [100, 100]), ("KAP-0043", [50])):
        bundle = json.loads((directory / f"{code}.json").read_text("utf-8"))
        Bundle.model_validate(bundle)
        assert [p["identifier"][0]["value"] for p in of_type(bundle, "Patient")] == [code]
        assert [r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]
                for r in of_type(bundle, "MedicationRequest")] == doses


def test_all_shows_a_progress_bar_at_a_terminal(db: Database, clinic: Clinic,
                                                tmp_path: Path) -> None:
    at_terminal = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"}  # rich's own switches

    result = kapbot("export", "fhir", "--all", "--out", str(tmp_path), cwd=tmp_path,
                    KAPBOT_DATABASE_URL=url_of(db), **at_terminal)

    assert result.returncode == 0, result.stderr
    assert "Exporting FHIR bundles" in result.stderr
    assert "100%" in result.stderr
    assert result.stdout.strip() == f"exported 1 patient as FHIR Bundles to {tmp_path}"


def test_an_unknown_patient_code_is_one_line(db: Database, clinic: Clinic,
                                             tmp_path: Path) -> None:
    line = one_line_error(kapbot("export", "fhir", "KAP-0404", cwd=tmp_path,
                                 KAPBOT_DATABASE_URL=url_of(db)))

    assert line == "kapbot: error: no patient with code 'KAP-0404'"


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [pytest.param((), id="neither"),
                                  pytest.param(("KAP-0042", "--all"), id="both")])
def test_a_code_and_all_together_or_neither_is_one_line(tmp_path: Path,
                                                        args: tuple[str, ...]) -> None:
    line = one_line_error(kapbot("export", "fhir", *args, cwd=tmp_path,
                                 KAPBOT_DATABASE_URL="sqlite:////no-such-directory/k.db"))

    assert "--all" in line


@pytest.mark.parametrize(("url", "reason"), [
    pytest.param(f"postgresql://clinic:{SECRET}@127.0.0.1:1/kapbot", "Connection refused",
                 id="postgresql-nothing-listening"),
    pytest.param("sqlite:////no-such-directory/kapbot.db", "no such file",
                 id="sqlite-no-such-directory"),
])
@pytest.mark.parametrize("args", [pytest.param(("KAP-0042",), id="one"),
                                  pytest.param(("--all",), id="all")])
def test_an_unreachable_database_is_one_line(tmp_path: Path, url: str, reason: str,
                                             args: tuple[str, ...]) -> None:
    line = one_line_error(kapbot("export", "fhir", *args, "--out", str(tmp_path / "o"),
                                 cwd=tmp_path, KAPBOT_DATABASE_URL=url))

    assert line.startswith("kapbot: error: database ")
    assert reason in line
    assert SECRET not in line
    assert not (tmp_path / "o").exists()


def test_an_unmigrated_database_says_to_run_db_upgrade(fresh_database_url: str,
                                                       tmp_path: Path) -> None:
    line = one_line_error(kapbot("export", "fhir", "KAP-0042", cwd=tmp_path,
                                 KAPBOT_DATABASE_URL=fresh_database_url))

    assert "run `kapbot db upgrade`" in line


def test_a_bad_policy_file_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(kapbot("export", "fhir", "KAP-0042", cwd=tmp_path,
                                 KAPBOT_POLICY=str(tmp_path / "missing.toml")))

    assert "cannot read" in line


@pytest.mark.parametrize("command", [("export",), ("export", "fhir")])
def test_every_export_command_has_help(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = kapbot(*command, "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "FHIR" in result.stdout
    assert result.stdout.startswith(f"Usage: kapbot {' '.join(command)} ")
