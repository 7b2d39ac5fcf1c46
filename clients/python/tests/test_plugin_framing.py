"""The Python plugin SDK's pipe framing (docs/plugins.md, section 3), byte for byte."""

import io
import struct

import pytest

from switchboard_plugin import framing


def test_frames_are_a_little_endian_length_then_the_body():
    assert framing.frame(b"abc") == b"\x03\x00\x00\x00abc"
    assert framing.read_message(io.BytesIO(framing.frame(b"abc"))) == ("frame", b"abc")


def test_control_messages_round_trip():
    stream = io.BytesIO(
        framing.close(1000, "bye")
        + framing.pong(7)
        + struct.pack("<I", framing.CONTROL_BIT | 9) + b"\x02" + struct.pack("<Q", 42)
    )
    assert framing.read_message(stream) == ("close", (1000, "bye"))
    assert framing.read_message(stream) == ("pong", 7)
    assert framing.read_message(stream) == ("ping", 42)
    assert framing.read_message(stream) is None


def test_long_close_reasons_are_cut_to_fit():
    message = framing.close(4000, "é" * 300)
    (header,) = struct.unpack("<I", message[:4])
    assert header & ~framing.CONTROL_BIT <= framing.MAX_CONTROL_LEN
    kind, (code, reason) = framing.read_message(io.BytesIO(message))
    assert (kind, code) == ("close", 4000) and set(reason) == {"é"}


@pytest.mark.parametrize(
    "raw",
    [
        struct.pack("<I", framing.CONTROL_BIT | 300) + b"\x00" * 300,  # too long
        struct.pack("<I", framing.CONTROL_BIT | 1) + b"\x09",  # unknown kind
        struct.pack("<I", 10) + b"short",  # ends mid-message
    ],
)
def test_bad_input_is_a_framing_error(raw):
    with pytest.raises(framing.FramingError):
        framing.read_message(io.BytesIO(raw))
