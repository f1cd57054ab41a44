"""Slack's side of Socket Mode: connection URLs, `hello`, envelopes out, acks back, and drops.

An app in Socket Mode calls `apps.connections.open` with its app-level token (`xapp-…`)
and gets a single-use `ws://127.0.0.1:PORT/link/?ticket=…` URL from here. Once connected
it hears `hello`, then envelopes — `{"envelope_id", "type": "slash_commands" |
"interactive" | "events_api", "payload", "accepts_response_payload"}` — each of which it
acks with `{"envelope_id", "payload"?}` over the same (or any later) connection.

Envelopes sent while no connection is open wait in a queue and go out, in order, right
after the next `hello`, as Slack holds them while an app reconnects. Connections end the
ways real ones do: a `disconnect` message (Slack's routine refresh: the app opens a new
connection, and once it is up Slack closes the old one), a close frame, or an abrupt TCP
reset (see `SocketModeServer.drop`).
"""

import itertools
import json
import secrets
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from kapbot.sandbox.websocket import (
    CLOSE_GOING_AWAY,
    ConnectionEndedError,
    HandshakeError,
    ServerWebSocket,
)
from kapbot.sandbox.workspace import Workspace

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]
DropKind = Literal["disconnect", "close", "reset"]
ConnectionState = Literal["open", "draining", "closed"]
DisconnectReason = Literal["refresh_requested", "warning", "link_disabled"]

LINK_PATH = "/link/"
APPROXIMATE_CONNECTION_SECONDS = 3600
_POLL_SECONDS = 0.05


@dataclass
class Envelope:
    """One payload sent to the app over Socket Mode, and what became of it."""

    id: str
    type: EnvelopeType
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int | None = None
    retry_reason: str | None = None
    queued_at: float = field(default_factory=time.monotonic)
    """time.monotonic() when it was sent (or queued for want of a connection)."""
    connection: int | None = None
    """The number of the connection that carried it; None while it waits for one."""
    delivered_at: float | None = None
    acks: list[dict[str, Any]] = field(default_factory=list)
    """Every ack the app sent for it, in order: one, unless the app acked twice."""
    acked_at: float | None = None
    withdrawn: bool = False
    """Given up on while still queued: it will never be delivered."""

    @property
    def ack(self) -> dict[str, Any] | None:
        return self.acks[0] if self.acks else None

    def message(self) -> dict[str, Any]:
        """The envelope as it goes down the WebSocket."""
        sent: dict[str, Any] = {"envelope_id": self.id, "type": self.type,
                                "payload": self.payload,
                                "accepts_response_payload": self.accepts_response_payload}
        if self.retry_attempt is not None:
            sent["retry_attempt"] = self.retry_attempt
            sent["retry_reason"] = self.retry_reason or ""
        return sent


@dataclass
class Connection:
    """One WebSocket connection from the app, as Slack saw it."""

    number: int
    """1 for the app's first connection, 2 for the one after, and so on."""
    ticket: str
    opened_at: float
    state: ConnectionState = "open"
    """open: envelopes go here; draining: told to reconnect (or being closed), so no new
    envelopes; closed: over."""
    dropped: DropKind | None = None
    """How Slack ended it, if Slack did; None if the app closed it (or is still on it)."""
    closed_at: float | None = None
    ended_because: str = ""
    envelopes: list[str] = field(default_factory=list)
    """Ids of the envelopes it carried, in order."""
    received: list[dict[str, Any] | str] = field(default_factory=list)
    """Every message the app sent on it: acks, and anything else (kept as text)."""
    socket: ServerWebSocket | None = field(default=None, repr=False, compare=False)
    thread: threading.Thread | None = field(default=None, repr=False, compare=False)

    @property
    def pings(self) -> int:
        """Pings the app sent on it (each was answered with a pong)."""
        return self.socket.pings if self.socket is not None else 0


def _envelope_id() -> str:
    return str(uuid.uuid4())


