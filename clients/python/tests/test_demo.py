"""The Python client against the real demo host (examples/ipc_agent), over
a loopback WebSocket."""

from __future__ import annotations

import json
import re
import time

import pytest
from websockets.exceptions import ConnectionClosed as WsClosed
from websockets.sync.client import connect as ws_connect

from helpers import drain, next_error, recv_until
from switchboard_client import (
    Client,
    ConnectionClosed,
    DeliveryPolicy,
    ErrorCode,
    HandshakeError,
    Message,
    Publishers,
    RemoteError,
    RequestFailed,
    SwitchboardError,
    Timeout,
)
from switchboard_client import wire

TELEMETRY = {"telemetry/frame_time", "telemetry/fps", "telemetry/entity_count"}


# ---- handshake ---------------------------------------------------------------


def test_welcome_fields(demo, client):
    w = client.welcome
    assert w.client_id != 0
    assert re.fullmatch(r"[0-9a-f]{16}", w.session_id), w.session_id
    assert w.host_name == "switchboard demo"
    assert w.host_version
    assert w.protocol_version == 1
    assert w.min_protocol_version <= 1 <= w.max_protocol_version
    for capability in ("subscribe-pattern", "request-response", "latest-policy"):
        assert capability in w.capabilities
    assert client.limits.max_message_size > 0
    assert client.limits.max_pending_requests >= 20
    assert client.limits.request_timeout_ms > 0

    names = {info.name: info for info in w.channels}  # all advertised before we connected
    assert {"echo", "scene/command", "scene/entities"} | TELEMETRY <= set(names)
    assert {c.id for c in w.channels} <= set(client.channels)
    assert [c.id for c in w.channels] == sorted(c.id for c in w.channels)
    assert names["echo"].encoding == "text"
    assert names["echo"].publishers == Publishers.ClientsAndAgents
    assert names["scene/command"].encoding == "json"
    assert names["scene/command"].publishers == Publishers.AgentsOnly
    assert names["scene/entities"].delivery == DeliveryPolicy.Latest
    for name in TELEMETRY:
        assert names[name].delivery == DeliveryPolicy.Latest
        assert names[name].encoding == "json"

    # A second connection: same session, new client id.
    with Client.connect(demo.url, name="second", timeout=5.0) as other:
        assert other.session_id == client.session_id
        assert other.client_id != client.client_id


def test_wrong_protocol_version_is_refused_and_closed(demo):
    with pytest.raises(HandshakeError) as refused:
        Client.connect(demo.url, protocol_versions=[99, 100], timeout=5.0)
    e = refused.value
    assert e.code == ErrorCode.UnsupportedVersion
    assert e.code_name == "UnsupportedVersion"
    assert "1..=1" in e.message, e.message
    assert e.close_code == 4002, (e.close_code, e.close_reason)


def test_frames_before_hello_need_handshake(demo):
    # Raw socket: the client class always starts with Hello.
    with ws_connect(demo.url, compression=None, proxy=None, open_timeout=5) as ws:
        ws.send(wire.encode_data(1, b"too early"))
        error = wire.decode_frame(ws.recv(timeout=5))
        assert isinstance(error, wire.ErrorFrame)
        assert error.code == ErrorCode.HandshakeRequired
        # Still usable: the Hello that follows is accepted.
        ws.send(wire.encode_hello("late", [1]))
        welcome = wire.decode_frame(ws.recv(timeout=5))
        assert isinstance(welcome, wire.WelcomeFrame)


def test_empty_version_list_is_refused(demo):
    with pytest.raises(HandshakeError) as refused:
        Client.connect(demo.url, protocol_versions=[], timeout=5.0)
    assert refused.value.code == ErrorCode.UnsupportedVersion
    assert refused.value.close_code == 4002


# ---- echo --------------------------------------------------------------------


def test_echo_one_way(client):
    echo = client.channel("echo").id
    client.publish("echo", "hello, one way")
    message = recv_until(client, lambda e: isinstance(e, Message) and e.channel == echo)
    assert message.content == b"hello, one way"
    assert message.channel_name == "echo"
    assert message.sequence == 0  # sent to this client only
    assert message.timestamp_ns > 0


def test_echo_request(client):
    assert client.call("echo", "ping", timeout=5.0) == b"ping"
    payload = bytes(range(256)) * 64
    assert client.call("echo", payload, timeout=5.0) == payload


# ---- scene/command -----------------------------------------------------------


