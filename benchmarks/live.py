"""Real servers on the local Slack: `kapbot run`, and the bare Bolt floor beside it.

Every server is its own process on 127.0.0.1, started as a clinic would start it and
stopped at the end of the block. The local Slack (the emulator) lives in the benchmark
process. Requests are shaped by the sandbox's driver — people pressing buttons found by
their labels, filling modals by their input labels — but recorded instead of sent, so
wrk can replay them signed.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlmodel import func, select

from kapbot.care.dosing import PlanForm
from kapbot.clock import SystemClock
from kapbot.policy import load_policy
from kapbot.sandbox import AppResponse, SlackDriver, SlackEmulator
from kapbot.services import Outcome, Services
from kapbot.store.db import Database
from kapbot.store.models import AuditEntry, OutboxMessage

BIN = Path(sys.executable).parent
SIGNING_SECRET = "bench-signing-secret"
ADMIN, PRESCRIBER, THERAPIST = "UADMIN", "UPRESCRIB", "UTHERAPST"
PEOPLE = (("admin", ADMIN), ("rowe", PRESCRIBER), ("lee", THERAPIST))
CODE = "KAP-0001"
ALL_ITEMS = ("consent", "fasting", "no_substances", "transport", "emergency_contact")
VITALS_FORM = {"Systolic BP (mmHg)": "128", "Diastolic BP (mmHg)": "82",
               "Heart rate (bpm)": "74", "SpO2 (%)": "98", "Sedation (MOAA/S 0-5)": "5",
               "Dissociation (0-4)": "1"}
KINDS = ("command", "button", "modal")
"""The three surfaces measured: `/kap status`, the Check in button, the Record vitals form."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_slack() -> Iterator[SlackEmulator]:
    """A running local Slack with the clinic's three people."""
    with SlackEmulator() as slack:
        for name, user_id in PEOPLE:
            slack.workspace.add_user(name, user_id=user_id)
        yield slack


@dataclass
class Server:
    """One server process and the URL Slack would POST to."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def rss_mib(self) -> float:
        """Resident memory of the serving process, from /proc (Linux)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS line: is this Linux?")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path,
                health: str | None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if health is None:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server never became ready: {log.read_text()[-2000:]}")


@contextmanager
def _serve(name: str, command: list[str], env: Mapping[str, str], port: int, folder: Path,
           health: str | None) -> Iterator[Server]:
    log = folder / f"{name}-{port}.log"  # two replicas of one server keep two logs
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                   cwd=folder)
    try:
        _wait_ready(process, port, log, health)
        yield Server(name, process, f"http://127.0.0.1:{port}/slack/events", log)
    finally:
        _stop(process)


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for variable in [v for v in env if v.startswith(("KAPBOT_", "SLACK_", "BENCH_"))]:
        env.pop(variable)
    return env


@contextmanager
def kapbot_run(slack: SlackEmulator, database_url: str, folder: Path) -> Iterator[Server]:
    """`kapbot run` in HTTP mode (waitress, 8 threads), with every other setting default."""
    port = free_port()
    env = {**_clean_env(), "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "KAPBOT_SLACK_API_URL": slack.base_url, "KAPBOT_DATABASE_URL": database_url,
           "KAPBOT_ADMINS": ADMIN, "KAPBOT_PORT": str(port)}
    with _serve("kapbot", [str(BIN / "kapbot"), "run"], env, port, folder, "/healthz") as s:
        yield s


