"""The real `kapbot run` process against the local Slack — on both databases.

`kapbot` starts it in HTTP mode; a test module parametrizes it indirectly with
"socket_mode" to start it with SLACK_APP_TOKEN instead, connected to the emulator's
Socket Mode side (and no signing secret, no port):

    pytestmark = pytest.mark.parametrize("kapbot", ["socket_mode"], indirect=True)
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from sqlmodel import col, func, select

from kapbot.sandbox import SlackDriver, SlackEmulator
from kapbot.store.db import Database
from kapbot.store.models import OutboxMessage, TimedTask

SIGNING_SECRET = "e2e-signing-secret"
KAPBOT = Path(sys.executable).parent / "kapbot"
Mode = Literal["http", "socket_mode"]


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
    """The HTTP root ("" in Socket Mode, which listens on no port)."""
    log: Path
    clock_file: Path
    env: dict[str, str] = field(default_factory=dict)
    offset: float = 0.0
    replicas: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the host dies or the OOM killer strikes."""
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        """Start `kapbot run` again, on the same database, port and clock."""
        self.process = launch(self.env, self.log)
        if self.url:
            wait_healthy(self.url, self.process, self.log)
        else:
            wait_connected(self.slack, self.process, self.log)

    def replica(self) -> subprocess.Popen[bytes]:
        """A second `kapbot run` on the same database, as a clinic's second replica."""
        port = free_port()
        log = self.log.with_name(f"replica-{len(self.replicas) + 1}.log")
        process = launch({**self.env, "KAPBOT_PORT": str(port)}, log)
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        self.replicas.append(process)
        return process

    def advance(self, minutes: float) -> None:
        """Move the running kapbot's clock forward (it reads the offset file)."""
        self.offset += minutes * 60
        self.clock_file.write_text(str(self.offset))
        time.sleep(0.02)  # a new mtime, even on coarse file systems

    def travel_to(self, instant: datetime) -> None:
        """Set the running kapbot's clock to `instant` (forward only, as time goes)."""
        self.offset = (instant - datetime.now(UTC)).total_seconds()
        self.clock_file.write_text(str(self.offset))
        time.sleep(0.02)

    def now(self) -> datetime:
        """The running kapbot's time: the real clock moved on by `advance`."""
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def settled(self, seconds: float = 20, due_only: bool = False) -> None:
        """Wait until every task due by kapbot's clock has fired and its messages are out
        (with `due_only`, those not waiting for a later retry)."""
        db = Database(self.database_url)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                with db.reading() as tx:
                    due = tx.exec(select(func.count()).select_from(TimedTask).where(
                        col(TimedTask.state).in_(["pending", "claimed"]),
                        col(TimedTask.due_at) <= self.now())).one()
                if due == 0:
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("due tasks did not fire")
        finally:
            db.dispose()
        self.delivered(max(1.0, deadline - time.monotonic()), due_only)

    def delivered(self, seconds: float = 10, due_only: bool = False) -> None:
        """Wait until the worker has sent everything queued (or everything due now)."""
        db = Database(self.database_url)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                with db.reading() as tx:
                    waiting = select(func.count()).select_from(OutboxMessage).where(
                        OutboxMessage.state == "pending")
                    if due_only:
                        waiting = waiting.where(col(OutboxMessage.next_attempt_at) <= self.now())
                    pending = tx.exec(waiting).one()
                if pending == 0:
                    return
                time.sleep(0.05)
            raise AssertionError("the outbox did not drain")
        finally:
            db.dispose()

    database_url: str = ""


def launch(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([str(KAPBOT), "run"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=log.parent)


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


def wait_connected(slack: SlackEmulator, process: subprocess.Popen[bytes], log: Path,
                   seconds: float = 30) -> None:
    """Until kapbot has opened its Socket Mode connection and heard `hello`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kapbot run exited: {log.read_text()[-2000:]}")
        try:
            slack.socket_mode.wait_connected(timeout=0.1)
            return
        except TimeoutError:
            continue
    raise AssertionError(f"kapbot run never connected in Socket Mode: {log.read_text()[-2000:]}")


@pytest.fixture
def database_url(db: Database) -> str:
    """The test database (migrated, empty) as a URL another process can open."""
    return db.url.render_as_string(hide_password=False)


@pytest.fixture
def kapbot(request: pytest.FixtureRequest, database_url: str,
           tmp_path: Path) -> Iterator[Running]:
    """`kapbot run` in HTTP mode, or in Socket Mode when parametrized with "socket_mode"."""
    mode: Mode = getattr(request, "param", "http")
    with SlackEmulator() as slack:
        for name, user_id in (("admin", "UADMIN"), ("rowe", "UPRESCRIB"), ("lee", "UTHERAPST"),
                              ("chen", "UOTHERTHR")):
            slack.workspace.add_user(name, user_id=user_id)
        port = free_port() if mode == "http" else 0
        log = tmp_path / "kapbot.log"
        clock_file = tmp_path / "clock-offset"
        clock_file.write_text("0")
        slack.workspace.add_channel("kap-on-call", members=["UPRESCRIB", slack.workspace.bot.id])
        env = {**os.environ, "SLACK_BOT_TOKEN": slack.token,
               "KAPBOT_SLACK_API_URL": slack.base_url, "KAPBOT_DATABASE_URL": database_url,
               "KAPBOT_ADMINS": "UADMIN", "KAPBOT_DELIVERY_POLL_SECONDS": "0.1",
               "KAPBOT_TIMER_POLL_SECONDS": "0.2", "KAPBOT_CLOCK_OFFSET_FILE": str(clock_file)}
        for variable in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "KAPBOT_PORT"):
            env.pop(variable, None)
        if mode == "socket_mode":
            env["SLACK_APP_TOKEN"] = slack.app_token  # and no secret, no port: none needed
        else:
            env |= {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "KAPBOT_PORT": str(port)}
        process = launch(env, log)
        running: Running | None = None
        try:
            if mode == "socket_mode":
                url = ""
                wait_connected(slack, process, log)
                driver = SlackDriver.socket_mode(slack)
            else:
                url = f"http://127.0.0.1:{port}"
                wait_healthy(url, process, log)
                driver = SlackDriver(slack, f"{url}/slack/events", SIGNING_SECRET)
            running = Running(slack, driver, process, url, log, clock_file, env,
                              database_url=database_url)
            yield running
        finally:
            for each in [running.process, *running.replicas] if running else [process]:
                each.terminate()
                try:
                    each.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    each.kill()
