"""The server half of RFC 6455 WebSockets, as much as Socket Mode needs, from the stdlib.

The sandbox ships inside kapbot, so a WebSocket library here would become a runtime
dependency of every clinic's deployment for the sake of a test double. The server side
one local client needs is small: the opening handshake, text messages (fragmented or
not), ping and pong, and the closing handshake. Client frames must be masked and data
must be text, as Slack's own servers expect; anything else ends the connection.

Reading belongs to one thread, which polls so that another thread can ask it to reset
the connection (an abrupt drop, as when a load balancer dies); sending is safe from any
thread.
"""

import base64
import binascii
import contextlib
import hashlib
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass
from enum import IntEnum
from typing import NoReturn
from urllib.parse import parse_qs, urlsplit

_ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
POLL_SECONDS = 0.05
"""How often a waiting reader checks whether it has been asked to reset."""
CLOSE_GRACE_SECONDS = 2.0
"""How long, after sending a close frame, the peer has to close before the socket is cut."""
MAX_HEADER_BYTES = 16 * 1024
MAX_MESSAGE_BYTES = 4 * 1024 * 1024

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_TOO_BIG = 1009


class Opcode(IntEnum):
    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


class ConnectionEndedError(Exception):
    """The connection is over: closed or reset by either side, or broken."""


class HandshakeError(Exception):
    """The opening request was not a WebSocket upgrade this server accepts."""


@dataclass(frozen=True)
class UpgradeRequest:
    """The client's opening HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-case names."""


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + _ACCEPT_GUID).encode()).digest()).decode()


