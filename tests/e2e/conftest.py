"""The real `kapbot run` process, in HTTP mode, against the local Slack — on both databases."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import func, select

from kapbot.sandbox import SlackDriver, SlackEmulator
from kapbot.store.db import Database
from kapbot.store.models import OutboxMessage

SIGNING_SECRET = "e2e-signing-secret"
KAPBOT = Path(sys.executable).parent / "kapbot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    slack: SlackEmulator
    driver: SlackDriver
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    clock_file: Path
    offset: float = 0.0

    def advance(self, minutes: float) -> None:
        """Move the running kapbot's clock forward (it reads the offset file)."""
        self.offset += minutes * 60
        self.clock_file.write_text(str(self.offset))
        time.sleep(0.02)  # a new mtime, even on coarse file systems

    def delivered(self, seconds: float = 10) -> None:
        """Wait until the worker has sent everything queued."""
        db = Database(self.database_url)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                with db.reading() as tx:
                    pending = tx.exec(select(func.count()).select_from(OutboxMessage).where(
                        OutboxMessage.state == "pending")).one()
                if pending == 0:
                    return
                time.sleep(0.05)
            raise AssertionError("the outbox did not drain")
        finally:
            db.dispose()

    database_url: str = ""


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path,
                 seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kapbot run exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"kapbot run never became healthy: {log.read_text()[-2000:]}")


@pytest.fixture
def database_url(db: Database) -> str:
    """The test database (migrated, empty) as a URL another process can open."""
    return db.url.render_as_string(hide_password=False)


@pytest.fixture
def kapbot(database_url: str, tmp_path: Path) -> Iterator[Running]:
    with SlackEmulator() as slack:
        for name, user_id in (("admin", "UADMIN"), ("rowe", "UPRESCRIB"), ("lee", "UTHERAPST"),
                              ("chen", "UOTHERTHR")):
            slack.workspace.add_user(name, user_id=user_id)
        port = free_port()
        log = tmp_path / "kapbot.log"
        clock_file = tmp_path / "clock-offset"
        clock_file.write_text("0")
        env = {**os.environ, "SLACK_BOT_TOKEN": slack.token,
               "SLACK_SIGNING_SECRET": SIGNING_SECRET, "KAPBOT_SLACK_API_URL": slack.base_url,
               "KAPBOT_PORT": str(port), "KAPBOT_DATABASE_URL": database_url,
               "KAPBOT_ADMINS": "UADMIN", "KAPBOT_DELIVERY_POLL_SECONDS": "0.1",
               "KAPBOT_CLOCK_OFFSET_FILE": str(clock_file)}
        env.pop("SLACK_APP_TOKEN", None)
        with log.open("wb") as out:
            process = subprocess.Popen([str(KAPBOT), "run"], env=env, stdout=out,
                                       stderr=subprocess.STDOUT, cwd=tmp_path)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, process, log)
            driver = SlackDriver(slack, f"{url}/slack/events", SIGNING_SECRET)
            yield Running(slack, driver, process, url, log, clock_file,
                          database_url=database_url)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
