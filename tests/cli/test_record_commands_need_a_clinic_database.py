"""Every record command refuses a database it cannot use in one line, saying which and why,
and writes nothing: not to an unmigrated database, not to an output file."""

from pathlib import Path

import pytest

from tests.test_cli import NO_SUCH_DIRECTORY, NOTHING_LISTENING, SECRET, kapbot, one_line_error

COMMANDS = {
    "roster import": ("roster", "import", "roster.csv"),
    "roster list": ("roster", "list"),
    "patients": ("patients",),
    "patients CODE": ("patients", "KAP-0042"),
    "report sessions": ("report", "sessions", "--from", "2026-03-01", "--to", "2026-03-31"),
    "report sessions --csv": ("report", "sessions", "--from", "2026-03-01", "--to",
                              "2026-03-31", "--csv", "report.csv"),
    "audit export": ("audit", "export", "--since", "2026-03-01"),
    "audit export --out": ("audit", "export", "--since", "2026-03-01", "--out", "audit.jsonl"),
    "outbox": ("outbox",),
    "outbox retry": ("outbox", "retry", "1"),
}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "roster.csv").write_text("slack_user_id,roles,display_name\n"
                                         "U012AB3CD,prescriber,Dr Rowe\n", "utf-8")
    return tmp_path


def written(workdir: Path) -> list[str]:
    return sorted(p.name for p in workdir.iterdir() if p.suffix in (".jsonl", ".part")
                  or p.name == "report.csv")


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_an_unmigrated_database_says_to_run_db_upgrade(fresh_database_url: str,
                                                       workdir: Path,
                                                       command: tuple[str, ...]) -> None:
    line = one_line_error(kapbot(*command, cwd=workdir, KAPBOT_DATABASE_URL=fresh_database_url))

    assert "run `kapbot db upgrade`" in line
    assert SECRET not in line
    assert written(workdir) == []
    if fresh_database_url.startswith("sqlite:///"):  # a mistyped path leaves no empty file
        assert not Path(fresh_database_url.removeprefix("sqlite:///")).exists()


@pytest.mark.parametrize("url", [NOTHING_LISTENING, NO_SUCH_DIRECTORY],
                         ids=["postgresql", "sqlite"])
@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_an_unreachable_database_is_one_line(workdir: Path, command: tuple[str, ...],
                                             url: str) -> None:
    line = one_line_error(kapbot(*command, cwd=workdir, KAPBOT_DATABASE_URL=url))

    assert line.startswith("kapbot: error: database ")
    assert SECRET not in line
    assert written(workdir) == []
