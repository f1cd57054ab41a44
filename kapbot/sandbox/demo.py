"""`kapbot demo`: the whole pathway, played by three clinicians on a local Slack.

Everything is real but Slack: the Bolt app behind waitress, the services, the outbox and
its delivery worker, the audit chain — on a fresh `kapbot-demo.db` and a simulated clock,
so a two-hour session passes in a moment.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from waitress.server import create_server

from kapbot.app import Kapbot
from kapbot.clock import ManualClock
from kapbot.config import Settings
from kapbot.sandbox.driver import SlackDriver
from kapbot.sandbox.screen import Screen
from kapbot.sandbox.slack_api import SlackEmulator
from kapbot.store import audit, outbox

DEMO_DB = "kapbot-demo.db"
SECRET = "demo-signing-secret"
PEOPLE = {"admin": ("UDEMOADMN", "Clinic administrator"), "rowe": ("UDEMOROWE", "Dr Rowe"),
          "lee": ("UDEMOLEE0", "Sam Lee"), "chen": ("UDEMOCHEN", "Ari Chen")}
CHECKLIST = {"Consent is current": True,
             "Fasting: no food for 2 h and no liquids for 30 min": True,
             "No alcohol, sedatives or benzodiazepines in the last 24 h": True,
             "Transport home arranged (no driving until the next day)": True,
             "Emergency contact on file": True, "Systolic BP (mmHg)": "148",
             "Diastolic BP (mmHg)": "88", "Heart rate (bpm)": "76", "SpO2 (%)": "98"}
DISCHARGE = {"Patient is alert and oriented": True, "Vitals are back within limits": True,
             "Escort is present": True, "Systolic BP (mmHg)": "128",
             "Diastolic BP (mmHg)": "82", "Heart rate (bpm)": "72", "SpO2 (%)": "98"}


class _Stage:
    """Runs the app against the emulator and shows what each person newly sees."""

    def __init__(self, console: Console, bot: Kapbot, slack: SlackEmulator,
                 driver: SlackDriver, clock: ManualClock) -> None:
        self.console, self.bot, self.slack, self.driver, self.clock = (
            console, bot, slack, driver, clock)
        self._shown: dict[str, set[str]] = {name: set() for name in PEOPLE}

    def deliver(self) -> None:
        """Fire what the clock has made due, then send everything queued: the clock moves
        over the second for which Slack's pace holds a channel's next post, or a message's
        next edit, as the real worker would wait it out."""
        self.bot.timer.run_once()
        worker = self.bot.delivery.delivery
        while True:
            if worker.run_once():
                continue
            due = outbox.next_due(self.bot.db)
            if due is None or due - self.clock.now() > outbox.EDIT_PACE:
                return
            self.clock.set(max(due, self.clock.now()))

    def at(self, instant: datetime, title: str) -> None:
        """Move the simulated clock on; whatever falls due on the way fires."""
        self.clock.set(instant)
        self.step(title)
        self.deliver()

    def command(self, who: str, text: str) -> None:
        self.driver.command(who, "/kap", text)
        self.deliver()

    def click(self, who: str, label: str, where: str | None = None,
              containing: str | None = None) -> None:
        """Press a button; by default the one on the session card in the pair's channel
        (the same buttons wait on the App Home, and on the reminders)."""
        self.driver.click(who, label, where=where or self._pair_channel(who),
                          containing=containing)
        self.deliver()

    def _pair_channel(self, who: str) -> str:
        return next(name for name in self.driver.sees(who).channels
                    if name.startswith("#kap-pair-")).removeprefix("#")

    def submit(self, who: str, answers: dict[str, str | bool]) -> None:
        """Fill and submit; a notice the app shows instead (cautions) is read, then closed."""
        self.driver.fill_and_submit(who, answers)
        self.deliver()
        if self.driver.sees(who).modal:
            self.show(who)
            self.driver.close_modal(who)

    def step(self, title: str) -> None:
        self.console.rule(f"[bold]{title}[/] · {self.clock.now():%a %H:%M} UTC")

    def show(self, *names: str) -> None:
        self.deliver()
        for name in names:
            screen = self.driver.sees(name)
            fresh = [t for t in self._everything(screen) if t not in self._shown[name]]
            self._shown[name].update(fresh)
            for text in fresh:
                self.console.print(Panel(text, title=f"{PEOPLE[name][1]} sees",
                                         title_align="left", expand=False))

    @staticmethod
    def _everything(screen: Screen) -> list[str]:
        found = [f"{channel}: {m}" for channel, ms in screen.channels.items() for m in ms]
        found += [f"(direct message) {m}" for m in screen.dm]
        found += [f"(only you) {m}" for m in screen.ephemeral]
        if screen.modal:
            found.append(f"(modal) {screen.modal}")
        return found


@contextmanager
def _running(path: Path, clock: ManualClock) -> Iterator[tuple[Kapbot, SlackEmulator, str]]:
    with SlackEmulator() as slack:
        for name, (user_id, real) in PEOPLE.items():
            slack.workspace.add_user(name, real_name=real, user_id=user_id)
        slack.workspace.add_channel("kap-on-call", members=[
            PEOPLE["rowe"][0], PEOPLE["admin"][0], slack.workspace.bot.id])
        settings = Settings(database_url=f"sqlite:///{path}", admins=PEOPLE["admin"][0],
                            slack_api_url=slack.base_url, slack_bot_token=slack.token,
                            slack_signing_secret=SECRET, policy=None)
        bot = Kapbot(settings, clock=clock)
        server = create_server(bot.wsgi(), host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            yield bot, slack, f"http://127.0.0.1:{server.effective_port}/slack/events"
        finally:
            server.close()
            bot.db.dispose()


def run_demo(console: Console, directory: Path) -> int:
    """Play the pathway; return the number of audit entries, verified."""
    path = directory / DEMO_DB
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    clock = ManualClock(start)
    with _running(path, clock) as (bot, slack, url):
        driver = SlackDriver(slack, url, SECRET)
        stage = _Stage(console, bot, slack, driver, clock)
        _play(stage, clock, start)
        result = audit.verify(bot.db)
    if not result.whole:
        raise RuntimeError(f"audit chain broken at entry {result.first_bad}")
    console.rule("[bold]Audit")
    console.print(f"Audit chain intact: {result.entries} entries, every accepted and refused "
                  f"action. The demo's database is {path.name}; try\n"
                  f"  KAPBOT_DATABASE_URL=sqlite:///{path.name} kapbot audit verify")
    return result.entries


def _play(stage: _Stage, clock: ManualClock, start: datetime) -> None:
    _before(stage, start)
    _during(stage, clock)
    _after(stage, clock)


def _before(stage: _Stage, start: datetime) -> None:
    """Roster, plan, booking, the reminders, the checklist and the sign-off."""
    stage.step("The administrator builds the roster and a care pair")
    stage.command("admin", "roster add @rowe prescriber")
    stage.command("admin", "roster add @lee therapist")
    stage.command("admin", "patient add KAP-0042 @rowe @lee")
    stage.show("admin", "rowe")

    stage.step("Dr Rowe posts a dose plan; Sam Lee books tomorrow's session")
    stage.command("rowe", "plan KAP-0042")
    stage.submit("rowe", {"Formulation": "RDT", "Route": "Sublingual",
                          "Dose per session (mg)": "100", "Maximum dose (mg)": "150",
                          "Sessions authorised": "6",
                          "Valid until": (start + timedelta(days=90)).date().isoformat(),
                          "Notes": "Start low; review after session 2."})
    session_at = start + timedelta(days=1, hours=1)
    stage.command("lee", f"session KAP-0042 {session_at:%Y-%m-%d %H:%M}")
    stage.show("lee")

    stage.at(session_at - timedelta(hours=24), "The day before: Sam is reminded of the checklist")
    stage.show("lee")
    stage.at(session_at - timedelta(hours=2), "Two hours before: both are reminded")
    stage.show("lee", "rowe")

    stage.at(session_at - timedelta(hours=1), "Sam presses Start an hour early: refused, "
             "with every reason")
    stage.click("lee", "Start session")
    stage.show("lee")

    stage.at(session_at - timedelta(minutes=25), "Sam completes the pre-session checklist; "
             "Dr Rowe signs off from the reminder")
    stage.click("lee", "Pre-session checklist")
    stage.submit("lee", CHECKLIST)
    stage.click("rowe", "Sign off dose", where="dm")
    stage.show("rowe")
    stage.submit("rowe", {"Dose for this session (mg)": "100"})


def _during(stage: _Stage, clock: ManualClock) -> None:
    """The double check, the start, check-ins, the missed one and its escalation."""

    stage.step("The double check: Sam reads 150 mg off the tablets — the start is refused")
    stage.click("lee", "Confirm presence")
    stage.submit("lee", {"I am in the room with the patient": True,
                         "Dose on the dispensed tablets (mg)": "150", "Route": "Sublingual"})
    stage.click("lee", "Start session")
    stage.show("lee")

    stage.step("The right tablets: presence confirmed, the session starts")
    stage.click("lee", "Confirm presence")
    stage.submit("lee", {"I am in the room with the patient": True,
                         "Dose on the dispensed tablets (mg)": "100", "Route": "Sublingual"})
    stage.click("lee", "Start session")
    started = clock.now()
    stage.show("lee")

    stage.at(started + timedelta(minutes=20), "+20 min: Sam answers the check-in prompt")
    stage.show("lee")
    stage.click("lee", "Check in", where="dm", containing="check-in 1 ")
    stage.at(started + timedelta(minutes=40), "+40 min: the vitals reminder; Sam records them")
    stage.click("lee", "Record vitals")
    stage.submit("lee", {"Systolic BP (mmHg)": "138", "Diastolic BP (mmHg)": "86",
                         "Heart rate (bpm)": "82", "SpO2 (%)": "96",
                         "Sedation (MOAA/S 0-5)": "4", "Dissociation (0-4)": "2"})
    stage.show("lee")
    stage.at(started + timedelta(minutes=45), "+45 min: check-in 2 was missed — escalated to "
             "Dr Rowe and #kap-on-call")
    stage.show("rowe")
    stage.at(started + timedelta(minutes=50), "+50 min: unacknowledged, so it repeats; Dr Rowe "
             "acknowledges")
    stage.click("rowe", "Acknowledge", where="kap-on-call", containing="reminder 1")
    stage.show("rowe")
    stage.click("lee", "Check in")
    for minutes in (60, 80, 100, 120):
        stage.at(started + timedelta(minutes=minutes), f"+{minutes} min: check-in prompt")
        stage.click("lee", "Check in", where="dm", containing=f"check-in {minutes // 20} ")
    stage.show("lee")
    stage.at(started + timedelta(minutes=125), "After two hours: the session ends and Dr "
             "Rowe gets the summary")
    stage.click("lee", "End session", containing="monitored for the minimum time")
    stage.submit("lee", {**DISCHARGE, "Notes for the prescriber":
                         "Tearful at +60, settled by +90; keen to continue."})
    stage.show("lee", "rowe")


def _after(stage: _Stage, clock: ManualClock) -> None:
    """The summary chased, the follow-ups due, one done and one missed."""
    ended = clock.now()
    stage.at(ended + timedelta(days=1), "The next day: the integration session falls due, "
             "and the unacknowledged summary is chased")
    stage.show("lee", "rowe")
    stage.click("rowe", "Acknowledge", where="dm", containing="Post-session summary")
    stage.click("lee", "Mark done", where="dm", containing="Integration session")
    stage.submit("lee", {"PHQ-9 (0-27)": "11", "GAD-7 (0-21)": "8"})
    stage.show("rowe")
    stage.at(ended + timedelta(days=7), "A week later: the check-in falls due")
    stage.show("lee")
    stage.at(ended + timedelta(days=10), "Its window closes undone: marked missed, Dr Rowe "
             "is told")
    stage.show("rowe")
