"""Parts of the protocol the demo does not exercise (requests from the game,
Advertise/Unadvertise, sequence gaps, unknown body types), against a small
scripted host on loopback."""

from __future__ import annotations

import queue
import threading

import flatbuffers
import pytest
from websockets.exceptions import ConnectionClosed as WsClosed
from websockets.sync.server import serve

from helpers import recv_until
from switchboard_client import (
    ChannelInfo,
    ChannelsAdded,
    ChannelsRemoved,
    Client,
    ConnectionClosed,
    DeliveryPolicy,
    Message,
    Publishers,
    Request,
)
from switchboard_client.generated import ipc_generated as ipc
from switchboard_client import wire

CHAT = ChannelInfo(1, "chat", "text", publishers=Publishers.ClientsAndAgents)
GPU = ChannelInfo(2, "telemetry/gpu", "json", delivery=DeliveryPolicy.Latest)


def unknown_body_frame(body_type: int = 42) -> bytes:
    builder = flatbuffers.Builder(32)
    builder.StartObject(0)
    body = builder.EndObject()
    ipc.FrameStart(builder)
    ipc.FrameAddBodyType(builder, body_type)
    ipc.FrameAddBody(builder, body)
    builder.Finish(ipc.FrameEnd(builder), file_identifier=b"SWBD")
    return bytes(builder.Output())


class FakeHost:
    """Runs `script(ws, seen)` for the first connection; `seen` collects
    decoded frames from the client."""

    def __init__(self, script):
        self.seen: "queue.Queue" = queue.Queue()
        self.failures: list = []

        def handler(ws):
            try:
                hello = wire.decode_frame(ws.recv(timeout=5))
                self.seen.put(hello)
                ws.send(wire.encode_welcome(7, "0123456789abcdef", [CHAT], capabilities=["x-new"]))
                script(ws, self.seen)
            except WsClosed:
                pass  # the client closed first: fine
            except Exception as e:  # reported by the test
                self.failures.append(e)

        self.server = serve(handler, "127.0.0.1", 0, compression=None)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def fake_host():
    hosts = []

    def start(script):
        host = FakeHost(script)
        hosts.append(host)
        return host

    yield start
    for host in hosts:
        host.close()
        assert not host.failures, host.failures


def next_from_client(ws, seen, timeout=5):
    frame = wire.decode_frame(ws.recv(timeout=timeout))
    seen.put(frame)
    return frame


def test_hello_carries_name_versions_and_token(fake_host):
    host = fake_host(lambda ws, seen: ws.recv(timeout=5))
    with Client.connect(host.url, name="tester", token="s3cret", timeout=5) as client:
        assert client.client_id == 7
        assert client.welcome.capabilities == ("x-new",)
    hello = host.seen.get(timeout=5)
    assert hello == wire.HelloFrame("tester", (1,), "s3cret")


def test_requests_from_the_game_answered_by_handler(fake_host):
    def script(ws, seen):
        ws.send(wire.encode_data(1, b"are you there?", request_id=77))
        next_from_client(ws, seen)
        ws.send(wire.encode_data(1, b"fail please", request_id=78))
        next_from_client(ws, seen)

    def on_request(request: Request):
        assert request.channel_name == "chat"
        if request.content == b"fail please":
            raise ValueError("as you wish")
        return "yes"

    host = fake_host(script)
    with Client.connect(host.url, timeout=5, on_request=on_request):
        host.seen.get(timeout=5)  # Hello
        ok = host.seen.get(timeout=5)
        failed = host.seen.get(timeout=5)
    assert ok == wire.ResponseFrame(77, 1, wire.ResponseStatus.Ok, b"yes", "")
    assert failed == wire.ResponseFrame(78, 1, wire.ResponseStatus.Failed, b"", "as you wish")


def test_requests_from_the_game_via_recv(fake_host):
    def script(ws, seen):
        ws.send(wire.encode_data(1, b"ping", request_id=5))
        ws.send(wire.encode_data(1, b"bad", request_id=6))
        next_from_client(ws, seen)
        next_from_client(ws, seen)

    host = fake_host(script)
    with Client.connect(host.url, timeout=5) as client:
        first = recv_until(client, lambda e: isinstance(e, Request))
        second = recv_until(client, lambda e: isinstance(e, Request))
        client.respond(first, b"pong")
        client.respond_error(second, "no")
        host.seen.get(timeout=5)  # Hello
        assert host.seen.get(timeout=5) == wire.ResponseFrame(5, 1, 0, b"pong", "")
        assert host.seen.get(timeout=5) == wire.ResponseFrame(6, 1, 1, b"", "no")


def test_channel_list_sequences_and_unknown_bodies(fake_host):
    def script(ws, seen):
        assert next_from_client(ws, seen).content == b"start"
        ws.send(unknown_body_frame())  # a newer host's frame: ignored
        ws.send(wire.encode_advertise([GPU]))
        ws.send(wire.encode_data(2, b'{"value":1}', sequence=5))
        ws.send(wire.encode_data(2, b'{"value":2}', sequence=8))
        ws.send(wire.encode_data(2, b'{"value":3}', sequence=9))
        assert next_from_client(ws, seen).content == b"go on"
        ws.send(wire.encode_unadvertise([2]))
        ws.recv(timeout=5)  # until the client closes

    host = fake_host(script)
    with Client.connect(host.url, timeout=5) as client:
        assert set(client.channels) == {1}
        client.publish("chat", "start")
        added = client.recv(timeout=5)
        assert added == ChannelsAdded((GPU,))
        assert client.channel("telemetry/gpu") == GPU
        messages = [client.recv(timeout=5) for _ in range(3)]
        assert [m.sequence for m in messages] == [5, 8, 9]
        assert [m.skipped for m in messages] == [0, 2, 0]
        assert all(isinstance(m, Message) and m.channel_name == "telemetry/gpu" for m in messages)
        client.publish("chat", "go on")
        removed = client.recv(timeout=5)
        assert removed == ChannelsRemoved((2,), (GPU,))
        assert set(client.channels) == {1}
        with pytest.raises(KeyError):
            client.channel("telemetry/gpu")


def test_host_close_fails_pending_requests(fake_host):
    def script(ws, seen):
        next_from_client(ws, seen)  # the request; never answered
        ws.close(1001, "host shutting down")

    host = fake_host(script)
    with Client.connect(host.url, timeout=5) as client:
        pending = client.request("chat", "hello?")
        with pytest.raises(ConnectionClosed) as closed:
            pending.result(timeout=5)
        assert closed.value.code == 1001
        assert closed.value.reason == "host shutting down"
        with pytest.raises(ConnectionClosed):
            client.recv(timeout=5)