def test_twenty_spawns_in_flight(client):
    names = [f"py-{time.monotonic_ns()}-{i}" for i in range(20)]
    pending = [
        client.request("scene/command", json.dumps({"op": "spawn", "name": n, "x": i, "y": -i}))
        for i, n in enumerate(names)
    ]
    assert len({p.request_id for p in pending}) == 20
    assert all(p.request_id != 0 for p in pending)
    ids = [json.loads(p.result(timeout=10.0))["id"] for p in pending]
    assert len(set(ids)) == 20, ids

    listed = json.loads(client.call("scene/command", '{"op":"list"}', timeout=5.0))
    by_id = {e["id"]: e for e in listed["entities"]}
    for i, (entity, name) in enumerate(zip(ids, names)):
        assert by_id[entity]["name"] == name
    assert len(by_id) >= 20

    # Clean up, so the scene stays small for the other tests.
    answers = [client.request("scene/command", json.dumps({"op": "despawn", "id": e})) for e in ids]
    for a in answers:
        assert json.loads(a.result(timeout=10.0)) == {"ok": True}


def test_bad_scene_command_fails_with_reason(client):
    with pytest.raises(RequestFailed) as failed:
        client.call("scene/command", '{"op":"teleport"}', timeout=5.0)
    assert "bad scene command" in failed.value.reason
    assert failed.value.channel == client.channel("scene/command").id

    with pytest.raises(RequestFailed) as failed:
        client.call("scene/command", "not json", timeout=5.0)
    assert "bad scene command" in failed.value.reason

    with pytest.raises(RequestFailed) as failed:
        client.call("scene/command", '{"op":"despawn","id":1}', timeout=5.0)
    assert "no entity" in failed.value.reason


def test_scene_entities_latest_stream(client):
    client.subscribe(patterns=["scene/entities"])
    entities = client.channel("scene/entities").id
    message = recv_until(client, lambda e: isinstance(e, Message) and e.channel == entities)
    assert message.sequence >= 1
    names = {e["name"] for e in message.json()["entities"]}
    assert {"orbiter", "drifter"} <= names


# ---- subscriptions -----------------------------------------------------------


def test_telemetry_by_pattern_with_increasing_sequences(client):
    client.subscribe(patterns=["telemetry/*"], timeout=5.0)
    sequences = {}
    deadline = time.monotonic() + 10.0
    while any(len(sequences.get(n, [])) < 3 for n in TELEMETRY):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"telemetry too slow: {sequences}"
        event = client.recv(timeout=remaining)
        if not isinstance(event, Message):
            continue
        assert event.channel_name in TELEMETRY, event  # nothing else was subscribed
        assert isinstance(event.json()["value"], (int, float))
        sequences.setdefault(event.channel_name, []).append(event.sequence)
    for name, seqs in sequences.items():
        assert seqs[0] >= 1
        assert all(b > a for a, b in zip(seqs, seqs[1:])), (name, seqs)

    # Unsubscribing the same pattern stops the stream.
    client.unsubscribe(patterns=["telemetry/*"], timeout=5.0)
    time.sleep(0.3)
    drain(client, 0.05)  # frames the host queued before the confirmation
    late = [e for e in drain(client, 0.6) if isinstance(e, Message)]
    assert late == []


def test_subscribe_by_id(client):
    fps = client.channel("telemetry/fps").id
    client.subscribe(channel_ids=[fps])
    for _ in range(3):
        message = recv_until(client, lambda e: isinstance(e, Message))
        assert message.channel == fps


def test_subscribe_unknown_id_and_bad_pattern(client):
    with pytest.raises(RemoteError) as refused:
        client.subscribe(channel_ids=[987654])
    assert refused.value.code == ErrorCode.UnknownChannel
    assert refused.value.channel == 987654
    assert refused.value.request_id != 0

    with pytest.raises(RemoteError) as refused:
        client.subscribe(patterns=["telemetry/***"])
    assert refused.value.code == ErrorCode.BadFrame


def test_pattern_limit(client):
    # At most 64 patterns per client; the 65th is refused with Overloaded
    # (the 64 are applied), and the same pattern twice counts once.
    patterns = [f"nothing/{i}/*" for i in range(64)]
    client.subscribe(patterns=patterns + patterns[:3])
    with pytest.raises(RemoteError) as refused:
        client.subscribe(patterns=["nothing/65"])
    assert refused.value.code == ErrorCode.Overloaded
    assert "64" in refused.value.message
    client.unsubscribe(patterns=patterns[:1])
    client.subscribe(patterns=["nothing/65"])


def test_too_large_message_closes_with_1009(demo):
    limit = None
    with ws_connect(demo.url, compression=None, proxy=None, open_timeout=5) as ws:
        ws.send(wire.encode_hello("big", [1]))
        welcome = wire.decode_frame(ws.recv(timeout=5))
        limit = welcome.max_message_size
        ws.send(wire.encode_data(1, b"x" * limit))  # a few bytes over, with the framing
        errors = []
        with pytest.raises(WsClosed) as closed:
            for _ in range(100):
                frame = wire.decode_frame(ws.recv(timeout=5))
                if isinstance(frame, wire.ErrorFrame):
                    errors.append(frame)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        assert [e.code for e in errors] == [ErrorCode.TooLarge]

    # The client class refuses to send such a message at all.
    with Client.connect(demo.url, timeout=5.0) as client:
        with pytest.raises(SwitchboardError, match="exceeds"):
            client.publish("echo", b"x" * limit)
        assert client.call("echo", "still open", timeout=5.0) == b"still open"


