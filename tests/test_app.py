"""`kapbot run`'s wiring: settings it cannot start without, and the health check."""

import io
import os
import subprocess
import sys
from pathlib import Path

from kapbot.app import Kapbot
from kapbot.config import Settings
from kapbot.store.db import Database

KAPBOT = Path(sys.executable).parent / "kapbot"


def call(app, path: str, method: str = "GET") -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": method,
                         "wsgi.input": io.BytesIO(b"")},
                        lambda s, headers: status.append(s)))
    return status[0], body


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    bot = Kapbot(Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}",
                          slack_bot_token="xoxb-test", slack_signing_secret="s",
                          slack_api_url="http://127.0.0.1:9/api/"))
    app = bot.wsgi()
    assert call(app, "/healthz") == ("200 OK", b"ok\n")
    bot.db = Database("postgresql://nobody@127.0.0.1:9/none")
    assert call(app, "/healthz")[0] == "503 Service Unavailable"
    assert call(app, "/elsewhere")[0] == "404 Not Found"


def test_run_stops_at_once_naming_each_missing_secret_and_where_to_find_it(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAPBOT_", "SLACK_"))}
    done = subprocess.run([str(KAPBOT), "run"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "SLACK_BOT_TOKEN is not set" in line and "OAuth & Permissions" in line
    assert "SLACK_SIGNING_SECRET is not set" in line
