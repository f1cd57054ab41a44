"""The `kapbot` command, run as the clinic's administrator runs it: a separate process.

Bad input is one line on stderr, `kapbot: error: …`, naming what is wrong, and exit
status 2 — never a traceback. The database commands run against a fresh SQLite file and
a scratch PostgreSQL database created and dropped here (the shared test database is
never touched).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kapbot.store import migrate
from kapbot.store.db import normalise_url
from tests.conftest import DATABASES, POSTGRES_URL, URL_SECRET

DEFAULT_POLICY = resources.files("kapbot").joinpath("default_policy.toml").read_text("utf-8")
SECRET = URL_SECRET  # the password in a database URL that no output may show
FUTURE_REVISION = "0099_from_a_newer_kapbot"


def _kapbot() -> str:
    found = shutil.which("kapbot") or str(Path(sys.executable).parent / "kapbot")
    assert Path(found).exists(), "the kapbot console script is not installed"
    return found


def kapbot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `kapbot ARGS` with only the KAPBOT_* variables given here."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KAPBOT_")}
    environment.update({"COLUMNS": "200", **env})
    return subprocess.run([_kapbot(), *args], capture_output=True, text=True, cwd=cwd,
                          env=environment, timeout=120, check=False)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The refusal a person sees: exit 2, nothing on stdout, one `kapbot: error:` line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kapbot: error: "), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def _policy_file(tmp_path: Path, body: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, "utf-8")
    return path


def _edited(old: str, new: str) -> str:
    assert old in DEFAULT_POLICY, old
    return DEFAULT_POLICY.replace(old, new, 1)


def _stamp(url: str, revision: str) -> None:
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"),
                               {"v": revision})
    finally:
        engine.dispose()


def test_kapbot_reports_its_version(tmp_path: Path) -> None:
    result = kapbot("--version", cwd=tmp_path)

    assert result.returncode == 0
    assert "0.1.0" in result.stdout


# --- kapbot policy check ---------------------------------------------------------------------


def test_the_packaged_policy_passes_its_check(tmp_path: Path) -> None:
    packaged = resources.files("kapbot").joinpath("default_policy.toml")

    result = kapbot("policy", "check", str(packaged), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "valid policy" in result.stdout
    assert "5 checklist items" in result.stdout
    assert "25–300 mg" in result.stdout
    assert "sublingual, buccal" in result.stdout


@pytest.mark.parametrize(("body", "key", "reason"), [
    pytest.param('colour = "teal"\n' + DEFAULT_POLICY, "colour", "unknown key",
                 id="unknown top-level key"),
    pytest.param(_edited("min_mg = 25", "min_mg = 25\nmin_mgs = 30"), "dose.min_mgs",
                 "unknown key", id="unknown key in a section"),
    pytest.param(_edited("max_mg = 300", 'max_mg = "300"'), "dose.max_mg", "integer",
                 id="wrong type"),
    pytest.param(_edited("min_mg = 25", "min_mg = 400"), "dose",
                 "min_mg (400) is greater than max_mg (300)", id="min above max"),
    pytest.param(_edited('routes = ["sublingual", "buccal"]', 'routes = ["sublingual", '
                                                               '"intravenous"]'),
                 "medication.routes", "'intravenous' is not allowed", id="intravenous route"),
    pytest.param(_edited('timezone = "UTC"', 'timezone = "Mars/Olympus_Mons"'), "timezone",
                 "unknown timezone 'Mars/Olympus_Mons'", id="unknown timezone"),
    pytest.param(_edited('escalation_channel = "kap-on-call"', ""), "escalation_channel",
                 "required key is missing", id="missing key"),
    pytest.param(_edited("spo2_flag_below = 92", "spo2_flag_below = 40"),
                 "vitals.spo2_flag_below", "greater than or equal to 50", id="out of range"),
])
def test_a_bad_policy_file_is_refused_in_one_line_naming_the_key(tmp_path: Path, body: str,
                                                                 key: str, reason: str) -> None:
    path = _policy_file(tmp_path, body)

    line = one_line_error(kapbot("policy", "check", str(path), cwd=tmp_path))

    assert str(path) in line
    assert re.search(rf"\b{re.escape(key)}(\.\d+)?: ", line), f"{key} is not named: {line}"
    assert reason in line


def test_a_file_that_is_not_toml_is_refused_in_one_line(tmp_path: Path) -> None:
    path = _policy_file(tmp_path, "[dose\nmin_mg = = 25\n")

    line = one_line_error(kapbot("policy", "check", str(path), cwd=tmp_path))

    assert str(path) in line
    assert "not valid TOML" in line


@pytest.mark.parametrize(("name", "reason"), [("missing.toml", "No such file or directory"),
                                              (".", "Is a directory")])
def test_an_unreadable_policy_file_is_refused_in_one_line(tmp_path: Path, name: str,
                                                          reason: str) -> None:
    path = tmp_path / name

    line = one_line_error(kapbot("policy", "check", str(path), cwd=tmp_path))

    assert "cannot read" in line
    assert reason in line


def test_a_policy_file_that_is_not_text_is_refused_in_one_line(tmp_path: Path) -> None:
    """A binary file (or one saved as UTF-16 by a word processor) is bad input like any other."""
    path = tmp_path / "policy.toml"
    path.write_bytes(DEFAULT_POLICY.encode("utf-16"))

    line = one_line_error(kapbot("policy", "check", str(path), cwd=tmp_path))

    assert str(path) in line


# --- kapbot policy show ----------------------------------------------------------------------


def test_policy_show_prints_the_packaged_default(tmp_path: Path) -> None:
    result = kapbot("policy", "show", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "packaged default" in result.stdout
    for setting in ("dose.max_mg", "windows.presence_valid_minutes", "checklist.consent",
                    "timezone"):
        assert setting in result.stdout


def test_policy_show_json_is_the_whole_packaged_default(tmp_path: Path) -> None:
    result = kapbot("policy", "show", "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["source"] == "packaged default"
    assert shown["policy"]["dose"]["max_mg"] == 300
    assert shown["policy"]["medication"]["routes"] == ["sublingual", "buccal"]
    assert [i["id"] for i in shown["policy"]["checklist"]] == [
        "consent", "fasting", "no_substances", "transport", "emergency_contact"]


def test_policy_show_follows_kapbot_policy(tmp_path: Path) -> None:
    clinic_policy = _policy_file(tmp_path, _edited("max_mg = 300", "max_mg = 250").replace(
        'timezone = "UTC"', 'timezone = "Europe/Berlin"'), "clinic-policy.toml")

    as_json = kapbot("policy", "show", "--json", cwd=tmp_path, KAPBOT_POLICY=str(clinic_policy))
    as_table = kapbot("policy", "show", cwd=tmp_path, KAPBOT_POLICY=str(clinic_policy))

    assert as_json.returncode == 0, as_json.stderr
    shown = json.loads(as_json.stdout)
    assert shown["source"] == str(clinic_policy)
    assert shown["policy"]["dose"]["max_mg"] == 250
    assert shown["policy"]["timezone"] == "Europe/Berlin"
    assert as_table.returncode == 0, as_table.stderr
    assert str(clinic_policy) in as_table.stdout
    assert "Europe/Berlin" in as_table.stdout


def test_policy_show_refuses_a_bad_kapbot_policy_in_one_line(tmp_path: Path) -> None:
    bad = _policy_file(tmp_path, _edited("min_mg = 25", "min_mg = 400"))

    line = one_line_error(kapbot("policy", "show", "--json", cwd=tmp_path,
                                 KAPBOT_POLICY=str(bad)))

    assert "dose:" in line
    assert "greater than max_mg" in line


# --- kapbot db upgrade / status, kapbot audit verify ---------------------------------------------


def test_db_upgrade_builds_a_new_database_and_status_shows_it(fresh_database_url: str,
                                                              tmp_path: Path) -> None:
    env = {"KAPBOT_DATABASE_URL": fresh_database_url}
    newest = migrate.head()

    before = kapbot("db", "status", "--json", cwd=tmp_path, **env)
    before_table = kapbot("db", "status", cwd=tmp_path, **env)
    upgraded = kapbot("db", "upgrade", cwd=tmp_path, **env)
    again = kapbot("db", "upgrade", cwd=tmp_path, **env)
    after = kapbot("db", "status", "--json", cwd=tmp_path, **env)
    after_table = kapbot("db", "status", cwd=tmp_path, **env)
    verified = kapbot("audit", "verify", cwd=tmp_path, **env)

    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout) == {"current": None, "head": newest, "up_to_date": False}
    assert before_table.returncode == 0, before_table.stderr
    assert "none" in before_table.stdout
    assert " no " in before_table.stdout
    for result in (upgraded, again):
        assert result.returncode == 0, result.stderr
        assert f"is at migration {newest} (newest)" in result.stdout
    assert json.loads(after.stdout) == {"current": newest, "head": newest, "up_to_date": True}
    assert after_table.returncode == 0, after_table.stderr
    assert " yes " in after_table.stdout
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == "audit chain intact: 0 entries"
    everything = "".join(r.stdout + r.stderr for r in (before, before_table, upgraded, again,
                                                          after, after_table, verified))
    assert SECRET not in everything, "the database password was printed"


def test_audit_verify_on_an_unmigrated_database_says_to_run_db_upgrade(
        fresh_database_url: str, tmp_path: Path) -> None:
    if fresh_database_url.startswith("sqlite:///"):  # an empty file, as sqlite3 leaves one
        Path(fresh_database_url.removeprefix("sqlite:///")).touch()
    line = one_line_error(kapbot("audit", "verify", cwd=tmp_path,
                                 KAPBOT_DATABASE_URL=fresh_database_url))

    assert "run `kapbot db upgrade`" in line
    assert "migration none" in line
    assert SECRET not in line


def test_db_upgrade_refuses_a_database_from_a_newer_kapbot(fresh_database_url: str,
                                                           tmp_path: Path) -> None:
    env = {"KAPBOT_DATABASE_URL": fresh_database_url}
    assert kapbot("db", "upgrade", cwd=tmp_path, **env).returncode == 0
    _stamp(fresh_database_url, FUTURE_REVISION)

    line = one_line_error(kapbot("db", "upgrade", cwd=tmp_path, **env))
    status = kapbot("db", "status", "--json", cwd=tmp_path, **env)

    assert FUTURE_REVISION in line
    assert "newer kapbot" in line
    assert json.loads(status.stdout)["current"] == FUTURE_REVISION
    assert json.loads(status.stdout)["up_to_date"] is False


NOTHING_LISTENING = f"postgresql://clinic:{SECRET}@127.0.0.1:1/kapbot"
NO_SUCH_DIRECTORY = "sqlite:////no-such-directory/kapbot.db"
UNREACHABLE = [
    pytest.param(("db", "upgrade"), NOTHING_LISTENING, "Connection refused", id="pg-upgrade"),
    pytest.param(("db", "status"), NOTHING_LISTENING, "Connection refused", id="pg-status"),
    pytest.param(("audit", "verify"), NOTHING_LISTENING, "Connection refused", id="pg-verify"),
    pytest.param(("db", "upgrade"), NO_SUCH_DIRECTORY, "unable to open database file",
                 id="sqlite-upgrade"),
    pytest.param(("audit", "verify"), NO_SUCH_DIRECTORY, "no such file",
                 id="sqlite-verify"),
]
if "postgresql" in DATABASES:
    UNREACHABLE.append(pytest.param(
        ("db", "status"), make_url(POSTGRES_URL).set(database="kapbot_no_such_database")
        .render_as_string(hide_password=False), "does not exist", id="pg-no-such-database"))


@pytest.mark.parametrize(("command", "url", "reason"), UNREACHABLE)
def test_an_unreachable_database_is_one_line(tmp_path: Path, command: tuple[str, ...], url: str,
                                             reason: str) -> None:
    line = one_line_error(kapbot(*command, cwd=tmp_path, KAPBOT_DATABASE_URL=url))

    assert line.startswith("kapbot: error: database ")
    assert reason in line
    assert SECRET not in line


def test_a_malformed_database_url_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(kapbot("db", "status", cwd=tmp_path,
                                 KAPBOT_DATABASE_URL="kapbot database on the clinic server"))

    assert "database" in line


def test_a_mistyped_command_or_option_is_one_line_naming_where_help_is(tmp_path: Path) -> None:
    assert one_line_error(kapbot("db", "status", "--nope", cwd=tmp_path)) == (
        "kapbot: error: No such option '--nope'. (see `kapbot db status --help`)")
    assert "No such command 'nosuch'" in one_line_error(kapbot("nosuch", cwd=tmp_path))
