"""docs/protocol/demo-and-worked-example.md, section 10: the worked example, step by step, against
the demo binary, with raw frames (the wire module's encoders and decoder)
so every frame is the one the document shows. Texts the document quotes
(error messages, descriptions) are checked to appear there verbatim, so the
document cannot drift from what the demo says."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from websockets.sync.client import connect as ws_connect

from switchboard_client import wire
from switchboard_client.wire import DeliveryPolicy, ErrorCode, Publishers, ResponseStatus

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol" / "demo-and-worked-example.md"

# Section 10.1, row by row: (encoding, delivery, publishers).
TABLE = {
    "echo": ("text", DeliveryPolicy.Reliable, Publishers.ClientsAndAgents),
    "scene/command": ("json", DeliveryPolicy.Reliable, Publishers.AgentsOnly),
    "scene/entities": ("json", DeliveryPolicy.Latest, Publishers.AgentsOnly),
    "telemetry/frame_time": ("json", DeliveryPolicy.Latest, Publishers.AgentsOnly),
    "telemetry/fps": ("json", DeliveryPolicy.Latest, Publishers.AgentsOnly),
    "telemetry/entity_count": ("json", DeliveryPolicy.Latest, Publishers.AgentsOnly),
}
HARDWARE_REQUESTS = [
    "adapters", "devices", "types", "discover", "register", "command", "state", "configure",
    "describe",
]
HARDWARE_EVENTS = ["discovered", "changed", "error", "adapters"]


@pytest.fixture(scope="module")
def section10() -> str:
    text = DOC.read_text()
    start = text.index("## 10. Worked example")
    # Up to the next section, if one is ever added to this part: a quote
    # must come from section 10 itself.
    after = re.compile(r"^## ", re.M).search(text, start + 1)
    return text[start:after.start() if after else len(text)]


def quoted_in(section: str, text: str) -> None:
    """`text` appears in the section as a JSON-style string literal."""
    assert json.dumps(text) in section, f"docs/protocol/demo-and-worked-example.md, section 10, does not show {text!r}"


class Session:
    """One raw WebSocket; next() skips the periodic publishes the document
    leaves out, and the channels plugin processes advertise whenever they
    (re)start (a demo built with plugins; the document leaves those out)."""

    def __init__(self, ws):
        self.ws = ws
        self.skip: set = set()
        self.plugin_ids: set = set()

    def send(self, frame: bytes) -> None:
        self.ws.send(frame)

    def next(self, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no frame within the timeout"
            frame = wire.decode_frame(self.ws.recv(timeout=remaining))
            if isinstance(frame, wire.DataFrame) and frame.channel in self.skip:
                continue
            if isinstance(frame, wire.AdvertiseFrame) and all(
                    c.name.startswith("plugins/") for c in frame.channels):
                self.plugin_ids.update(c.id for c in frame.channels)
                continue
            if (isinstance(frame, wire.UnadvertiseFrame) and frame.channel_ids
                    and self.plugin_ids >= set(frame.channel_ids)):
                continue
            return frame


def test_step_1_upgrade_with_the_documented_key(demo):
    url = urlparse(demo.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as s:
        s.sendall(
            f"GET / HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            assert chunk, f"connection closed after {head!r}"
            head += chunk
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 101 Switching Protocols"
    headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    assert headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert headers["upgrade"].lower() == "websocket"


def test_steps_2_to_30_the_session(demo, section10):
    with ws_connect(demo.url, compression=None, proxy=None, open_timeout=5, max_size=None) as ws:
        s = Session(ws)

        # 2-3: Hello, Welcome.
        s.send(wire.encode_hello("dashboard", [1]))
        welcome = s.next()
        assert isinstance(welcome, wire.WelcomeFrame)
        assert welcome.client_id != 0
        assert welcome.host_name == "switchboard demo"
        assert re.fullmatch(r"\d+\.\d+\.\d+", welcome.host_version)
        assert (welcome.protocol_version, welcome.min_protocol_version,
                welcome.max_protocol_version) == (1, 1, 1)
        assert welcome.capabilities == ("subscribe-pattern", "request-response", "latest-policy")
        assert re.fullmatch(r"[0-9a-f]{16}", welcome.session_id)
        assert (welcome.directories, welcome.preferences) == ({}, {})
        assert (welcome.max_message_size, welcome.max_pending_requests,
                welcome.request_timeout_ms) == (8388608, 1024, 10000)
        channels = {c.name: c for c in welcome.channels}
        ids = {name: c.id for name, c in channels.items()}
        for name, (encoding, delivery, publishers) in TABLE.items():
            c = channels[name]
            assert (c.encoding, c.delivery, c.publishers) == (encoding, delivery, publishers), name
        hardware = [f"hardware/{n}" for n in HARDWARE_REQUESTS] + [
            f"hardware/events/{n}" for n in HARDWARE_EVENTS
        ]
        assert sorted(n for n in channels if n.startswith("hardware/")) == sorted(hardware)
        for name in hardware:
            c = channels[name]
            latest = name == "hardware/events/adapters"
            assert c.encoding == "json" and c.schema_name == "switchboard.hardware", name
            assert c.delivery == (DeliveryPolicy.Latest if latest else DeliveryPolicy.Reliable)
            assert c.publishers == Publishers.AgentsOnly
        # A demo built with the inspector feature also has the inspector's
        # channels; docs/inspector.md lists those.
        inspector = {n for n, c in channels.items() if c.schema_name == "switchboard.inspector"}
        # One built with plugins has the plugin manager's channels and each
        # plugin's own under plugins/<id>/ (docs/plugins.md).
        plugins = {n for n in channels if n.startswith("plugins/")}
        if plugins:
            assert {"plugins/control", "plugins/logs", "plugins/status"} <= plugins
        assert set(channels) == set(TABLE) | set(hardware) | inspector | plugins, \
            "section 10.1 lists every channel"
        for name in ("hardware/adapters", "echo", "telemetry/frame_time"):
            quoted_in(section10, channels[name].description)

        # 4-6: telemetry by pattern; the three channels publish together.
        telemetry = {ids[n] for n in TABLE if n.startswith("telemetry/")}
        s.send(wire.encode_subscribe(1, patterns=["telemetry/*"]))
        assert s.next() == wire.ResponseFrame(1, 0, ResponseStatus.Ok, b"", "")
        seen = {}
        while len(seen) < 3:
            data = s.next()
            assert isinstance(data, wire.DataFrame) and data.channel in telemetry, data
            assert data.request_id == 0 and data.sequence >= 1 and data.timestamp_ns > 0
            seen[data.channel] = json.loads(data.content)["value"]
        assert seen[ids["telemetry/frame_time"]] > 0 and seen[ids["telemetry/fps"]] > 0
        assert seen[ids["telemetry/entity_count"]] >= 2
        s.skip |= telemetry  # "from here on it is left out"

        # 7-8: list the scene.
        scene = ids["scene/command"]
        s.send(wire.encode_data(scene, '{"op":"list"}', request_id=2))
        answer = s.next()
        assert (answer.request_id, answer.channel, answer.status) == (2, scene, ResponseStatus.Ok)
        listed = json.loads(answer.content)["entities"]
        assert {e["name"] for e in listed} >= {"orbiter", "drifter"}
        assert [e["id"] for e in listed] == sorted(e["id"] for e in listed)
        assert all(set(e) == {"id", "name", "x", "y"} for e in listed)

        # 9-10: unsubscribe.
        s.send(wire.encode_subscribe(3, patterns=["telemetry/*"], unsubscribe=True))
        assert s.next() == wire.ResponseFrame(3, 0, ResponseStatus.Ok, b"", "")

        # 11-16: spawn, move, a bad command.
        s.send(wire.encode_data(scene, '{"op":"spawn","name":"lamp","x":1,"y":2}', request_id=4))
        spawned = s.next()
        assert (spawned.request_id, spawned.status) == (4, ResponseStatus.Ok)
        lamp = json.loads(spawned.content)["id"]
        assert isinstance(lamp, int)
        move = json.dumps({"op": "move", "id": lamp, "x": -1, "y": 0.5}, separators=(",", ":"))
        s.send(wire.encode_data(scene, move, request_id=5))
        assert s.next() == wire.ResponseFrame(5, scene, ResponseStatus.Ok, b'{"ok":true}', "")
        s.send(wire.encode_data(scene, '{"op":"jump"}', request_id=6))
        failed = s.next()
        assert (failed.request_id, failed.channel) == (6, scene)
        assert failed.status == ResponseStatus.Failed
        quoted_in(section10, failed.error)

        # 17-18: one-way on an AgentsOnly channel.
        s.send(wire.encode_data(scene, '{"op":"list"}'))
        refused = s.next()
        assert refused.code == ErrorCode.NotAllowed
        assert (refused.request_id, refused.channel) == (0, scene)
        quoted_in(section10, refused.message)

        # 19-22: echo, one-way and as a request.
        echo = ids["echo"]
        s.send(wire.encode_data(echo, "hello"))
        direct = s.next()
        assert (direct.channel, direct.request_id, direct.sequence, direct.content) == (
            echo, 0, 0, b"hello")
        s.send(wire.encode_data(echo, "ping", request_id=7))
        assert s.next() == wire.ResponseFrame(7, echo, ResponseStatus.Ok, b"ping", "")

        # 23-24: a Response nobody asked for.
        s.send(wire.encode_response(1, echo, "late"))
        unknown = s.next()
        assert unknown.code == ErrorCode.UnknownRequest
        assert (unknown.request_id, unknown.channel) == (1, 0)
        quoted_in(section10, unknown.message)

        # 25-26: an unknown channel.
        s.send(wire.encode_data(99, "anyone?", request_id=8))
        nowhere = s.next()
        assert nowhere.code == ErrorCode.UnknownChannel
        assert (nowhere.request_id, nowhere.channel) == (8, 99)
        quoted_in(section10, nowhere.message)

        # 27-29: a Subscribe partly refused, partly applied.
        entities = ids["scene/entities"]
        s.send(wire.encode_subscribe(9, channel_ids=[entities, 4242], patterns=["a/***"]))
        partial = s.next()
        assert (partial.code, partial.request_id, partial.channel) == (
            ErrorCode.UnknownChannel, 9, 4242)
        quoted_in(section10, partial.message)
        published = s.next()
        assert published.channel == entities and published.sequence >= 1, published
        moved = {e["id"]: e for e in json.loads(published.content)["entities"]}
        assert (moved[lamp]["name"], moved[lamp]["x"], moved[lamp]["y"]) == ("lamp", -1.0, 0.5)

        # 30: close.
        ws.close(1000)
        assert ws.close_code == 1000
