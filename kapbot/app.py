"""Wiring: settings → database, services, Bolt app, delivery worker, and the server.

Socket Mode when SLACK_APP_TOKEN is set (no inbound port); otherwise HTTP on a
production WSGI server (waitress) at POST /slack/events, with GET /healthz.
"""

import logging
import os
import socket
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from kapbot.clock import Clock, FileOffsetClock, SystemClock
from kapbot.config import Settings
from kapbot.delivery import Delivery, DeliveryThread
from kapbot.handlers import actions, commands, events, guard, views
from kapbot.outgoing import Outgoing
from kapbot.scheduler import Timer
from kapbot.services import Services
from kapbot.store import migrate
from kapbot.store.db import Database

log = logging.getLogger(__name__)
CHANNEL_SALT = "kapbot-pair"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class Kapbot:
    """One running kapbot: its database, services, Slack app, delivery worker and timer."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        assert settings.slack_bot_token is not None
        self.settings = settings
        self.db = Database(settings.database_url)
        migrate.ensure_schema(self.db)
        self.policy = settings.load_policy()
        if clock is None:
            offset = settings.clock_offset_file
            clock = FileOffsetClock(offset) if offset else SystemClock()
        self.services = Services(self.db, self.policy, clock, settings.admin_ids)
        token = settings.slack_bot_token.get_secret_value()
        self.client = WebClient(token=token, base_url=settings.slack_api_url, timeout=10)
        secret = settings.slack_signing_secret
        self.app = App(client=self.client, process_before_response=True,
                       signing_secret=secret.get_secret_value() if secret else None,
                       request_verification_enabled=not settings.socket_mode,
                       token_verification_enabled=False)
        for surface in (guard, commands, actions, views, events):
            surface.register(self.app, self.services)
        worker_client = WebClient(token=token, base_url=settings.slack_api_url, timeout=10,
                                  retry_handlers=[])  # retries are the outbox's, idempotently
        worker = f"{socket.gethostname()}:{os.getpid()}"
        self.delivery = DeliveryThread(Delivery(
            self.db, worker_client, Outgoing(self.services, self.policy, CHANNEL_SALT),
            self.services.clock, worker), poll=settings.delivery_poll_seconds)
        self.timer = Timer(self.services, worker, settings.timer_poll_seconds)
        # What this replica queues (a click, a fired reminder) goes at once, not at the poll.
        self.db.on_commit.append(self.delivery.wake)

    def wsgi(self) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
        slack = SlackRequestHandler(self.app)

        def application(environ: dict[str, Any], start_response: StartResponse
                        ) -> Iterable[bytes]:
            path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
            if path == "/healthz" and method == "GET":
                healthy = self.db.ping()
                start_response("200 OK" if healthy else "503 Service Unavailable",
                               [("Content-Type", "text/plain")])
                return [b"ok\n" if healthy else b"database unreachable\n"]
            if path == "/slack/events" and method == "POST":
                return slack(environ, start_response)
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]

        return application

    def run(self) -> None:
        self.delivery.start()
        self.timer.start()
        try:
            if self.settings.socket_mode:
                from slack_bolt.adapter.socket_mode import SocketModeHandler
                assert self.settings.slack_app_token is not None
                log.info("kapbot running in Socket Mode")
                # A 5 s ping notices a silently dropped connection twice as fast as the
                # default 10 s: the clinic's kapbot is deaf for less time after a network fault.
                SocketModeHandler(self.app, self.settings.slack_app_token.get_secret_value(),
                                  ping_interval=5).start()
            else:
                from waitress import serve
                log.info("kapbot listening on port %s (HTTP)", self.settings.port)
                serve(self.wsgi(), host="0.0.0.0", port=self.settings.port, threads=8,
                      ident="kapbot")
        finally:
            self.timer.stop()
            self.delivery.stop()
            self.db.dispose()