def _frame(opcode: Opcode, payload: bytes) -> bytes:
    """One unfragmented, unmasked frame: servers never mask (RFC 6455 §5.1)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


def _unmask(data: bytes, key: bytes) -> bytes:
    whole = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(whole, "big")).to_bytes(len(data),
                                                                                "big")


class ServerWebSocket:
    """One accepted TCP connection, from the upgrade request to its end."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._send_lock = threading.Lock()
        self._reset_requested = threading.Event()
        self._close_sent_at: float | None = None
        self._ended = False
        self.pings = 0
        """Pings received from the client (each answered with a pong)."""

    # ---- the opening handshake ---------------------------------------------------------

    def read_upgrade_request(self) -> UpgradeRequest:
        while b"\r\n\r\n" not in self._buffer:
            if len(self._buffer) > MAX_HEADER_BYTES:
                raise HandshakeError("request headers too large")
            self._fill()
        head, _, rest = bytes(self._buffer).partition(b"\r\n\r\n")
        self._buffer = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HandshakeError(f"not an HTTP request line: {lines[0]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        target = urlsplit(parts[1])
        query = {k: v[-1] for k, v in parse_qs(target.query).items()}
        return UpgradeRequest(parts[0], target.path, query, headers)

    def accept(self, request: UpgradeRequest) -> None:
        """Switch protocols, or raise HandshakeError if the request is no valid upgrade."""
        headers = request.headers
        key = headers.get("sec-websocket-key", "")
        try:
            key_ok = len(base64.b64decode(key, validate=True)) == 16
        except (binascii.Error, ValueError):
            key_ok = False
        problems = [
            problem for problem, bad in (
                ("method must be GET", request.method != "GET"),
                ("Upgrade must be websocket", headers.get("upgrade", "").lower() != "websocket"),
                ("Connection must include Upgrade",
                 "upgrade" not in headers.get("connection", "").lower()),
                ("Sec-WebSocket-Version must be 13",
                 headers.get("sec-websocket-version") != "13"),
                ("Sec-WebSocket-Key must be 16 bytes in base64", not key_ok),
            ) if bad]
        if problems:
            raise HandshakeError("; ".join(problems))
        self._send_raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept_key(key)}\r\n\r\n")

    def refuse(self, status: int, reason: str) -> None:
        """Answer the upgrade request with an HTTP error (the connection then ends)."""
        body = f"{reason}\n".encode()
        with self._send_lock, contextlib.suppress(OSError):
            self._sock.sendall(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
                               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                               .encode() + body)

    # ---- sending -------------------------------------------------------------------------

    def send_text(self, text: str) -> None:
        self._send(_frame(Opcode.TEXT, text.encode()))

    def send_close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Start the closing handshake; the reader ends when the peer answers or leaves."""
        with self._send_lock:
            if self._close_sent_at is not None:
                return
            self._close_sent_at = time.monotonic()
        self._send(_frame(Opcode.CLOSE, struct.pack("!H", code) + reason.encode()[:123]),
                   closing=True)

    def _send_raw(self, text: str) -> None:
        self._send(text.encode())

    def _send(self, data: bytes, *, closing: bool = False) -> None:
        with self._send_lock:
            if self._ended or (self._close_sent_at is not None and not closing):
                raise ConnectionEndedError("the connection is closing")
            try:
                self._sock.sendall(data)
            except OSError as broken:
                raise ConnectionEndedError(str(broken)) from broken

    # ---- receiving -----------------------------------------------------------------------

    def receive(self) -> str:
        """The next text message, answering pings on the way.

        Raises ConnectionEndedError when the connection is over: the peer closed it (its
        close frame is answered), reset it, broke the protocol, or a reset was requested.
        """
        fragments: list[bytes] = []
        while True:
            final, opcode, payload = self._read_frame()
            if opcode == Opcode.PING:
                self.pings += 1
                if self._close_sent_at is None:  # once closing, only the close is answered
                    self._send(_frame(Opcode.PONG, payload))
            elif opcode == Opcode.PONG:
                continue
            elif opcode == Opcode.CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.send_close(CLOSE_NORMAL if code == 1005 else code)
                raise ConnectionEndedError(f"closed by the peer ({code})")
            elif opcode == Opcode.BINARY:
                self._fail(CLOSE_UNSUPPORTED_DATA, "binary data")
            elif opcode == Opcode.TEXT and fragments:
                self._fail(CLOSE_PROTOCOL_ERROR, "a new message inside a fragmented one")
            elif opcode == Opcode.CONTINUATION and not fragments:
                self._fail(CLOSE_PROTOCOL_ERROR, "a continuation of nothing")
            else:
                fragments.append(payload)
                if sum(len(f) for f in fragments) > MAX_MESSAGE_BYTES:
                    self._fail(CLOSE_TOO_BIG, "message too big")
                if final:
                    try:
                        return b"".join(fragments).decode("utf-8")
                    except UnicodeDecodeError:
                        self._fail(1007, "text that is not UTF-8")

    def _fail(self, code: int, why: str) -> NoReturn:
        with contextlib.suppress(ConnectionEndedError):
            self.send_close(code, why)
        raise ConnectionEndedError(why)

    def _read_frame(self) -> tuple[bool, Opcode, bytes]:
        first, second = self._read(2)
        if first & 0x70:
            self._fail(CLOSE_PROTOCOL_ERROR, "reserved bits set (no extension was agreed)")
        try:
            opcode = Opcode(first & 0x0F)
        except ValueError:
            self._fail(CLOSE_PROTOCOL_ERROR, f"unknown opcode {first & 0x0F}")
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        if not second & 0x80:
            self._fail(CLOSE_PROTOCOL_ERROR, "client frames must be masked")
        if opcode >= Opcode.CLOSE and (length > 125 or not first & 0x80):
            self._fail(CLOSE_PROTOCOL_ERROR, "control frames are short and unfragmented")
        if length > MAX_MESSAGE_BYTES:
            self._fail(CLOSE_TOO_BIG, "frame too big")
        key = self._read(4)
        return bool(first & 0x80), opcode, _unmask(self._read(length), key)

    def _read(self, count: int) -> bytes:
        while len(self._buffer) < count:
            self._fill()
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def _fill(self) -> None:
        while True:
            if self._reset_requested.is_set():
                raise ConnectionEndedError("reset")
            if (self._close_sent_at is not None
                    and time.monotonic() - self._close_sent_at > CLOSE_GRACE_SECONDS):
                raise ConnectionEndedError("the peer never answered the close frame")
            try:
                readable, _, _ = select.select([self._sock], [], [], POLL_SECONDS)
                if not readable:
                    continue
                chunk = self._sock.recv(65536)
            except OSError as broken:
                raise ConnectionEndedError(str(broken)) from broken
            if not chunk:
                raise ConnectionEndedError("the peer closed the connection")
            self._buffer += chunk
            return

    # ---- ending --------------------------------------------------------------------------

    def request_reset(self) -> None:
        """Ask the reading thread to cut the connection with a TCP reset, no close frame."""
        self._reset_requested.set()

    @property
    def reset_requested(self) -> bool:
        return self._reset_requested.is_set()

    def end(self) -> None:
        """Release the socket: a reset (RST) if one was requested, else an orderly close.

        Called by the reading thread once receive() has ended.
        """
        with self._send_lock:
            self._ended = True
            if self._reset_requested.is_set():
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
            self._sock.close()
