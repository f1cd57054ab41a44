"""A local Slack: the Web API emulator kapbot talks to (and its Socket Mode side), and a
driver that acts as people, over HTTP or Socket Mode.

Used by `kapbot demo`, the end-to-end tests and benchmarks, where no Slack workspace
(and no internet) is at hand.
"""

from kapbot.sandbox.driver import AppResponse, SlackDriver, SubmitOutcome
from kapbot.sandbox.faults import FaultKind
from kapbot.sandbox.screen import Screen
from kapbot.sandbox.slack_api import RecordedCall, SlackEmulator
from kapbot.sandbox.socket_mode import Connection, Envelope, SocketModeServer

__all__ = ["AppResponse", "Connection", "Envelope", "FaultKind", "RecordedCall", "Screen",
           "SlackDriver", "SlackEmulator", "SocketModeServer", "SubmitOutcome"]
