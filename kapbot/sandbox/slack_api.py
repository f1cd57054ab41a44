"""A stand-in for Slack's Web API, served over real HTTP on 127.0.0.1 from inside the process.

kapbot talks to it exactly as it talks to Slack, through slack_sdk's WebClient with
`base_url` pointed here, so encoding, retry handlers and timeouts are exercised for real
rather than mocked. It is a test double, so a threaded stdlib server is enough.

`apps.connections.open`, called with the app-level token, hands out Socket Mode URLs of
`socket_mode` (see kapbot.sandbox.socket_mode).
"""

import json
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs

from slack_sdk import WebClient

from kapbot.sandbox.faults import ChannelRateLimit, Fault, FaultKind, FaultPlan
from kapbot.sandbox.responses import post_to_response_url
from kapbot.sandbox.socket_mode import SocketModeServer
from kapbot.sandbox.web_methods import WebMethods
from kapbot.sandbox.workspace import Workspace

RESPONSE_URL_METHOD = "response_url"
"""The name response-URL posts go by in the call record and in fault filters."""
CONNECTIONS_OPEN = "apps.connections.open"
"""The one method for the app-level token, and the only one it may call."""

_STRUCTURED_ARGS = ("blocks", "attachments", "metadata", "view")

Answer = tuple[int, dict[str, Any] | str, dict[str, str]]
"""HTTP status, body (JSON object or text) and extra headers."""


@dataclass(frozen=True)
class RecordedCall:
    """One request as the emulator saw it, for tests to assert on."""

    at: float
    method: str
    args: dict[str, Any]
    """Decoded arguments, JSON strings inside form bodies included; never the token."""
    status: int
    response: dict[str, Any] | str | None
    """What was answered, or would have been when the connection was dropped."""
    fault: FaultKind | None = None
    answered: bool = True


class _BadRequestError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _decode_args(content_type: str, query: str, raw: bytes) -> dict[str, Any]:
    args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if not raw:
        return args
    if content_type.startswith("application/json"):
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _BadRequestError("invalid_json") from None
        if not isinstance(body, dict):
            raise _BadRequestError("invalid_json")
        args.update(body)
    elif content_type.startswith("application/x-www-form-urlencoded"):
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        args.update({k: v[-1] for k, v in form.items()})
    else:
        raise _BadRequestError("invalid_form_data")
    return args