@contextmanager
def bare_bolt(slack: SlackEmulator, folder: Path, process_before_response: bool,
              server: str = "waitress") -> Iterator[Server]:
    """The floor app under waitress (as kapbot) or gunicorn gthread 1 × 8 (the issue's)."""
    port = free_port()
    env = {**_clean_env(), "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "BENCH_SLACK_API_URL": slack.base_url, "BENCH_PORT": str(port),
           "BENCH_PROCESS_BEFORE_RESPONSE": "1" if process_before_response else "0",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    if server == "waitress":
        command = [sys.executable, "-m", "benchmarks.bare_bolt"]
    else:
        command = [str(BIN / "gunicorn"), "-k", "gthread", "-w", "1", "--threads", "8",
                   "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                   "benchmarks.bare_bolt:from_env()"]
    name = f"bare-bolt-{server}-{'tuned' if process_before_response else 'default'}"
    with _serve(name, command, env, port, folder, None) as s:
        yield s


class Recorder:
    """A driver transport that keeps each request's body instead of sending it.

    It answers every request with an empty ack, as kapbot does for the three surfaces
    measured, so the driver updates the local Slack as it would after a real answer.
    """

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def _keep(self, form: Mapping[str, str]) -> AppResponse:
        self.bodies.append(urlencode(form).encode())
        return AppResponse(200, "", {}, 0.0)

    def command(self, form: Mapping[str, str]) -> AppResponse:
        return self._keep(form)

    def interaction(self, payload: dict[str, Any]) -> AppResponse:
        return self._keep({"payload": json.dumps(payload)})

    def event(self, callback: dict[str, Any]) -> AppResponse:
        raise NotImplementedError("events are not measured")

    def retry(self, retry_num: int, reason: str) -> AppResponse:
        raise NotImplementedError("retries are not measured")


def _accepted(outcome: Outcome) -> Outcome:
    if outcome.refused:
        raise RuntimeError("setting up the clinic was refused: " + "; ".join(outcome.reasons))
    return outcome


@dataclass(frozen=True)
class InProgress:
    """A patient of the bench clinic with a session in progress, and their pair's channel
    (by name), where the session's card is."""

    code: str
    channel: str


def open_clinic(slack: SlackEmulator, database_url: str, patients: int = 1
                ) -> list[InProgress]:
    """The pair, and for each patient a channel, a plan and a session started now: what a
    clinic has at noon. The first patient's code is CODE.

    Done through the services in this process (before `kapbot run` starts), so setting
    up costs no delivery round trips; the cards it queues are posted by kapbot's worker.
    """
    ws = slack.workspace
    db = Database(database_url)
    found = []
    try:
        services = Services(db, load_policy(), SystemClock(), admins=frozenset({ADMIN}))
        _accepted(services.add_clinician(ADMIN, PRESCRIBER, ["prescriber"], "Dr Rowe"))
        _accepted(services.add_clinician(ADMIN, THERAPIST, ["therapist"], "Sam Lee"))
        valid = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()
        for number in range(1, patients + 1):
            code = f"KAP-{number:04d}"
            channel = ws.add_channel(f"kap-pair-bench-{number}",
                                     members=[PRESCRIBER, THERAPIST, ws.bot.id],
                                     is_private=True)
            _accepted(services.add_patient(ADMIN, code, PRESCRIBER, THERAPIST, channel.id))
            _accepted(services.post_plan(PRESCRIBER, code, PlanForm(
                "rdt", "sublingual", 100, 150, 6, valid, "")))
            session = _accepted(services.schedule_session(
                THERAPIST, code, datetime.now(UTC) + timedelta(minutes=20))).id
            assert session is not None
            _accepted(services.complete_checklist(THERAPIST, session, ALL_ITEMS, 120, 80, 72,
                                                  98))
            _accepted(services.sign_off_dose(PRESCRIBER, session, 100))
            _accepted(services.confirm_presence(THERAPIST, session, True, 100, "sublingual"))
            _accepted(services.start_session(THERAPIST, session))
            found.append(InProgress(code, channel.name))
    finally:
        db.dispose()
    return found


def drained(database_url: str, seconds: float = 30) -> None:
    """Until kapbot's delivery worker has sent everything queued."""
    db = Database(database_url)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with db.reading() as tx:
                pending = tx.exec(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.state == "pending")).one()
            if pending == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("kapbot's outbox did not drain")
    finally:
        db.dispose()


def audit_count(db: Database) -> int:
    """Audited actions so far: one entry for each action kapbot handled."""
    with db.reading() as tx:
        return int(tx.exec(select(func.count()).select_from(AuditEntry)).one())


def recorded(slack: SlackEmulator, kapbot: Server, patients: Sequence[InProgress], kind: str,
             count: int) -> list[bytes]:
    """`count` distinct requests of one kind, as lee (the therapist) would send them, taking
    the patients' sessions in turn."""
    per_patient = -(-count // len(patients))
    each = [_recorded(slack, kapbot, patient, kind, per_patient) for patient in patients]
    return [body for turn in zip(*each, strict=True) for body in turn][:count]


def _recorded(slack: SlackEmulator, kapbot: Server, patient: InProgress, kind: str,
              count: int) -> list[bytes]:
    """The modal is opened for real once (kapbot answers the button with views.open), then
    reopened in the local Slack after each recorded submission, as lee would reopen it."""
    recorder = Recorder()
    person = SlackDriver(slack, transport=recorder)
    for _ in range(count if kind != "modal" else 0):
        if kind == "command":
            person.command("lee", "/kap", f"status {patient.code}", channel=patient.channel)
        else:
            person.click("lee", "Check in", where=patient.channel)
    if kind == "modal":
        real = SlackDriver(slack, kapbot.url, SIGNING_SECRET)
        answer = real.click("lee", "Record vitals", where=patient.channel)
        if answer.status != 200 or not slack.workspace.modals("lee"):
            raise RuntimeError(f"kapbot did not open the vitals form: {answer}")
        form = slack.workspace.modals("lee")[-1].payload
        for _ in range(count):
            person.fill_and_submit("lee", VITALS_FORM)
            slack.workspace.open_modal(THERAPIST, form)
        slack.workspace.clear_modals(THERAPIST)
    return recorder.bodies


def command_bodies(slack: SlackEmulator, channel: str, count: int) -> list[bytes]:
    """`/kap status` commands for the bare Bolt floor, which only acks them."""
    recorder = Recorder()
    person = SlackDriver(slack, transport=recorder)
    for _ in range(count):
        person.command("lee", "/kap", f"status {CODE}", channel=channel)
    return recorder.bodies