# ---- errors ------------------------------------------------------------------


def test_unknown_channel(client):
    with pytest.raises(RemoteError) as refused:
        client.call(424242, "anyone?", timeout=5.0)
    assert refused.value.code == ErrorCode.UnknownChannel
    assert refused.value.code_name == "UnknownChannel"
    assert refused.value.channel == 424242
    assert refused.value.request_id != 0

    client.publish(424243, "one way")
    error = next_error(client)
    assert error.code == ErrorCode.UnknownChannel
    assert error.channel == 424243
    assert error.request_id == 0


def test_one_way_on_agents_only_channel_not_allowed(client):
    client.publish("telemetry/fps", '{"value":1}')
    error = next_error(client)
    assert error.code == ErrorCode.NotAllowed
    assert error.channel == client.channel("telemetry/fps").id


def test_text_message_is_bad_frame_and_connection_stays(client):
    client.send_raw("this is a text message")
    error = next_error(client)
    assert error.code == ErrorCode.BadFrame
    assert error.code_name == "BadFrame"
    assert client.call("echo", "still here", timeout=5.0) == b"still here"


@pytest.mark.parametrize(
    "message",
    [b"", b"short", b"\x08\x00\x00\x00XXXX\x00\x00\x00\x00", b"\xff" * 64],
    ids=["empty", "short", "wrong-identifier", "garbage"],
)
def test_bad_binary_is_bad_frame(client, message):
    client.send_raw(message)
    assert next_error(client).code == ErrorCode.BadFrame


def test_second_hello_is_bad_frame(client):
    client.send_raw(wire.encode_hello("again", [1]))
    assert next_error(client).code == ErrorCode.BadFrame


def test_client_close(demo):
    c = Client.connect(demo.url, name="closer", timeout=5.0)
    c.close()
    assert c.closed
    with pytest.raises(ConnectionClosed):
        c.call("echo", "after close", timeout=1.0)
    with pytest.raises(ConnectionClosed):
        c.recv(timeout=1.0)


def test_raw_close_code_after_refusal(demo):
    # The same refusal seen without the client class: Error, then close 4002.
    with ws_connect(demo.url, compression=None, proxy=None, open_timeout=5) as ws:
        ws.send(wire.encode_hello("old", [0]))
        error = wire.decode_frame(ws.recv(timeout=5))
        assert error.code == ErrorCode.UnsupportedVersion
        with pytest.raises(WsClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4002


def test_timeouts_duplicates_and_unknown_requests(client):
    """One ~10 s test (the demo's request timeout) for everything that needs
    an unanswered request: nobody answers requests on scene/entities."""
    entities = client.channel("scene/entities").id
    timeout_s = client.limits.request_timeout_ms / 1000.0
    started = time.monotonic()
    unanswered = client.request("scene/entities", "{}")

    # Given up locally: Timeout at once, and the host's later Error{Timeout}
    # for it is dropped instead of surfacing from recv().
    with pytest.raises(Timeout):
        client.call("scene/entities", "{}", timeout=0.2)

    # A raw request id reused while in flight: DuplicateRequest.
    raw_id = 2**62
    client.send_raw(wire.encode_data(entities, b"{}", request_id=raw_id))
    client.send_raw(wire.encode_data(entities, b"{}", request_id=raw_id))
    duplicate = next_error(client)
    assert duplicate.code == ErrorCode.DuplicateRequest
    assert duplicate.request_id == raw_id

    # Answering a host request that does not exist: UnknownRequest, carrying
    # the host's id, which must not fail our own request with that number.
    from switchboard_client import Request

    client.respond(Request(entities, "scene/entities", unanswered.request_id, 0, b""), b"hm")
    unknown = next_error(client)
    assert unknown.code == ErrorCode.UnknownRequest
    assert unknown.request_id == unanswered.request_id
    assert not unanswered.done()

    with pytest.raises(RemoteError) as timed_out:
        unanswered.result(timeout=timeout_s + 5.0)
    assert timed_out.value.code == ErrorCode.Timeout
    assert timed_out.value.request_id == unanswered.request_id
    assert timed_out.value.channel == entities
    assert time.monotonic() - started >= timeout_s - 0.5

    # The raw request's Timeout is not ours to match, so recv() reports it;
    # the locally abandoned call's Timeout is dropped.
    errors = [e for e in drain(client, 1.0) if isinstance(e, RemoteError)]
    assert [(e.code, e.request_id) for e in errors] == [(ErrorCode.Timeout, raw_id)]
