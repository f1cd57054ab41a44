"""A local Slack: the Web API emulator kapbot talks to, and a driver that acts as people.

Used by `kapbot demo`, the end-to-end tests and benchmarks, where no Slack workspace
(and no internet) is at hand.
"""

from kapbot.sandbox.driver import AppResponse, SlackDriver, SubmitOutcome
from kapbot.sandbox.faults import FaultKind
from kapbot.sandbox.screen import Screen
from kapbot.sandbox.slack_api import RecordedCall, SlackEmulator

__all__ = ["AppResponse", "FaultKind", "RecordedCall", "Screen", "SlackDriver",
           "SlackEmulator", "SubmitOutcome"]
