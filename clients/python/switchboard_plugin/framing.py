"""The byte layout on a plugin's pipes (docs/plugins.md, section 2).

Every message is a 4-byte little-endian header and a body. The low 31 bits
of the header are the body's length; the top bit is set for a pipe control
message (close, ping, pong) and clear for a protocol frame.
"""

from __future__ import annotations

import struct

CONTROL_BIT = 1 << 31
MAX_CONTROL_LEN = 256
KIND_CLOSE = 1
KIND_PING = 2
KIND_PONG = 3


class FramingError(ValueError):
    """The host's bytes do not follow the framing (never expected)."""


def frame(body: bytes) -> bytes:
    """A protocol frame, framed for the pipe."""
    if len(body) >= CONTROL_BIT:
        raise ValueError("frame too long for a pipe")
    return struct.pack("<I", len(body)) + body


def control(body: bytes) -> bytes:
    return struct.pack("<I", CONTROL_BIT | len(body)) + body


def close(code: int, reason: str = "") -> bytes:
    raw = reason.encode("utf-8")[: MAX_CONTROL_LEN - 3]
    # Cut on a character boundary.
    raw = raw.decode("utf-8", "ignore").encode("utf-8")
    return control(bytes([KIND_CLOSE]) + struct.pack("<H", code) + raw)


def pong(nonce: int) -> bytes:
    return control(bytes([KIND_PONG]) + struct.pack("<Q", nonce))


def read_message(stream):
    """Reads one message: ``("frame", bytes)``, ``("close", (code, reason))``,
    ``("ping", nonce)``, ``("pong", nonce)``, or ``None`` at the end of the pipe."""
    header = _read_exact(stream, 4)
    if header is None:
        return None
    (word,) = struct.unpack("<I", header)
    length = word & ~CONTROL_BIT
    if word & CONTROL_BIT and length > MAX_CONTROL_LEN:
        raise FramingError(f"control message of {length} bytes")
    body = _read_exact(stream, length) if length else b""
    if body is None:
        raise FramingError("the pipe ended in the middle of a message")
    if not word & CONTROL_BIT:
        return ("frame", body)
    if not body:
        raise FramingError("empty control message")
    kind, rest = body[0], body[1:]
    if kind == KIND_CLOSE and len(rest) >= 2:
        (code,) = struct.unpack("<H", rest[:2])
        return ("close", (code, rest[2:].decode("utf-8", "replace")))
    if kind in (KIND_PING, KIND_PONG) and len(rest) == 8:
        (nonce,) = struct.unpack("<Q", rest)
        return ("ping" if kind == KIND_PING else "pong", nonce)
    raise FramingError(f"bad control message kind {kind}")


def _read_exact(stream, n: int):
    chunks = []
    left = n
    while left:
        chunk = stream.read(left)
        if not chunk:
            if left == n:
                return None
            raise FramingError("the pipe ended in the middle of a message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