class SocketModeServer:
    """The WebSocket face of the local Slack. The emulator owns one as `socket_mode`.

    It listens only once an app asks for a URL (or start() is called), so HTTP-only runs
    never open its port.
    """

    def __init__(self, workspace: Workspace, *, host: str = "127.0.0.1", port: int = 0,
                 host_label: str = "applink-sandbox") -> None:
        self.workspace = workspace
        self._address = (host, port)
        self._host_label = host_label
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._stopping = threading.Event()
        self._tickets: dict[str, bool] = {}
        """Issued tickets → whether one was already used (each works once)."""
        self._connections: list[Connection] = []
        self._envelopes: list[Envelope] = []
        self._by_id: dict[str, Envelope] = {}
        self._queue: list[Envelope] = []
        self._stray_acks: list[dict[str, Any]] = []
        self._numbers = itertools.count(1)
        self._threads: list[threading.Thread] = []
        """One per accepted TCP connection, refused ones included."""
        self._sockets: set[ServerWebSocket] = set()
        """Every accepted socket not yet ended, mid-handshake ones included."""

    # ---- life cycle --------------------------------------------------------------------

    def start(self) -> Self:
        with self._lock:
            if self._listener is not None:
                return self
            self._stopping.clear()
            listener = socket.create_server(self._address)
            self._listener = listener
            self._accepting = threading.Thread(target=self._accept_loop, args=(listener,),
                                               name="slack-socket-mode", daemon=True)
            self._accepting.start()
            return self

    def stop(self) -> None:
        """Cut every connection, stop listening, and give up on whatever still waits."""
        with self._lock:
            listener, accepting = self._listener, self._accepting
            self._listener = self._accepting = None
            self._stopping.set()
            for connection in self._connections:
                if connection.state != "closed":
                    self._drop(connection, "reset")
            for ws in self._sockets:
                ws.request_reset()
            for envelope in self._queue:
                envelope.withdrawn = True
            self._queue.clear()
            self._changed.notify_all()
        if accepting is not None:
            accepting.join()
        if listener is not None:
            listener.close()
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._listener is not None

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("Socket Mode is not listening: no app asked for a URL yet")
        return int(self._listener.getsockname()[1])

    # ---- apps.connections.open ---------------------------------------------------------

    def open_url(self) -> str:
        """A fresh single-use WebSocket URL, as apps.connections.open returns."""
        self.start()
        ticket = secrets.token_urlsafe(18)
        with self._lock:
            self._tickets[ticket] = False
        return (f"ws://{self._address[0]}:{self.port}{LINK_PATH}?ticket={ticket}"
                f"&app_id={self.workspace.app_id}")

    # ---- what happened -----------------------------------------------------------------

    def connections(self) -> list[Connection]:
        """Every connection the app opened (that got its `hello`), oldest first."""
        with self._lock:
            return list(self._connections)

    def envelopes(self, type: EnvelopeType | None = None) -> list[Envelope]:
        """Every envelope sent so far (of one type, if given), oldest first."""
        with self._lock:
            return [e for e in self._envelopes if type is None or e.type == type]

    @property
    def queued(self) -> list[Envelope]:
        """Envelopes waiting for a connection."""
        with self._lock:
            return list(self._queue)

    @property
    def stray_acks(self) -> list[dict[str, Any]]:
        """Acks naming no envelope Slack sent: an app bug, kept for tests to assert on."""
        with self._lock:
            return list(self._stray_acks)

    @property
    def is_connected(self) -> bool:
        with self._lock:
            return self._open_connection() is not None

    def wait_connected(self, *, count: int = 1, timeout: float = 10.0) -> Connection:
        """Wait until the app has opened `count` connections in all and one is open."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                current = self._open_connection()
                if current is not None and len(self._connections) >= count:
                    return current
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"the app opened {len(self._connections)} Socket Mode connection(s) "
                        f"in {timeout} s, and {'one is' if current else 'none is'} open; "
                        f"expected {count}")
                self._changed.wait(left)

    def wait_until(self, condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """Wait until `condition()` holds, re-checked whenever a connection or envelope
        changes (and every few milliseconds): `wait_until(lambda: old.state == "closed")`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"Socket Mode: still not so after {timeout} s")
                self._changed.wait(min(left, _POLL_SECONDS))

    # ---- envelopes ---------------------------------------------------------------------

    def send(self, type: EnvelopeType, payload: dict[str, Any], *,
             accepts_response_payload: bool | None = None, retry_attempt: int | None = None,
             retry_reason: str | None = None) -> Envelope:
        """Send an envelope now, on the newest open connection, or queue it for the next.

        Slack lets the app answer slash commands and interactions in the ack's payload, and
        not events, hence the default of `accepts_response_payload`.
        """
        if accepts_response_payload is None:
            accepts_response_payload = type != "events_api"
        envelope = Envelope(_envelope_id(), type, payload, accepts_response_payload,
                            retry_attempt, retry_reason)
        with self._changed:
            self._envelopes.append(envelope)
            self._by_id[envelope.id] = envelope
            self._queue.append(envelope)
            self._flush()
            self._changed.notify_all()
        return envelope

    def wait_for_ack(self, envelope: Envelope, *, ack_timeout: float,
                     queue_timeout: float) -> bool:
        """Wait for the app's ack: up to `queue_timeout` for a connection to carry the
        envelope (it is withdrawn after that), then up to `ack_timeout` from its delivery."""
        with self._changed:
            while not envelope.acks:
                if envelope.withdrawn:
                    return False
                if envelope.delivered_at is None:
                    deadline = envelope.queued_at + queue_timeout
                else:
                    deadline = envelope.delivered_at + ack_timeout
                left = deadline - time.monotonic()
                if left <= 0:
                    if envelope.delivered_at is None:
                        self._withdraw(envelope)
                    return False
                self._changed.wait(left)
            return True

    def withdraw(self, envelope: Envelope) -> bool:
        """Give up on a still-queued envelope; False if it was already delivered."""
        with self._lock:
            return self._withdraw(envelope)

    def _withdraw(self, envelope: Envelope) -> bool:
        if envelope not in self._queue:
            return False
        self._queue.remove(envelope)
        envelope.withdrawn = True
        self._changed.notify_all()
        return True

    def _open_connection(self) -> Connection | None:
        """Where the next envelope goes: the newest open connection."""
        return next((c for c in reversed(self._connections) if c.state == "open"), None)

    def _flush(self) -> None:
        while self._queue:
            connection = self._open_connection()
            if connection is None or connection.socket is None:
                return
            envelope = self._queue[0]
            try:
                connection.socket.send_text(json.dumps(envelope.message()))
            except ConnectionEndedError:
                connection.state = "draining"  # its reader is ending; try the next one
                continue
            self._queue.pop(0)
            envelope.connection = connection.number
            envelope.delivered_at = time.monotonic()
            connection.envelopes.append(envelope.id)
            self._changed.notify_all()

    # ---- dropping ------------------------------------------------------------------------

    def drop(self, how: DropKind = "reset", *,
             reason: DisconnectReason = "refresh_requested") -> list[Connection]:
        """End the app's open connections the way Slack's do; returns those dropped.

        - "disconnect": a `disconnect` message with `reason`. Slack's routine refresh: the
          app opens a new connection, and once it is up Slack closes this one.
        - "close": a close frame (1001, going away), then the socket is cut.
        - "reset": the TCP connection is reset, with no close frame: a crash or a network
          fault. The app notices only when its next read fails or its ping goes stale.

        Envelopes sent afterwards wait for the app's next connection.
        """
        with self._changed:
            targets = [c for c in self._connections
                       if c.state == "open" or (c.state == "draining" and how != "disconnect")]
            if not targets:
                raise LookupError("no open Socket Mode connection to drop")
            for connection in targets:
                self._drop(connection, how, reason)
            self._changed.notify_all()
        if how == "reset":  # return once the reset is on the wire
            for connection in targets:
                if connection.thread is not None:
                    connection.thread.join(timeout=5)
        return targets

    def _drop(self, connection: Connection, how: DropKind,
              reason: DisconnectReason = "refresh_requested") -> None:
        if connection.dropped != "disconnect":  # a refreshed connection stays "disconnect"
            connection.dropped = how
        connection.state = "draining"
        ws = connection.socket
        if ws is None:
            return
        try:
            if how == "disconnect":
                ws.send_text(json.dumps({"type": "disconnect", "reason": reason,
                                         "debug_info": {"host": self._host_label}}))
            elif how == "close":
                ws.send_close(CLOSE_GOING_AWAY, "going away")
            else:
                ws.request_reset()
        except ConnectionEndedError:
            ws.request_reset()

    # ---- serving -------------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                readable, _, _ = select.select([listener], [], [], _POLL_SECONDS)
                if not readable:
                    continue
                sock, _ = listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,),
                                      name="slack-socket-mode-connection", daemon=True)
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        ws = ServerWebSocket(sock)
        with self._lock:
            if self._stopping.is_set():
                ws.request_reset()
            self._sockets.add(ws)
        connection = None
        try:
            connection = self._open(ws)
            if connection is None:
                return
            while True:
                self._received(connection, ws.receive())
        except ConnectionEndedError as ended:
            if connection is not None:
                self._closed(connection, str(ended))
        finally:
            ws.end()
            with self._lock:
                self._sockets.discard(ws)

    def _open(self, ws: ServerWebSocket) -> Connection | None:
        """The handshake, the ticket and `hello`; None if the app is turned away."""
        try:
            request = ws.read_upgrade_request()
        except HandshakeError as bad:
            ws.refuse(400, f"Bad Request: {bad}")
            return None
        ticket = request.query.get("ticket", "")
        with self._lock:
            valid = (request.path == LINK_PATH and ticket in self._tickets
                     and not self._tickets[ticket] and not self._stopping.is_set())
            if valid:
                self._tickets[ticket] = True
        if not valid:
            ws.refuse(401, "Unauthorized: unknown or used ticket")
            return None
        try:
            ws.accept(request)
        except HandshakeError as bad:
            ws.refuse(400, f"Bad Request: {bad}")
            return None
        with self._changed:
            connection = Connection(next(self._numbers), ticket, time.monotonic(), socket=ws,
                                    thread=threading.current_thread())
            live = sum(1 for c in self._connections if c.state != "closed") + 1
            ws.send_text(json.dumps({
                "type": "hello", "num_connections": live,
                "debug_info": {"host": self._host_label, "build_number": 1,
                               "approximate_connection_time": APPROXIMATE_CONNECTION_SECONDS},
                "connection_info": {"app_id": self.workspace.app_id}}))
            self._connections.append(connection)
            self._flush()
            for refreshed in self._connections:  # their replacement is up: Slack closes them
                if refreshed.dropped == "disconnect" and refreshed.state == "draining":
                    self._drop(refreshed, "close")
            self._changed.notify_all()
        return connection

    def _received(self, connection: Connection, text: str) -> None:
        try:
            message: Any = json.loads(text)
        except json.JSONDecodeError:
            message = None
        with self._changed:
            self._changed.notify_all()
            if not isinstance(message, dict):
                connection.received.append(text)
                return
            connection.received.append(message)
            envelope_id = message.get("envelope_id")
            if envelope_id is None:
                return
            envelope = self._by_id.get(str(envelope_id))
            if envelope is None:
                self._stray_acks.append(message)
                return
            envelope.acks.append(message)
            if envelope.acked_at is None:
                envelope.acked_at = time.monotonic()

    def _closed(self, connection: Connection, why: str) -> None:
        with self._changed:
            connection.state = "closed"
            connection.closed_at = time.monotonic()
            connection.ended_because = why
            self._changed.notify_all()
