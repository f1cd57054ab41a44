"""The emulator's Socket Mode side: its WebSocket, slack_sdk's own client, and a Bolt app.

The app end is what kapbot runs in production — Bolt's SocketModeHandler over slack_sdk's
built-in client — pinging every half second here so that a cut connection is noticed
(and re-opened) in well under a second. The protocol tests speak raw RFC 6455.
"""

import json
import socket
import struct
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient

from kapbot.sandbox import SlackDriver, SlackEmulator, payloads
from kapbot.sandbox.socket_mode import DropKind
from kapbot.sandbox.transports import NO_ANSWER
from kapbot.sandbox.websocket import accept_key
from tests.sandbox.little_app import LittleApp

DOSE = "Dose for this session (mg)"
PRESENT = "I am in the room with the patient"
RFC_KEY, RFC_ACCEPT = "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3


def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def shut(client: SocketModeClient, slack: SlackEmulator) -> None:
    """Close an in-process client promptly. Its close() waits for its reader, which sits
    out a 3-second receive timeout unless the socket is cut first, and for its message
    loop, which sits out a 1-second queue wait unless something arrives."""
    client.auto_reconnect_enabled = client.default_auto_reconnect_enabled = False
    if slack.socket_mode.is_connected:
        slack.socket_mode.drop("reset")
    client.closed = True
    client.message_queue.put(None)  # the loop wakes, sees `closed`, and ends
    client.close()


def socket_mode_app(slack: SlackEmulator, little_app: LittleApp) -> SocketModeHandler:
    return SocketModeHandler(little_app.app, slack.app_token, ping_interval=0.5)


@pytest.fixture
def connected(slack: SlackEmulator, little_app: LittleApp) -> Iterator[SocketModeHandler]:
    """The little Bolt app, connected in Socket Mode."""
    handler = socket_mode_app(slack, little_app)
    handler.connect()
    slack.socket_mode.wait_connected()
    yield handler
    shut(handler.client, slack)


@pytest.fixture
def socket_driver(slack: SlackEmulator, connected: SocketModeHandler) -> SlackDriver:
    return SlackDriver.socket_mode(slack)


# ---- apps.connections.open and the raw protocol --------------------------------------------


def test_apps_connections_open_takes_the_app_level_token_and_no_other(
        slack: SlackEmulator) -> None:
    assert not slack.socket_mode.running  # an HTTP-only run never opens the port
    web = WebClient(base_url=slack.base_url)
    url = web.apps_connections_open(app_token=slack.app_token)["url"]
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port, parts.path) == (
        "ws", "127.0.0.1", slack.socket_mode.port, "/link/")
    assert parse_qs(parts.query)["app_id"] == ["A0SANDBOX"]
    assert web.apps_connections_open(app_token=slack.app_token)["url"] != url  # fresh ticket
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        web.apps_connections_open(app_token=slack.token)
    with pytest.raises(SlackApiError, match="invalid_auth"):
        web.apps_connections_open(app_token="xapp-1-A0SANDBOX-1-forged")
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        WebClient(base_url=slack.base_url, token=slack.app_token).chat_postMessage(
            channel="general", text="an app-level token cannot post")
    assert len(slack.calls("apps.connections.open")) == 4
    assert all("token" not in call.args for call in slack.calls())


