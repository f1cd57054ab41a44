"""How what people do reaches an app, and how the app's ack comes back.

Over HTTP, Slack POSTs each request to the app's Request URL, signed with the signing
secret, and the response is the ack. Over Socket Mode, Slack sends an envelope down the
WebSocket the app opened, and the app acks it by envelope_id, the ack's `payload` being
what the HTTP response body would have been. The driver speaks to either through the
small interface below, so what people do, and what Slack does with the answer, is
written once.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from kapbot.sandbox.socket_mode import EnvelopeType, SocketModeServer

STALE_AGE = 10 * 60
"""How old a replayed request's timestamp is: past the 5 minutes apps must accept."""
NO_ANSWER = 0
"""AppResponse.status when the app never acked (Socket Mode)."""

Tamper = Literal["unsigned", "bad_signature", "stale_timestamp"]


@dataclass(frozen=True)
class AppResponse:
    """The app's answer to one request, and how long it took."""

    status: int
    """The HTTP status; over Socket Mode, 200 for an ack and NO_ANSWER (0) for none."""
    body: str
    """The response body; over Socket Mode, the ack's payload as JSON ("" for none)."""
    headers: dict[str, str]
    elapsed: float
    """Seconds from sending to the answer; over Socket Mode, from the envelope's delivery
    (time spent queued for a connection is Slack's, not the app's)."""

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


class Transport(Protocol):
    """Carries requests to the app; each call returns its ack."""

    def command(self, form: Mapping[str, str]) -> AppResponse:
        """A slash command's fields."""
        ...

    def interaction(self, payload: dict[str, Any]) -> AppResponse:
        """An interaction payload: block_actions, view_submission, view_closed…"""
        ...

    def event(self, callback: dict[str, Any]) -> AppResponse:
        """An Events API event_callback."""
        ...

    def retry(self, retry_num: int, reason: str) -> AppResponse:
        """The last request again, marked as Slack marks its re-deliveries."""
        ...


class HttpTransport:
    """Requests POSTed to the app's Request URL, signed as Slack signs them."""

    def __init__(self, app_url: str, signing_secret: str, *, timeout: float = 10.0) -> None:
        self.app_url = app_url
        self.timeout = timeout
        self.signer = SignatureVerifier(signing_secret)
        self._last: tuple[bytes, str] | None = None

    def command(self, form: Mapping[str, str]) -> AppResponse:
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def interaction(self, payload: dict[str, Any]) -> AppResponse:
        return self.command({"payload": json.dumps(payload)})

    def event(self, callback: dict[str, Any]) -> AppResponse:
        return self.post(json.dumps(callback).encode(), "application/json")

    def post(self, body: bytes, content_type: str, *, signer: SignatureVerifier | None = None,
             unsigned: bool = False, timestamp: int | None = None,
             extra: Mapping[str, str] | None = None, remember: bool = True) -> AppResponse:
        """POST a body, signed with the app's secret unless `signer` or `unsigned` say
        otherwise."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **(extra or {})}
        if not unsigned:
            headers["X-Slack-Signature"] = str((signer or self.signer).generate_signature(
                timestamp=stamp, body=body))
        if remember:
            self._last = (body, content_type)
        request = urllib.request.Request(self.app_url, data=body, headers=headers,
                                         method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status, text, answer_headers = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as refused:
            status, text, answer_headers = refused.code, refused.read(), refused.headers
        return AppResponse(status, text.decode("utf-8", "replace"), dict(answer_headers),
                           time.monotonic() - started)

    def retry(self, retry_num: int, reason: str) -> AppResponse:
        if self._last is None:
            raise RuntimeError("nothing was sent yet, so there is nothing to retry")
        body, content_type = self._last
        return self.post(body, content_type, extra={"X-Slack-Retry-Num": str(retry_num),
                                                    "X-Slack-Retry-Reason": reason})

    def send_tampered(self, how: Tamper, body: bytes | None = None) -> AppResponse:
        if body is None:
            if self._last is None:
                raise RuntimeError("give a body, or send a real request first")
            body, content_type = self._last
        else:
            content_type = "application/x-www-form-urlencoded"
        if how == "unsigned":
            return self.post(body, content_type, unsigned=True, remember=False)
        if how == "bad_signature":
            return self.post(body, content_type, signer=SignatureVerifier("not-the-secret"),
                             remember=False)
        return self.post(body, content_type, remember=False,
                         timestamp=int(time.time()) - STALE_AGE)


class SocketModeTransport:
    """Envelopes down the app's Socket Mode connection; acks back up it.

    An envelope sent while the app has no connection waits up to `queue_timeout` for one;
    once delivered, the app has `timeout` to ack. No ack gives status NO_ANSWER.
    """

    def __init__(self, server: SocketModeServer, *, timeout: float = 10.0,
                 queue_timeout: float = 30.0) -> None:
        self.server = server
        self.timeout = timeout
        self.queue_timeout = queue_timeout
        self._last: tuple[EnvelopeType, dict[str, Any]] | None = None

    def command(self, form: Mapping[str, str]) -> AppResponse:
        return self._send("slash_commands", dict(form))

    def interaction(self, payload: dict[str, Any]) -> AppResponse:
        return self._send("interactive", payload)

    def event(self, callback: dict[str, Any]) -> AppResponse:
        return self._send("events_api", callback)

    def retry(self, retry_num: int, reason: str) -> AppResponse:
        if self._last is None:
            raise RuntimeError("nothing was sent yet, so there is nothing to retry")
        envelope_type, payload = self._last
        return self._send(envelope_type, payload, retry_attempt=retry_num, retry_reason=reason)

    def _send(self, envelope_type: EnvelopeType, payload: dict[str, Any], *,
              retry_attempt: int | None = None, retry_reason: str | None = None) -> AppResponse:
        if retry_attempt is None:
            self._last = (envelope_type, payload)
        envelope = self.server.send(envelope_type, payload, retry_attempt=retry_attempt,
                                    retry_reason=retry_reason)
        acked = self.server.wait_for_ack(envelope, ack_timeout=self.timeout,
                                         queue_timeout=self.queue_timeout)
        ack, delivered = envelope.ack, envelope.delivered_at or envelope.queued_at
        if not acked or ack is None or envelope.acked_at is None:
            return AppResponse(NO_ANSWER, "", {}, time.monotonic() - delivered)
        answer = ack.get("payload")
        body = "" if answer is None else json.dumps(answer)
        headers = {"Content-Type": "application/json"} if body else {}
        return AppResponse(200, body, headers, envelope.acked_at - delivered)
