"""Encoding round trips and the frame layout of docs/protocol/transport-and-lifecycle.md, section 1.1."""

from __future__ import annotations

import struct

import pytest

from switchboard_client import wire


def test_frame_layout():
    frame = wire.encode_hello("x", [1])
    root = struct.unpack_from("<I", frame, 0)[0]
    assert frame[4:8] == b"SWBD"
    assert 8 <= root < len(frame)  # not size-prefixed: offset 0 is the root offset


@pytest.mark.parametrize(
    "encoded, expected",
    [
        (wire.encode_hello("n", [1, 2], "t"), wire.HelloFrame("n", (1, 2), "t")),
        (wire.encode_hello("n", [1]), wire.HelloFrame("n", (1,), "")),
        (wire.encode_data(3, "hé", 2**64 - 1, 5, 6), wire.DataFrame(3, 2**64 - 1, 5, 6, "hé".encode())),
        (wire.encode_data(2**32 - 1, b""), wire.DataFrame(2**32 - 1, 0, 0, 0, b"")),
        (wire.encode_response(9, 1, b"ok"), wire.ResponseFrame(9, 1, 0, b"ok", "")),
        (wire.encode_response(9, 1, error="why"), wire.ResponseFrame(9, 1, 1, b"", "why")),
        (wire.encode_subscribe(4, [1, 2], ["a/*", "b/**"]), wire.SubscribeFrame(4, (1, 2), ("a/*", "b/**"))),
        (wire.encode_subscribe(4, [], ["a"], unsubscribe=True), wire.SubscribeFrame(4, (), ("a",), True)),
        (wire.encode_error(6, "m", 1, 2), wire.ErrorFrame(6, "m", 1, 2)),
        (wire.encode_unadvertise([5, 6]), wire.UnadvertiseFrame((5, 6))),
    ],
)
def test_round_trip(encoded, expected):
    assert wire.decode_frame(encoded) == expected


@pytest.mark.parametrize("message", [b"", b"1234567", b"\x0c\x00\x00\x00NOPE" + bytes(8)])
def test_decode_rejects(message):
    with pytest.raises(wire.FrameDecodeError):
        wire.decode_frame(message)


def test_decode_survives_garbage_with_identifier():
    # No verifier in Python: a lying offset must still give FrameDecodeError.
    with pytest.raises(wire.FrameDecodeError):
        wire.decode_frame(b"\xff\xff\xff\x7fSWBD" + bytes(8))


def test_error_code_names():
    assert wire.ErrorCode.name(0) == "None"
    assert wire.ErrorCode.name(6) == "UnknownChannel"
    assert wire.ErrorCode.name(999) == "ErrorCode(999)"