def upgrade(url: str, *, key: str = RFC_KEY, path: str | None = None) -> tuple[str, socket.socket]:
    """A WebSocket opening handshake by hand: the answer's head and the socket."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    target = path or f"{parts.path}?{parts.query}"
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {parts.hostname}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        byte = sock.recv(1)
        if not byte:
            break
        head += byte
    return head.decode(), sock


def send_frame(sock: socket.socket, opcode: int, payload: bytes, *, fin: bool = True,
               masked: bool = True) -> None:
    mask = b"\x11\x22\x33\x44"
    head = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    bit = 0x80 if masked else 0
    if length < 126:
        head += bytes([bit | length])
    else:
        head += struct.pack("!BH", bit | 126, length)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if masked else payload
    sock.sendall(head + (mask if masked else b"") + body)


def read_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return data


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    first, second = read_exactly(sock, 2)
    assert first & 0x80 and not second & 0x80  # whole frames, never masked by a server
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", read_exactly(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", read_exactly(sock, 8))[0]
    return first & 0x0F, read_exactly(sock, length)


def test_a_ticket_opens_one_connection_on_the_link_path_only(slack: SlackEmulator) -> None:
    web = WebClient(base_url=slack.base_url)
    url = web.apps_connections_open(app_token=slack.app_token)["url"]
    head, sock = upgrade(url)
    with sock:
        assert head.startswith("HTTP/1.1 101 ")
        assert accept_key(RFC_KEY) == RFC_ACCEPT
        assert f"Sec-WebSocket-Accept: {RFC_ACCEPT}\r\n" in head
        opcode, hello = read_frame(sock)
        assert opcode == 0x1 and json.loads(hello) == {
            "type": "hello", "num_connections": 1,
            "debug_info": {"host": "applink-sandbox", "build_number": 1,
                           "approximate_connection_time": 3600},
            "connection_info": {"app_id": "A0SANDBOX"}}
        again, refused = upgrade(url)
        refused.close()
        assert again.startswith("HTTP/1.1 401 ")  # a ticket works once
    fresh = web.apps_connections_open(app_token=slack.app_token)["url"]
    elsewhere, refused = upgrade(fresh, path="/other/?" + urlsplit(fresh).query)
    refused.close()
    assert elsewhere.startswith("HTTP/1.1 401 ")
    no_key, refused = upgrade(web.apps_connections_open(app_token=slack.app_token)["url"],
                              key="not-sixteen-bytes")
    refused.close()
    assert no_key.startswith("HTTP/1.1 400 ")
    assert [c.number for c in slack.socket_mode.connections()] == [1]


def test_frames_pings_fragments_acks_and_a_protocol_error(slack: SlackEmulator) -> None:
    sm = slack.socket_mode
    _, sock = upgrade(WebClient(base_url=slack.base_url).apps_connections_open(
        app_token=slack.app_token)["url"])
    with sock:
        read_frame(sock)  # hello
        send_frame(sock, 0x9, b"are you there")
        assert read_frame(sock) == (0xA, b"are you there")
        ws = slack.workspace
        envelope = sm.send("events_api", payloads.event_callback(ws, {"type": "app_home_opened",
                                                                      "user": ws.bot.id}))
        opcode, sent = read_frame(sock)
        assert opcode == 0x1 and json.loads(sent) == {
            "envelope_id": envelope.id, "type": "events_api", "payload": envelope.payload,
            "accepts_response_payload": False}
        ack = json.dumps({"envelope_id": envelope.id}).encode()
        send_frame(sock, 0x1, ack[:10], fin=False)  # one message in two frames
        send_frame(sock, 0x9, b"in between")  # control frames may come between them
        send_frame(sock, 0x0, ack[10:])
        assert read_frame(sock) == (0xA, b"in between")
        send_frame(sock, 0x1, ack)  # acked twice
        send_frame(sock, 0x1, json.dumps({"envelope_id": "never-sent"}).encode())
        sm.wait_until(lambda: len(sm.stray_acks) == 1)
        assert envelope.acks == [{"envelope_id": envelope.id}] * 2
        assert sm.stray_acks == [{"envelope_id": "never-sent"}]
        assert envelope.connection == 1 and sm.connections()[0].pings == 2

        send_frame(sock, 0x1, b'{"unmasked": true}', masked=False)
        opcode, reason = read_frame(sock)
        assert opcode == 0x8 and struct.unpack("!H", reason[:2])[0] == 1002
    [connection] = sm.connections()
    sm.wait_until(lambda: connection.state == "closed")
    assert connection.ended_because == "client frames must be masked"


def test_slack_sdks_client_hears_hello_gets_pongs_and_acks(slack: SlackEmulator) -> None:
    heard: list[dict[str, Any]] = []

    def listen(client: BaseSocketModeClient, message: dict[str, Any], _raw: str | None) -> None:
        heard.append(message)
        if "envelope_id" in message:
            client.send_socket_mode_response({"envelope_id": message["envelope_id"]})

    client = SocketModeClient(app_token=slack.app_token, web_client=slack.client())
    client.message_listeners.append(listen)
    try:
        client.connect()
        slack.socket_mode.wait_connected()
        envelope = slack.socket_mode.send("slash_commands", payloads.slash_command(
            slack.workspace, slack.workspace.user("ada"), slack.workspace.general, "/kap",
            "help", trigger_id="T", response_url="R"))
        assert slack.socket_mode.wait_for_ack(envelope, ack_timeout=5, queue_timeout=5)
        eventually(lambda: client.current_session is not None
                   and client.current_session.last_ping_pong_time is not None)
    finally:
        shut(client, slack)
    assert [m["type"] for m in heard] == ["hello", "slash_commands"]
    assert heard[1]["payload"]["command"] == "/kap" and heard[1]["accepts_response_payload"]


# ---- the driver, over Socket Mode ----------------------------------------------------------


def test_commands_clicks_and_forms_over_socket_mode_read_as_over_http(
        socket_driver: SlackDriver, slack: SlackEmulator, care_channel: str) -> None:
    d, sm = socket_driver, slack.socket_mode
    answer = d.command("ada", "/kap", "add @ben <!channel>")
    assert answer.status == 200 and answer.json() == {
        "text": "You typed: add <@U00000002|ben> &lt;!channel&gt;"}
    assert d.sees("ada").ephemeral == ["You typed: add @ben <!channel>"]
    [command] = sm.envelopes()
    assert command.type == "slash_commands" and command.accepts_response_payload
    assert set(command.payload) == set(payloads.slash_command(
        slack.workspace, slack.workspace.user("ada"), slack.workspace.general, "/kap", "",
        trigger_id="", response_url=""))

    d.command("ada", "/kap", "dose")
    refused = d.fill_and_submit("ada", {DOSE: 400, "Route": "Sublingual", PRESENT: True})
    assert refused.action == "errors"
    assert refused.errors == {DOSE: "Above the policy maximum of 300 mg"}
    done = d.fill_and_submit("ada", {DOSE: "100", "Route": "Sublingual", PRESENT: True})
    assert done.action == "close" and slack.workspace.modals("ada") == []
    assert d.sees("ada").dm == [
        "Dose check for KAP-0042: 100 mg sublingual on 2026-03-02, present: ['yes']"]

    d.command("ada", "/kap", "card", channel=care_channel)
    assert d.click("ben", "Start session").status == 200
    assert "*State:* In progress, started by @ben" in d.sees("ada").channels["#care-pair-1"][0]
    assert [(e.type, e.payload.get("type")) for e in sm.envelopes()][2:] == [
        ("interactive", "view_submission"), ("interactive", "view_submission"),
        ("slash_commands", None), ("interactive", "block_actions")]
    assert all(len(e.acks) == 1 and e.connection == 1 for e in sm.envelopes())


def test_a_late_ack_shows_slacks_timeout_note(slack: SlackEmulator,
                                              connected: SocketModeHandler) -> None:
    impatient = SlackDriver.socket_mode(slack, ack_deadline=0.1)
    answer = impatient.command("ada", "/kap", "slow")
    assert answer.status == 200 and answer.elapsed > 0.1
    assert impatient.sees("ada").ephemeral == ['/kap failed with the error "operation_timeout"']


def test_events_and_their_retries_come_as_events_api_envelopes(
        socket_driver: SlackDriver, slack: SlackEmulator, little_app: LittleApp) -> None:
    socket_driver.open_home("ada")
    assert socket_driver.sees("ada").home == "*Waiting on you:* a dose check\n[Open dose check]"
    assert socket_driver.retry(reason="timeout").status == 200
    first, again = slack.socket_mode.envelopes()
    assert first.type == "events_api" and not first.accepts_response_payload
    assert first.payload["type"] == "event_callback" and again.payload == first.payload
    assert (again.retry_attempt, again.retry_reason) == (1, "timeout")
    assert little_app.retry_nums == [None, "1"]
    with pytest.raises(TypeError, match="only HTTP requests are signed"):
        socket_driver.send_tampered("unsigned")


def test_envelopes_wait_for_a_connection_and_go_out_in_order(
        slack: SlackEmulator, little_app: LittleApp) -> None:
    d, sm = SlackDriver.socket_mode(slack), slack.socket_mode
    handler = socket_mode_app(slack, little_app)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(d.command, "ada", "/kap", "first")
        sm.wait_until(lambda: len(sm.queued) == 1)
        second = pool.submit(d.command, "ben", "/kap", "second")
        sm.wait_until(lambda: len(sm.queued) == 2)
        try:
            handler.connect()
            assert first.result(timeout=5).status == second.result(timeout=5).status == 200
        finally:
            shut(handler.client, slack)
    [connection] = sm.connections()
    assert connection.envelopes == [e.id for e in sm.envelopes()]
    assert [e.payload["text"] for e in sm.envelopes()] == ["first", "second"]
    assert d.sees("ada").ephemeral == ["You typed: first"]
    assert d.sees("ben").ephemeral == ["You typed: second"]


def test_an_envelope_no_connection_comes_for_is_given_up(
        slack: SlackEmulator, little_app: LittleApp) -> None:
    d, sm = SlackDriver.socket_mode(slack, queue_timeout=0.2), slack.socket_mode
    answer = d.command("ada", "/kap", "anyone there?")
    assert answer.status == NO_ANSWER and sm.queued == []
    assert d.sees("ada").ephemeral == ['/kap failed with the error "operation_timeout"']
    [given_up] = sm.envelopes()
    assert given_up.withdrawn and given_up.connection is None
    handler = socket_mode_app(slack, little_app)
    try:
        handler.connect()
        assert sm.wait_connected().envelopes == []  # never delivered late
    finally:
        shut(handler.client, slack)


@pytest.mark.parametrize("how", ["disconnect", "close", "reset"])
def test_the_app_reconnects_after_a_drop_and_misses_nothing(
        socket_driver: SlackDriver, slack: SlackEmulator, how: DropKind) -> None:
    sm = slack.socket_mode
    [first] = sm.drop(how)
    answer = socket_driver.command("ada", "/kap", "after the drop")
    assert answer.status == 200 and answer.elapsed < socket_driver.ack_deadline
    assert socket_driver.sees("ada").ephemeral == ["You typed: after the drop"]
    [envelope] = sm.envelopes()
    assert envelope.connection == 2 and len(envelope.acks) == 1
    sm.wait_until(lambda: first.state == "closed")
    assert first.dropped == how and first.envelopes == []
    assert len(slack.calls("apps.connections.open")) == 2
    with pytest.raises(LookupError, match="no open Socket Mode connection"):
        SlackEmulator().socket_mode.drop(how)


def test_stopping_gives_up_on_what_still_waits(slack: SlackEmulator) -> None:
    envelope = slack.socket_mode.send("events_api", {"type": "event_callback"})
    url = urlsplit(WebClient(base_url=slack.base_url).apps_connections_open(
        app_token=slack.app_token)["url"])
    assert url.hostname is not None and url.port is not None
    with socket.create_connection((url.hostname, url.port)):  # says nothing, ever
        started = time.monotonic()
        slack.stop()
        assert time.monotonic() - started < 1
    assert envelope.withdrawn
    assert not slack.socket_mode.wait_for_ack(envelope, ack_timeout=1, queue_timeout=1)
