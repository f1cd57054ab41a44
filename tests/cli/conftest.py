"""The record commands, run as the clinic's administrator runs them: a separate `kapbot`
process against this test's database — SQLite and PostgreSQL, from the shared `db` fixture —
with the clinic's data written through the real services beforehand."""

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kapbot.store.db import Database
from tests.test_cli import DEFAULT_POLICY, kapbot

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def berlin_policy(tmp_path: Path) -> Path:
    """The packaged policy for a clinic in Berlin (UTC+1 in March, before summer time)."""
    path = tmp_path / "clinic-policy.toml"
    path.write_text(DEFAULT_POLICY.replace('timezone = "UTC"', 'timezone = "Europe/Berlin"'),
                    "utf-8")
    return path


@pytest.fixture
def run(db: Database, tmp_path: Path) -> Run:
    """`kapbot ARGS` on this test's database, from a scratch working directory."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return kapbot(*args, cwd=tmp_path,
                      KAPBOT_DATABASE_URL=db.url.render_as_string(hide_password=False), **env)

    return run
