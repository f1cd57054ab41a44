"""A running local Slack with two clinicians, and a small Bolt app wired to it."""

from collections.abc import Iterator

import pytest

from kapbot.sandbox import SlackDriver, SlackEmulator
from tests.sandbox.little_app import SIGNING_SECRET, LittleApp, build_app, serving


class FakeClock:
    """Slack's clock, moved by hand, so a 3-second trigger can expire in no time."""

    def __init__(self, now: float = 1_772_442_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.workspace.add_user("ada", real_name="Dr Ada Prescriber")
        emulator.workspace.add_user("ben", real_name="Ben Therapist")
        yield emulator


@pytest.fixture
def slack_on_clock(clock: FakeClock) -> Iterator[SlackEmulator]:
    with SlackEmulator(clock=clock) as emulator:
        emulator.workspace.add_user("ada", real_name="Dr Ada Prescriber")
        yield emulator


@pytest.fixture
def little_app(slack: SlackEmulator) -> LittleApp:
    return build_app(slack.client())


@pytest.fixture
def app_url(little_app: LittleApp) -> Iterator[str]:
    with serving(little_app.app) as url:
        yield url


@pytest.fixture
def driver(slack: SlackEmulator, app_url: str) -> SlackDriver:
    return SlackDriver(slack, app_url, SIGNING_SECRET)


@pytest.fixture
def care_channel(slack: SlackEmulator) -> str:
    """A private channel the app created and invited both clinicians to."""
    client = slack.client()
    channel = client.conversations_create(name="care-pair-1", is_private=True)["channel"]["id"]
    client.conversations_invite(channel=channel, users=[slack.workspace.user("ada").id,
                                                        slack.workspace.user("ben").id])
    return channel