def _readable(args: dict[str, Any]) -> dict[str, Any]:
    """Arguments with the JSON strings of form bodies decoded, so records compare as data."""
    readable = dict(args)
    for key in _STRUCTURED_ARGS:
        value = readable.get(key)
        if isinstance(value, str):
            with suppress(json.JSONDecodeError):  # if not JSON, the method refuses it
                readable[key] = json.loads(value)
    return readable


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: "SlackEmulator") -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.server.emulator._serve(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a test run's output should be the tests', not an access log."""


class SlackEmulator:
    """The local Slack: a workspace, its Web API and response URLs, and scripted faults.

    Use it as a context manager, or call start() and stop(). Point slack_sdk at
    `base_url` with `token`; read what happened from `workspace` and `calls()`. An app in
    Socket Mode uses `app_token` and talks to `socket_mode`.
    """

    def __init__(self, *, token: str = "xoxb-sandbox-token",
                 app_token: str = "xapp-1-A0SANDBOX-1-sandbox", team_id: str = "T0SANDBOX",
                 team_name: str = "Sandbox Clinic", app_id: str = "A0SANDBOX",
                 bot_user_id: str = "U0SANDBOT", bot_id: str = "B0SANDBOT",
                 bot_name: str = "kapbot", clock: Callable[[], float] = time.time,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = token
        self.app_token = app_token
        self.clock = clock
        self.workspace = Workspace(team_id=team_id, team_name=team_name, app_id=app_id,
                                   bot_user_id=bot_user_id, bot_id=bot_id, bot_name=bot_name,
                                   clock=clock)
        self.methods = WebMethods(self.workspace)
        self.socket_mode = SocketModeServer(self.workspace, host=host)
        self.faults = FaultPlan()
        self.channel_rate_limit: ChannelRateLimit | None = None
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._calls: list[RecordedCall] = []
        self._calls_lock = threading.Lock()

    # ---- life cycle --------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the Slack emulator is already running")
        self._stopping.clear()
        self._server = _Server(self._address, self)
        self.workspace.public_url = f"http://{self._address[0]}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="slack-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self.socket_mode.stop()  # after the Web API, so no app can ask for a new URL
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self.workspace.public_url:
            raise RuntimeError("the Slack emulator is not running: call start() first")
        return self.workspace.public_url

    @property
    def base_url(self) -> str:
        """The Web API root, as slack_sdk's `base_url` (and KAPBOT_SLACK_API_URL) expect."""
        return f"{self.url}/api/"

    def client(self, **kwargs: Any) -> WebClient:
        """A WebClient aimed here with the bot token; kwargs go to WebClient."""
        return WebClient(base_url=self.base_url, token=self.token, **kwargs)

    # ---- what happened -----------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Every request so far (of one method, if given), oldest first."""
        with self._calls_lock:
            return [c for c in self._calls if method is None or c.method == method]

    @property
    def rate_limited_count(self) -> int:
        """How many requests were answered 429, injected or from the channel limit."""
        return sum(1 for call in self.calls() if call.status == 429)

    def limit_channel_posts(self, per_second: float | None = 1.0) -> None:
        """Turn Slack's per-channel limit on chat.postMessage on (or off with None)."""
        self.channel_rate_limit = (None if per_second is None
                                   else ChannelRateLimit(per_second, self.clock))

    # ---- serving ---------------------------------------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        path, _, query = handler.path.partition("?")
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        content_type = handler.headers.get("Content-Type", "")
        if path.startswith("/api/"):
            method = path.removeprefix("/api/")
            self._serve_call(handler, method,
                             lambda: self._decode(handler, content_type, query, raw),
                             lambda args, token: self._web_api(method, args, token))
        elif path.startswith("/response/"):
            url_id = path.removeprefix("/response/")
            self._serve_call(handler, RESPONSE_URL_METHOD,
                             lambda: self._decode_response_body(raw),
                             lambda body, _token: self._response_url(url_id, body))
        else:
            self._send(handler, (404, "not_found", {}))

    def _decode(self, handler: _Handler, content_type: str, query: str,
                raw: bytes) -> dict[str, Any]:
        args = _decode_args(content_type, query, raw)
        authorization = handler.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            args.setdefault("token", authorization.removeprefix("Bearer "))
        return args

    @staticmethod
    def _decode_response_body(raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _BadRequestError("invalid_payload") from None
        if not isinstance(body, dict):
            raise _BadRequestError("invalid_payload")
        return body

    def _serve_call(self, handler: _Handler, method: str,
                    decode: Callable[[], dict[str, Any]],
                    answer: Callable[[dict[str, Any], str | None], Answer]) -> None:
        try:
            args = decode()
        except _BadRequestError as bad:
            status = 200 if method != RESPONSE_URL_METHOD else 400
            refusal: dict[str, Any] | str = ({"ok": False, "error": bad.error}
                                             if status == 200 else bad.error)
            self._record(method, {}, status, refusal)
            self._send(handler, (status, refusal, {}))
            return
        token = args.pop("token", None)
        args = _readable(args)
        fault = self.faults.take(method)
        if fault is not None and fault.kind is not FaultKind.DROP_AFTER_ACCEPT:
            self._fail(handler, method, args, fault)
            return
        limited = self._channel_limit(method, args)
        if limited is not None:
            self._record(method, args, limited[0], limited[1])
            self._send(handler, limited)
            return
        result = answer(args, token)
        if fault is not None:
            self._record(method, args, result[0], result[1], fault.kind, answered=False)
            handler.close_connection = True
            return
        self._record(method, args, result[0], result[1])
        self._send(handler, result)

    def _fail(self, handler: _Handler, method: str, args: dict[str, Any], fault: Fault) -> None:
        if fault.kind is FaultKind.HANG:
            self._stopping.wait(fault.seconds)
            self._record(method, args, 0, None, fault.kind, answered=False)
            handler.close_connection = True
            return
        if fault.kind is FaultKind.RATE_LIMITED:
            answer: Answer = (429, {"ok": False, "error": "ratelimited"},
                              {"Retry-After": str(fault.retry_after)})
        else:
            answer = (fault.status, {"ok": False, "error": "fatal_error"}, {})
        self._record(method, args, answer[0], answer[1], fault.kind)
        self._send(handler, answer)

    def _channel_limit(self, method: str, args: dict[str, Any]) -> Answer | None:
        if self.channel_rate_limit is None or method != "chat.postMessage":
            return None
        ref = str(args.get("channel", ""))
        channel = self.workspace.find_channel(ref) if ref else None
        retry_after = self.channel_rate_limit.admit(channel.id if channel else ref)
        if retry_after is None:
            return None
        return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}

    def _web_api(self, method: str, args: dict[str, Any], token: str | None) -> Answer:
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if token not in (self.token, self.app_token):
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        if (method == CONNECTIONS_OPEN) != (token == self.app_token):
            return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
        if method == CONNECTIONS_OPEN:
            return 200, {"ok": True, "url": self.socket_mode.open_url()}, {}
        return 200, self.methods.call(method, args), {}

    def _response_url(self, url_id: str, body: dict[str, Any]) -> Answer:
        status, text = post_to_response_url(self.workspace, url_id, body)
        return status, text, {}

    def _record(self, method: str, args: dict[str, Any], status: int,
                response: dict[str, Any] | str | None, fault: FaultKind | None = None,
                *, answered: bool = True) -> None:
        call = RecordedCall(self.clock(), method, args, status, response, fault, answered)
        with self._calls_lock:
            self._calls.append(call)

    @staticmethod
    def _send(handler: _Handler, answer: Answer) -> None:
        status, body, headers = answer
        if isinstance(body, str):
            payload, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            payload, content_type = json.dumps(body).encode(), "application/json; charset=utf-8"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            handler.close_connection = True  # the caller gave up waiting; nothing to tell
