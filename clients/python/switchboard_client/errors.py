"""The client's exceptions; catching SwitchboardError catches each of them."""

from __future__ import annotations

from typing import Optional

from . import wire
from .wire import ErrorCode


class SwitchboardError(Exception):
    """Base class of everything this client raises."""


class RemoteError(SwitchboardError):
    """The host refused something with an ``Error`` frame."""

    def __init__(self, code: int, message: str, request_id: int = 0, channel: int = 0):
        self.code = code
        self.code_name = ErrorCode.name(code)
        self.message = message
        self.request_id = request_id
        self.channel = channel
        super().__init__(f"{self.code_name} ({code}): {message}")

    @classmethod
    def from_frame(cls, frame: wire.ErrorFrame) -> "RemoteError":
        return cls(frame.code, frame.message, frame.request_id, frame.channel)


class HandshakeError(RemoteError):
    """``Hello`` was refused (UnsupportedVersion, Unauthorized, ...).

    ``close_code``/``close_reason`` hold the WebSocket close that followed,
    or None when none arrived in time.
    """

    def __init__(self, error: wire.ErrorFrame, close_code=None, close_reason=None):
        super().__init__(error.code, error.message, error.request_id, error.channel)
        self.close_code = close_code
        self.close_reason = close_reason


class RequestFailed(SwitchboardError):
    """The game answered a request with ``Response{status: Failed}``."""

    def __init__(self, reason: str, request_id: int, channel: int):
        self.reason = reason
        self.request_id = request_id
        self.channel = channel
        super().__init__(f"request {request_id} on channel {channel} failed: {reason}")


class ConnectionClosed(SwitchboardError):
    """The WebSocket is closed; ``code``/``reason`` are the close frame's."""

    def __init__(self, code: Optional[int], reason: str):
        self.code = code
        self.reason = reason
        super().__init__(f"connection closed ({code}): {reason}")


class ProtocolError(SwitchboardError):
    """The host sent something this client cannot read."""


class Timeout(SwitchboardError, TimeoutError):
    """Nothing arrived in time."""


__all__ = [
    "ConnectionClosed",
    "HandshakeError",
    "ProtocolError",
    "RemoteError",
    "RequestFailed",
    "SwitchboardError",
    "Timeout",
]
